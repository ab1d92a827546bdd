// Mail addresses and domain names: the RFC 5321 4.1.2 grammar (Dot-string,
// Quoted-string with qtextSMTP / quoted-pairSMTP, Domain of LDH labels), the
// 4.5.3.1 size limits, and RFC 6531 3.3 UTF-8 local parts.
// Security: every byte is checked; NUL, controls and malformed UTF-8 are
// refused so that nothing downstream (logs, SQL keys, headers) sees them.
#include "core/address.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/log.hpp"
#include "core/text.hpp"

namespace tern::address {
namespace {

constexpr std::size_t max_local_octets = 64;    // RFC 5321 4.5.3.1.1
constexpr std::size_t max_domain_octets = 253;  // 255 minus the length octet and root of RFC 1035
constexpr std::size_t max_label_octets = 63;    // RFC 1035 2.3.4

bool is_ascii_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }
bool is_non_ascii(char c) { return static_cast<unsigned char>(c) >= 0x80; }

// RFC 5322 3.2.3 atext.
bool is_atext(char c) {
  if (is_ascii_alpha(c) || is_ascii_digit(c)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '/': case '=': case '?': case '^': case '_': case '`': case '{':
    case '|': case '}': case '~':
      return true;
    default:
      return false;
  }
}

// RFC 5321 4.1.2 qtextSMTP: printable ASCII except '"' and '\'.
bool is_qtext(char c) {
  auto u = static_cast<unsigned char>(c);
  return u >= 32 && u <= 126 && c != '"' && c != '\\';
}

// A character as it may appear in an error message: printable as itself,
// anything else as a hex escape so that logs stay one line.
std::string describe_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u > 0x20 && u < 0x7f) return std::string("'") + c + "'";
  if (c == ' ') return "space";
  static constexpr char hex[] = "0123456789abcdef";
  return std::string("0x") + hex[u >> 4] + hex[u & 15];
}

// RFC 3629 4 UTF8-char, refusing overlong forms, surrogates and code points
// beyond U+10FFFF. Returns the offset just after the character, or 0 if the
// bytes at `at` are not valid UTF-8.
std::size_t next_utf8_char(std::string_view text, std::size_t at) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(at);
  if (lead < 0x80) return at + 1;
  std::size_t length = 0;
  std::uint32_t cp = 0;
  std::uint32_t min = 0;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2; cp = lead & 0x1fu; min = 0x80;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3; cp = lead & 0x0fu; min = 0x800;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4; cp = lead & 0x07u; min = 0x10000;
  } else {
    return 0;  // continuation byte, 0xc0/0xc1 (always overlong) or 0xf5..0xff
  }
  if (at + length > text.size()) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    unsigned char next = byte(at + i);
    if ((next & 0xc0u) != 0x80u) return 0;
    cp = (cp << 6) | (next & 0x3fu);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return at + length;
}

// Checks the non-ASCII bytes of a local part: refused without SMTPUTF8,
// otherwise they must form valid UTF-8.
Result<void> check_non_ascii(std::string_view local, const ParseOptions& options) {
  std::size_t at = 0;
  while (at < local.size()) {
    if (!is_non_ascii(local[at])) {
      ++at;
      continue;
    }
    if (!options.allow_utf8) {
      return make_error(Errc::invalid,
                        "local part contains non-ASCII characters (needs SMTPUTF8): " + log::kv(local));
    }
    std::size_t next = next_utf8_char(local, at);
    if (next == 0) {
      return make_error(Errc::invalid, "local part is not valid UTF-8 at octet " + std::to_string(at + 1) +
                                           ": " + log::kv(local));
    }
    at = next;
  }
  return {};
}

// RFC 5321 4.1.2 Dot-string = Atom *("." Atom); RFC 6531 3.3 lets atext
// include UTF8-non-ascii, whose validity check_non_ascii has already done.
Result<void> check_dot_string(std::string_view local) {
  if (local.front() == '.') return make_error(Errc::invalid, "local part starts with a dot: " + log::kv(local));
  if (local.back() == '.') return make_error(Errc::invalid, "local part ends with a dot: " + log::kv(local));
  for (std::size_t i = 0; i < local.size(); ++i) {
    char c = local[i];
    if (c == '.') {
      if (local[i + 1] == '.') {
        return make_error(Errc::invalid, "local part has two dots in a row: " + log::kv(local));
      }
      continue;
    }
    if (!is_atext(c) && !is_non_ascii(c)) {
      return make_error(Errc::invalid, "invalid character " + describe_char(c) +
                                           " in local part (quote it): " + log::kv(local));
    }
  }
  return {};
}

bool is_dot_string(std::string_view local) {
  if (local.empty() || local.front() == '.' || local.back() == '.') return false;
  for (std::size_t i = 0; i < local.size(); ++i) {
    char c = local[i];
    if (c == '.') {
      if (local[i + 1] == '.') return false;
    } else if (!is_atext(c) && !is_non_ascii(c)) {
      return false;
    }
  }
  return true;
}

