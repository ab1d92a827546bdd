#include "corpus.hpp"

#include <array>
#include <cctype>
#include <ctime>
#include <string_view>

namespace bench {

namespace {

constexpr std::array<std::string_view, 48> kWords = {
    "report",  "meeting", "budget",   "invoice", "project", "schedule", "review",  "update",
    "the",     "and",     "for",      "with",    "about",   "please",   "thanks",  "attached",
    "quarter", "sales",   "customer", "order",   "delivery", "contract", "draft",  "final",
    "team",    "office",  "monday",   "friday",  "travel",   "plan",     "notes",  "question",
    "server",  "backup",  "release",  "version", "deadline", "proposal", "summary", "minutes",
    "we",      "will",    "can",      "this",    "that",     "next",     "week",    "call"};

constexpr std::array<std::string_view, 12> kNames = {"Alice Martin", "Bob Schmidt", "Chloé Dubois", "Dmitri Ivanov",
                                                     "Eva Novak",    "Frank Li",    "Grace Hopper", "Hiro Tanaka",
                                                     "Inès Moreau",  "Jan Kowalski", "Kim Park",    "Lena Berg"};

int uniform(Rng& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

std::string_view word(Rng& rng) { return kWords[static_cast<std::size_t>(uniform(rng, 0, kWords.size() - 1))]; }

std::string sentence_words(Rng& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) {
    if (i) s += ' ';
    s += word(rng);
  }
  return s;
}

// Text of about `bytes` bytes in lines of at most 76 characters, each line
// prefixed with `prefix` (e.g. "> " for quoted text).
std::string paragraph_text(Rng& rng, std::size_t bytes, std::string_view prefix = {}) {
  std::string out;
  std::string line(prefix);
  while (out.size() < bytes) {
    auto w = word(rng);
    if (line.size() + w.size() + 1 > 76) {
      out += line;
      out += "\r\n";
      line.assign(prefix);
      if (uniform(rng, 0, 9) == 0) out += std::string(prefix) + "\r\n";
    }
    if (line.size() > prefix.size()) line += ' ';
    line += w;
  }
  out += line;
  out += "\r\n";
  return out;
}

std::string base64_lines(Rng& rng, std::size_t raw_bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t column = 0;
  for (std::size_t i = 0; i < raw_bytes; i += 3) {
    std::uint32_t v = static_cast<std::uint32_t>(rng() & 0xffffff);
    for (int k = 3; k >= 0; --k) out += kAlphabet[(v >> (6 * k)) & 63];
    column += 4;
    if (column == 76) {
      out += "\r\n";
      column = 0;
    }
  }
  if (column) out += "\r\n";
  return out;
}

std::string date_header(Rng& rng) {
  std::time_t t = 1767225600 + uniform(rng, 0, 300 * 86400);  // during 2026
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

std::string display_name(Rng& rng) {
  auto name = kNames[static_cast<std::size_t>(uniform(rng, 0, kNames.size() - 1))];
  // Names with non-ASCII letters are sent RFC 2047-encoded, as clients do.
  bool ascii = true;
  for (unsigned char c : name) ascii = ascii && c < 0x80;
  if (ascii) return "\"" + std::string(name) + "\"";
  std::string encoded = "=?UTF-8?Q?";
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : name) {
    if (c == ' ') encoded += '_';
    else if (c < 0x80 && c != '=' && c != '?' && c != '_') encoded += static_cast<char>(c);
    else {
      encoded += '=';
      encoded += kHex[c >> 4];
      encoded += kHex[c & 15];
    }
  }
  return encoded + "?=";
}

std::string subject(Rng& rng) {
  std::string s = sentence_words(rng, uniform(rng, 2, 6));
  s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

std::string headers(Rng& rng, const std::string& from, const std::string& to, const std::string& message_id,
                    const std::string& subj) {
  std::string h;
  h += "Return-Path: <" + from + ">\r\n";
  h += "From: " + display_name(rng) + " <" + from + ">\r\n";
  h += "To: <" + to + ">\r\n";
  if (uniform(rng, 0, 3) == 0) h += "Cc: " + display_name(rng) + " <colleague@client.test>\r\n";
  h += "Subject: " + subj + "\r\n";
  h += "Date: " + date_header(rng) + "\r\n";
  h += "Message-ID: <" + message_id + ">\r\n";
  h += "MIME-Version: 1.0\r\n";
  h += "User-Agent: bench-corpus/1.0\r\n";
  return h;
}

std::string html_of(const std::string& text) {
  std::string out = "<html><head><meta charset=\"utf-8\"></head><body>\r\n<p>";
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 4, "\r\n\r\n") == 0) {
      out += "</p>\r\n<p>";
      i += 3;
    } else {
      out += text[i];
    }
  }
  return out + "</p>\r\n</body></html>\r\n";
}

}  // namespace

