#include "mime/header.hpp"

#include <array>
#include <cctype>
#include <charconv>

#include "core/text.hpp"

namespace tern::mime {

namespace {

// WSP before, WSP and stray line-end bytes after.
std::string_view trim_value(std::string_view s) {
  return text::trim_right(text::trim_left(s, text::wsp), " \t\r\n");
}

// Splits a date into tokens at whitespace, commas and colons (keeping signs).
std::vector<std::string_view> tokens(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == ',' || c == '\r' || c == '\n') {
      ++i;
      continue;
    }
    if (c == '(') {  // a comment, e.g. "(UTC)"
      int depth = 0;
      for (; i < text.size(); ++i) {
        if (text[i] == '(') ++depth;
        if (text[i] == ')' && --depth == 0) break;
      }
      ++i;
      continue;
    }
    std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t' && text[i] != ',' && text[i] != '(' &&
           text[i] != '\r' && text[i] != '\n')
      ++i;
    out.push_back(text.substr(start, i - start));
  }
  return out;
}

bool to_int(std::string_view s, int& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::size_t header_size(std::string_view message) {
  // The header ends at the first empty line; a bare LF counts as a line end.
  if (message.starts_with("\r\n")) return 2;
  if (message.starts_with("\n")) return 1;
  for (std::size_t i = 0; i < message.size(); ++i) {
    if (message[i] != '\n') continue;
    std::string_view rest = message.substr(i + 1);
    if (rest.starts_with("\r\n")) return i + 3;
    if (rest.starts_with("\n")) return i + 2;
  }
  return message.size();
}

std::vector<HeaderField> parse_header(std::string_view header) {
  std::vector<HeaderField> fields;
  std::size_t pos = 0;
  bool in_field = false;
  while (pos < header.size()) {
    std::size_t end = header.find('\n', pos);
    std::string_view line = header.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? header.size() : end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    if ((line.front() == ' ' || line.front() == '\t')) {
      if (in_field) {
        fields.back().value += ' ';
        fields.back().value += trim_value(line);
      }
      continue;
    }
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      in_field = false;
      continue;
    }
    std::string_view name = trim_value(line.substr(0, colon));
    if (name.empty()) {
      in_field = false;
      continue;
    }
    fields.push_back(HeaderField{std::string(name), std::string(trim_value(line.substr(colon + 1)))});
    in_field = true;
  }
  return fields;
}

std::optional<std::string> find_field(const std::vector<HeaderField>& fields, std::string_view name) {
  for (const auto& f : fields)
    if (text::iequals(f.name, name)) return f.value;
  return std::nullopt;
}

std::optional<UnixTime> parse_date(std::string_view text) {
  static constexpr std::array<std::string_view, 12> months = {"jan", "feb", "mar", "apr", "may", "jun",
                                                               "jul", "aug", "sep", "oct", "nov", "dec"};
  auto t = tokens(text);
  std::size_t i = 0;
  // Optional day of week.
  if (i < t.size() && !t[i].empty() && std::isalpha(static_cast<unsigned char>(t[i][0]))) ++i;
  if (t.size() < i + 4) return std::nullopt;
  int day = 0, year = 0;
  if (!to_int(t[i], day) || day < 1 || day > 31) return std::nullopt;
  unsigned month = 0;
  for (unsigned m = 0; m < 12; ++m)
    if (text::istarts_with(t[i + 1], months[m])) month = m + 1;
  if (month == 0 || !to_int(t[i + 2], year)) return std::nullopt;
  if (t[i + 2].size() <= 2) year += year < 50 ? 2000 : 1900;  // RFC 5322 4.3
  else if (t[i + 2].size() == 3) year += 1900;
  if (year < 1900 || year > 9999) return std::nullopt;
  // Time: hh:mm[:ss]
  std::string_view time = t[i + 3];
  int hh = 0, mm = 0, ss = 0;
  auto c1 = time.find(':');
  if (c1 == std::string_view::npos || !to_int(time.substr(0, c1), hh)) return std::nullopt;
  auto rest = time.substr(c1 + 1);
  auto c2 = rest.find(':');
  if (!to_int(rest.substr(0, c2), mm)) return std::nullopt;
  if (c2 != std::string_view::npos && !to_int(rest.substr(c2 + 1), ss)) return std::nullopt;
  if (hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  // Zone: +hhmm / -hhmm or an obsolete name; unknown names count as +0000.
  int offset = 0;
  if (t.size() > i + 4) {
    std::string_view zone = t[i + 4];
    if (zone[0] == '+' || zone[0] == '-') {
      int z = 0;
      if (zone.size() != 5 || !to_int(zone.substr(1), z) || z % 100 > 59) return std::nullopt;
      offset = (z / 100) * 3600 + (z % 100) * 60;
      if (zone[0] == '-') offset = -offset;
    } else {
      static constexpr std::array<std::pair<std::string_view, int>, 8> named = {
          {{"EST", -5}, {"EDT", -4}, {"CST", -6}, {"CDT", -5}, {"MST", -7}, {"MDT", -6}, {"PST", -8}, {"PDT", -7}}};
      for (auto [name, hours] : named)
        if (text::iequals(zone, name)) offset = hours * 3600;
    }
  }
  std::int64_t days = text::days_from_civil(year, month, static_cast<unsigned>(day));
  return days * 86400 + hh * 3600 + mm * 60 + ss - offset;
}

MessageMeta describe_message(std::string_view message) {
  MessageMeta meta;
  meta.size = message.size();
  meta.header_size = header_size(message);
  auto fields = parse_header(message.substr(0, meta.header_size));
  auto take = [&](std::string_view name, std::string& out) {
    if (auto v = find_field(fields, name)) out = *v;
  };
  take("Subject", meta.subject);
  take("From", meta.from);
  take("Sender", meta.sender);
  take("Reply-To", meta.reply_to);
  take("To", meta.to);
  take("Cc", meta.cc);
  take("Bcc", meta.bcc);
  take("In-Reply-To", meta.in_reply_to);
  take("Message-ID", meta.message_id);
  if (auto d = find_field(fields, "Date")) meta.date = parse_date(*d).value_or(0);
  return meta;
}

}  // namespace tern::mime