// Parses the Quoted-string at the start of `text`; on success `end` is the
// offset after the closing quote and the result is the unescaped content.
Result<std::string> parse_quoted(std::string_view text, std::size_t& end) {
  std::string content;
  std::size_t i = 1;
  while (i < text.size()) {
    char c = text[i];
    if (c == '"') {
      end = i + 1;
      return content;
    }
    if (c == '\\') {
      // RFC 5321 4.1.2 quoted-pairSMTP = %d92 %d32-126
      if (i + 1 >= text.size()) break;
      char escaped = text[i + 1];
      auto u = static_cast<unsigned char>(escaped);
      if (u < 32 || u > 126) {
        return make_error(Errc::invalid, "invalid character " + describe_char(escaped) +
                                             " after backslash in quoted local part");
      }
      content += escaped;
      i += 2;
      continue;
    }
    if (!is_qtext(c) && !is_non_ascii(c)) {
      return make_error(Errc::invalid, "invalid character " + describe_char(c) + " in quoted local part");
    }
    content += c;
    ++i;
  }
  return make_error(Errc::invalid, "quoted local part has no closing quote: " + log::kv(text));
}

Result<void> check_label(std::string_view label, std::string_view domain) {
  if (label.empty()) {
    return make_error(Errc::invalid, "domain has an empty label: " + log::kv(domain));
  }
  if (label.size() > max_label_octets) {
    return make_error(Errc::invalid, "domain label longer than 63 octets: " + log::kv(label));
  }
  for (char c : label) {
    if (!is_ascii_alpha(c) && !is_ascii_digit(c) && c != '-') {
      return make_error(Errc::invalid, "invalid character " + describe_char(c) +
                                           " in domain (letters, digits and '-' only): " + log::kv(domain));
    }
  }
  if (label.front() == '-' || label.back() == '-') {
    return make_error(Errc::invalid, "domain label starts or ends with a hyphen: " + log::kv(label));
  }
  return {};
}

}  // namespace

Result<std::string> normalize_domain(std::string_view text) {
  if (text.empty()) return make_error(Errc::invalid, "domain is empty");
  if (text.front() == '[') {
    return make_error(Errc::invalid, "address literals are not accepted as domains: " + log::kv(text));
  }
  for (char c : text) {
    if (is_non_ascii(c)) {
      return make_error(Errc::invalid, "domain contains non-ASCII characters (a U-label); give the A-label "
                                       "form (xn--...) instead: " + log::kv(text));
    }
  }
  if (text.size() > max_domain_octets) {
    return make_error(Errc::invalid, "domain longer than 253 octets (" + std::to_string(text.size()) + ")");
  }
  if (text.back() == '.') {
    return make_error(Errc::invalid, "domain ends with a dot: " + log::kv(text));
  }
  std::size_t labels = 0;
  std::string_view last_label;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = text.find('.', start);
    std::string_view label = text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (auto checked = check_label(label, text); !checked) return std::move(checked).error();
    ++labels;
    last_label = label;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (labels < 2) {
    return make_error(Errc::invalid, "domain needs at least two labels (like example.com): " + log::kv(text));
  }
  // RFC 3696 2: a top-level label is never all digits, so "1.2.3.4" is an IP
  // address written without brackets, not a domain.
  bool all_digits = true;
  for (char c : last_label) all_digits = all_digits && is_ascii_digit(c);
  if (all_digits) {
    return make_error(Errc::invalid, "domain's last label is all digits (an IP address is not a domain): " +
                                         log::kv(text));
  }
  return text::to_lower(text);
}

Result<Address> parse(std::string_view text, const ParseOptions& options) {
  if (text.empty()) return make_error(Errc::invalid, "address is empty");
  Address out;
  std::size_t at = 0;  // offset of the '@' that ends the local part
  if (text.front() == '"') {
    std::size_t end = 0;
    auto quoted = parse_quoted(text, end);
    if (!quoted) return std::move(quoted).error();
    if (end >= text.size() || text[end] != '@') {
      return make_error(Errc::invalid, "expected '@' after the quoted local part: " + log::kv(text));
    }
    if (quoted->empty()) return make_error(Errc::invalid, "local part is empty: " + log::kv(text));
    out.local = std::move(*quoted);
    at = end;
  } else {
    at = text.find('@');
    if (at == std::string_view::npos) return make_error(Errc::invalid, "address has no '@': " + log::kv(text));
    out.local = std::string(text.substr(0, at));
    if (out.local.empty() && !options.allow_catch_all) {
      return make_error(Errc::invalid, "local part is empty: " + log::kv(text));
    }
    if (!out.local.empty()) {
      if (auto checked = check_dot_string(out.local); !checked) return std::move(checked).error();
    }
  }
  if (at > max_local_octets) {
    return make_error(Errc::invalid, "local part longer than 64 octets (" + std::to_string(at) + ")");
  }
  if (auto checked = check_non_ascii(out.local, options); !checked) return std::move(checked).error();
  auto domain = normalize_domain(text.substr(at + 1));
  if (!domain) return std::move(domain).error();
  out.domain = std::move(*domain);
  return out;
}

std::string Address::str() const {
  if (local.empty()) return "@" + domain;
  if (is_dot_string(local)) return local + "@" + domain;
  std::string out = "\"";
  for (char c : local) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += "\"@";
  out += domain;
  return out;
}

std::string canonical(const Address& address) {
  Address folded{text::to_lower(address.local), text::to_lower(address.domain)};
  return folded.str();
}

}  // namespace tern::address