std::string search_word(Rng& rng) { return std::string(kWords[static_cast<std::size_t>(uniform(rng, 0, 7))]); }

std::string make_message(Rng& rng, const std::string& from, const std::string& to, std::uint64_t serial) {
  std::string id = "bench." + std::to_string(serial) + "." + std::to_string(rng() % 1000000) + "@client.test";
  std::string boundary = "=_bench_" + std::to_string(rng());
  std::string subj = subject(rng);
  int kind = uniform(rng, 0, 99);
  std::string m;
  if (kind < 50) {  // plain text
    m = headers(rng, from, to, id, subj);
    m += "Content-Type: text/plain; charset=utf-8; format=flowed\r\nContent-Transfer-Encoding: 7bit\r\n\r\n";
    m += paragraph_text(rng, static_cast<std::size_t>(uniform(rng, 1500, 5000)));
  } else if (kind < 58) {  // a reply quoting the previous message
    m = headers(rng, from, to, id, "Re: " + subj);
    m += "In-Reply-To: <prev." + std::to_string(serial) + "@client.test>\r\n";
    m += "References: <prev." + std::to_string(serial) + "@client.test>\r\n";
    m += "Content-Type: text/plain; charset=utf-8\r\n\r\n";
    m += paragraph_text(rng, static_cast<std::size_t>(uniform(rng, 300, 1500)));
    m += "\r\nOn " + date_header(rng) + ", someone wrote:\r\n";
    m += paragraph_text(rng, static_cast<std::size_t>(uniform(rng, 1500, 3500)), "> ");
  } else if (kind < 83) {  // multipart/alternative
    m = headers(rng, from, to, id, subj);
    m += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n";
    m += "This is a multi-part message in MIME format.\r\n\r\n";
    std::string text = paragraph_text(rng, static_cast<std::size_t>(uniform(rng, 1200, 3000)));
    m += "--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n";
    m += text;
    m += "--" + boundary + "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n";
    m += html_of(text);
    m += "--" + boundary + "--\r\n";
  } else if (kind < 94) {  // a forwarded message
    m = headers(rng, from, to, id, "Fwd: " + subj);
    m += "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n";
    m += "--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n";
    m += paragraph_text(rng, static_cast<std::size_t>(uniform(rng, 200, 800)));
    m += "--" + boundary + "\r\nContent-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n";
    m += headers(rng, "original@elsewhere.test", from, "orig." + id, subj);
    m += "Content-Type: text/plain; charset=utf-8\r\n\r\n";
    m += paragraph_text(rng, static_cast<std::size_t>(uniform(rng, 2000, 5000)));
    m += "--" + boundary + "--\r\n";
  } else {  // an attachment
    m = headers(rng, from, to, id, subj);
    m += "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n";
    m += "--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n";
    m += paragraph_text(rng, static_cast<std::size_t>(uniform(rng, 200, 1000)));
    bool pdf = uniform(rng, 0, 1) == 0;
    m += "--" + boundary + "\r\nContent-Type: " + (pdf ? "application/pdf" : "image/jpeg") + "; name=\"" +
         std::string(word(rng)) + (pdf ? ".pdf" : ".jpg") + "\"\r\nContent-Transfer-Encoding: base64\r\n" +
         "Content-Disposition: attachment; filename=\"" + std::string(word(rng)) + (pdf ? ".pdf" : ".jpg") +
         "\"\r\n\r\n";
    m += base64_lines(rng, static_cast<std::size_t>(uniform(rng, 6000, 22000)));
    m += "--" + boundary + "--\r\n";
  }
  return m;
}

std::string make_append_message(Rng& rng, const std::string& from, const std::string& message_id) {
  std::string m = headers(rng, from, "someone@elsewhere.test", message_id, "Re: " + subject(rng));
  m += "Content-Type: text/plain; charset=utf-8\r\n\r\n";
  m += paragraph_text(rng, static_cast<std::size_t>(uniform(rng, 2000, 6000)));
  return m;
}

std::string dot_stuff(const std::string& message) {
  std::string out;
  out.reserve(message.size() + 16);
  bool line_start = true;
  for (char c : message) {
    if (line_start && c == '.') out += '.';
    out += c;
    line_start = c == '\n';
  }
  if (!line_start) out += "\r\n";
  out += ".\r\n";
  return out;
}

}  // namespace bench
