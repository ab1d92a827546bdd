// IMAP response writing (RFC 9051 4.3, 7). See response.hpp.
#include "imap/protocol/response.hpp"

#include <cstdio>
#include <cstdlib>

#include "core/text.hpp"
#include "imap/protocol/lexer.hpp"
#include "imap/protocol/mailbox_name.hpp"
#include "imap/protocol/sequence_set.hpp"

namespace tern::imap {
namespace {

const char* status_word(Status status) {
  switch (status) {
    case Status::ok: return "OK";
    case Status::no: return "NO";
    case Status::bad: return "BAD";
    case Status::bye: return "BYE";
    case Status::preauth: return "PREAUTH";
  }
  return "BAD";
}

bool quotable(std::string_view text, bool utf8) {
  if (text.size() > max_quoted_octets) return false;
  bool eight_bit = false;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u == 0 || c == '\r' || c == '\n') return false;
    if (u >= 0x80) eight_bit = true;
  }
  return !eight_bit || (utf8 && is_valid_utf8(text));
}

}  // namespace

std::string quote_string(std::string_view text, bool utf8) {
  if (quotable(text, utf8)) {
    std::string out = "\"";
    for (char c : text) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
    return out;
  }
  std::string out = text.find('\0') != std::string_view::npos ? "~{" : "{";
  out += std::to_string(text.size());
  out += "}\r\n";
  out += text;
  return out;
}

std::string format_astring(std::string_view text, bool utf8) {
  bool atom = !text.empty() && !text::iequals(text, "NIL");
  for (char c : text) {
    if (!is_atom_char(c) && c != ']') atom = false;
  }
  return atom ? std::string(text) : quote_string(text, utf8);
}

std::string format_nstring(const std::optional<std::string>& text, bool utf8) {
  return text ? quote_string(*text, utf8) : std::string("NIL");
}

std::string printable_text(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

std::string status_response(std::string_view tag, Status status, std::string_view code, std::string_view text) {
  std::string out(tag.empty() ? std::string_view("*") : tag);
  out += ' ';
  out += status_word(status);
  if (!code.empty()) {
    out += " [";
    out += printable_text(code);
    out += ']';
  }
  // RFC 9051 9 "resp-text": text is required; "text" has at least one character.
  out += ' ';
  out += text.empty() ? std::string("done") : printable_text(text);
  out += "\r\n";
  return out;
}

std::string continuation(std::string_view text) {
  return "+ " + (text.empty() ? std::string("Ready") : printable_text(text)) + "\r\n";
}

std::string format_flag_list(const std::vector<std::string>& flags) {
  std::string out = "(";
  for (const std::string& flag : flags) {
    if (out.size() > 1) out += ' ';
    out += flag;
  }
  out += ')';
  return out;
}

std::string list_response(std::string_view verb, const std::vector<std::string>& attributes,
                          std::optional<char> delimiter, std::string_view name, bool utf8,
                          std::string_view extended) {
  std::string out = "* ";
  out += verb;
  out += ' ';
  out += format_flag_list(attributes);
  out += ' ';
  if (delimiter) out += quote_string(std::string(1, *delimiter));
  else out += "NIL";
  out += ' ';
  // A mailbox is an astring; INBOX may go as an atom.
  out += format_astring(encode_mailbox_name(name, utf8), utf8);
  if (!extended.empty()) {
    out += ' ';
    out += extended;
  }
  out += "\r\n";
  return out;
}

std::string_view status_item_name(StatusItem item) {
  switch (item) {
    case StatusItem::messages: return "MESSAGES";
    case StatusItem::uidnext: return "UIDNEXT";
    case StatusItem::uidvalidity: return "UIDVALIDITY";
    case StatusItem::unseen: return "UNSEEN";
    case StatusItem::deleted: return "DELETED";
    case StatusItem::size: return "SIZE";
    case StatusItem::recent: return "RECENT";
    case StatusItem::highestmodseq: return "HIGHESTMODSEQ";
  }
  return "MESSAGES";
}

std::string format_date_time(const DateTime& dt) {
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const int zone = std::abs(dt.zone_minutes);
  const int month = dt.date.month >= 1 && dt.date.month <= 12 ? dt.date.month : 1;
  char out[40];
  std::snprintf(out, sizeof out, "\"%02d-%s-%04d %02d:%02d:%02d %c%02d%02d\"", dt.date.day, months[month - 1],
                dt.date.year, dt.hour, dt.minute, dt.second, dt.zone_minutes < 0 ? '-' : '+', zone / 60, zone % 60);
  return out;
}

std::string esearch_response(std::string_view tag, bool uid, const EsearchResult& result) {
  std::string out = "* ESEARCH";
  if (!tag.empty()) out += " (TAG " + quote_string(tag) + ")";
  if (uid) out += " UID";
  if (result.min) out += " MIN " + std::to_string(*result.min);
  if (result.max) out += " MAX " + std::to_string(*result.max);
  if (result.all && !result.all->empty()) out += " ALL " + compact_sequence_set(*result.all);
  if (result.count) out += " COUNT " + std::to_string(*result.count);
  out += "\r\n";
  return out;
}

}  // namespace tern::imap
