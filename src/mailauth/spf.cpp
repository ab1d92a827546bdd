#include "mailauth/spf.hpp"

#include <asio/ip/address_v4.hpp>
#include <asio/ip/address_v6.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "core/text.hpp"

namespace tern::spf {

std::string_view status_name(Status status) {
  switch (status) {
    case Status::none: return "none";
    case Status::neutral: return "neutral";
    case Status::pass: return "pass";
    case Status::fail: return "fail";
    case Status::softfail: return "softfail";
    case Status::temperror: return "temperror";
    case Status::permerror: return "permerror";
  }
  return "permerror";
}

namespace {

bool alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool digit(char c) { return c >= '0' && c <= '9'; }
bool alphanum(char c) { return alpha(c) || digit(c); }

bool macro_letter(char c, bool explanation) {
  switch (text::ascii_lower(c)) {
    case 's': case 'l': case 'o': case 'd': case 'i': case 'p': case 'h': case 'v': return true;
    case 'c': case 'r': case 't': return explanation;
    default: return false;
  }
}

bool delimiter(char c) {
  return c == '.' || c == '-' || c == '+' || c == ',' || c == '/' || c == '_' || c == '=';
}

// toplabel (RFC 7208 7.1): letters, digits and inner hyphens, not all digits.
bool toplabel(std::string_view label) {
  if (label.empty() || label.front() == '-' || label.back() == '-') return false;
  bool has_alpha = false;
  for (char c : label) {
    if (!alphanum(c) && c != '-') return false;
    has_alpha = has_alpha || alpha(c);
  }
  return has_alpha || label.find('-') != std::string_view::npos;
}

// A domain-spec: a valid macro-string ending in a macro or "." toplabel ["."].
bool valid_domain_spec(std::string_view spec) {
  if (spec.empty() || !valid_macro_string(spec, false)) return false;
  if (spec.back() == '}') return true;
  if (spec.size() >= 2 && spec[spec.size() - 2] == '%' && (spec.back() == '%' || spec.back() == '_' || spec.back() == '-')) {
    // "%%", "%_" or "%-" at the end, unless that "%" is itself escaped.
    std::size_t percents = 0;
    for (std::size_t i = spec.size() - 1; i-- > 0 && spec[i] == '%';) ++percents;
    if (percents % 2 == 1) return true;
  }
  std::string_view literal = spec;
  if (literal.back() == '.') literal.remove_suffix(1);
  auto dot = literal.rfind('.');
  if (dot == std::string_view::npos) return false;
  return toplabel(literal.substr(dot + 1));
}

// A CIDR length "/N": "0" or digits without a leading zero, at most `max`.
std::optional<unsigned> cidr_length(std::string_view digits, unsigned max) {
  if (digits.empty() || digits.size() > 3 || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
  unsigned value = 0;
  for (char c : digits) {
    if (!digit(c)) return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > max) return std::nullopt;
  return value;
}

// ip4-network (RFC 7208 12): four decimal octets without leading zeros.
std::optional<asio::ip::address_v4> ip4_network(std::string_view text) {
  asio::ip::address_v4::bytes_type bytes{};
  std::size_t part = 0;
  while (true) {
    auto end = text.find('.');
    std::string_view number = text.substr(0, end);
    if (number.empty() || number.size() > 3 || (number.size() > 1 && number[0] == '0')) return std::nullopt;
    unsigned value = 0;
    for (char c : number) {
      if (!digit(c)) return std::nullopt;
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value > 255 || part >= 4) return std::nullopt;
    bytes[part++] = static_cast<unsigned char>(value);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  if (part != 4) return std::nullopt;
  return asio::ip::address_v4(bytes);
}

::tern::Error syntax(std::string_view term, std::string_view what) {
  return make_error(Errc::invalid, fmt::format("{}: {}", term, what));
}

// Splits a trailing dual-cidr-length ("/24", "//64", "/24//64") off `rest`.
::tern::Result<void> split_dual_cidr(std::string_view& rest, Mechanism& m) {
  auto take = [&](std::string_view marker, unsigned max, unsigned& out) -> bool {
    auto at = rest.rfind(marker);
    if (at == std::string_view::npos) return true;
    std::string_view digits = rest.substr(at + marker.size());
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), digit)) return true;  // not a length
    auto length = cidr_length(digits, max);
    if (!length) return false;
    out = *length;
    rest = rest.substr(0, at);
    return true;
  };
  // "//N" first, then "/N" on what is left; "a//64" leaves "a".
  auto v6 = rest.rfind("//");
  if (v6 != std::string_view::npos) {
    std::string_view digits = rest.substr(v6 + 2);
    if (!digits.empty() && std::all_of(digits.begin(), digits.end(), digit)) {
      if (!take("//", 128, m.cidr6)) return syntax(m.text, "bad IPv6 prefix length");
    }
  }
  if (!take("/", 32, m.cidr4)) return syntax(m.text, "bad IPv4 prefix length");
  return {};
}

::tern::Result<Mechanism> parse_mechanism(std::string_view term) {
  Mechanism m;
  m.text = std::string(term);
  switch (term.front()) {
    case '+': m.qualifier = Status::pass; term.remove_prefix(1); break;
    case '-': m.qualifier = Status::fail; term.remove_prefix(1); break;
    case '~': m.qualifier = Status::softfail; term.remove_prefix(1); break;
    case '?': m.qualifier = Status::neutral; term.remove_prefix(1); break;
    default: break;
  }
  std::size_t name_end = 0;
  while (name_end < term.size() && alpha(term[name_end]) ) ++name_end;
  while (name_end < term.size() && alphanum(term[name_end])) ++name_end;
  const std::string name = text::to_lower(term.substr(0, name_end));
  std::string_view rest = term.substr(name_end);

  auto domain_after_colon = [&](bool required) -> ::tern::Result<void> {
    if (rest.empty()) {
      if (required) return syntax(m.text, "a domain is required");
      return {};
    }
    if (rest.front() != ':') return syntax(m.text, "unexpected text after the mechanism");
    rest.remove_prefix(1);
    if (!valid_domain_spec(rest)) return syntax(m.text, "invalid domain-spec");
    m.domain_spec = std::string(rest);
    return {};
  };

  if (name == "all") {
    m.kind = Kind::all;
    if (!rest.empty()) return syntax(m.text, "\"all\" takes no argument");
  } else if (name == "include" || name == "exists") {
    m.kind = name == "include" ? Kind::include : Kind::exists;
    if (auto r = domain_after_colon(true); !r) return std::move(r).error();
  } else if (name == "a" || name == "mx") {
    m.kind = name == "a" ? Kind::a : Kind::mx;
    if (auto r = split_dual_cidr(rest, m); !r) return std::move(r).error();
    if (auto r = domain_after_colon(false); !r) return std::move(r).error();
  } else if (name == "ptr") {
    m.kind = Kind::ptr;
    if (auto r = domain_after_colon(false); !r) return std::move(r).error();
  } else if (name == "ip4") {
    m.kind = Kind::ip4;
    if (rest.empty() || rest.front() != ':') return syntax(m.text, "an address is required");
    rest.remove_prefix(1);
    auto slash = rest.find('/');
    if (slash != std::string_view::npos) {
      auto length = cidr_length(rest.substr(slash + 1), 32);
      if (!length) return syntax(m.text, "bad IPv4 prefix length");
      m.cidr4 = *length;
      rest = rest.substr(0, slash);
    }
    auto address = ip4_network(rest);
    if (!address) return syntax(m.text, "bad IPv4 address");
    auto bytes = address->to_bytes();
    std::copy(bytes.begin(), bytes.end(), m.network.begin());
  } else if (name == "ip6") {
    m.kind = Kind::ip6;
    if (rest.empty() || rest.front() != ':') return syntax(m.text, "an address is required");
    rest.remove_prefix(1);
    auto slash = rest.find('/');
    if (slash != std::string_view::npos) {
      auto length = cidr_length(rest.substr(slash + 1), 128);
      if (!length) return syntax(m.text, "bad IPv6 prefix length");
      m.cidr6 = *length;
      rest = rest.substr(0, slash);
    }
    if (rest.empty() || rest.find('%') != std::string_view::npos) return syntax(m.text, "bad IPv6 address");
    asio::error_code ec;
    auto address = asio::ip::make_address_v6(std::string(rest), ec);
    if (ec) return syntax(m.text, "bad IPv6 address");
    m.network = address.to_bytes();
  } else {
    return syntax(m.text, "unknown mechanism");
  }
  return m;
}

// RFC 3986 unreserved characters stay, everything else is %XX.
std::string url_escape(std::string_view in) {
  std::string out;
  for (char c : in) {
    if (alphanum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

// RFC 7208 7.4's form: "1.0.B.C.0.0...".
std::string dotted_nibbles(const asio::ip::address_v6& address) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char b : address.to_bytes()) {
    if (!out.empty()) out += '.';
    out += hex[b >> 4];
    out += '.';
    out += hex[b & 0xf];
  }
  return out;
}

std::string macro_value(char letter, const MacroInput& in) {
  switch (text::ascii_lower(letter)) {
    case 's': return std::string(in.sender);
    case 'l': return std::string(in.local);
    case 'o': return std::string(in.sender_domain);
    case 'd': return std::string(in.domain);
    case 'i': return in.ip.is_v4() ? in.ip.to_string() : dotted_nibbles(in.ip.to_v6());
    case 'p': return std::string(in.validated.empty() ? "unknown" : in.validated);
    case 'v': return in.ip.is_v4() ? "in-addr" : "ip6";
    case 'h': return std::string(in.helo);
    case 'c': return in.ip.to_string();
    case 'r': return std::string(in.receiver.empty() ? "unknown" : in.receiver);
    case 't': return std::to_string(in.now);
    default: return {};
  }
}

// One "%{...}" body: letter, transformers and delimiters, already checked.
std::string expand_macro(std::string_view body, const MacroInput& in) {
  const char letter = body.front();
  body.remove_prefix(1);
  std::size_t keep = 0;
  while (!body.empty() && digit(body.front())) {
    keep = std::min<std::size_t>(keep * 10 + static_cast<std::size_t>(body.front() - '0'), 1000);
    body.remove_prefix(1);
  }
  bool reverse = false;
  if (!body.empty() && text::ascii_lower(body.front()) == 'r') {
    reverse = true;
    body.remove_prefix(1);
  }
  std::string_view delimiters = body.empty() ? std::string_view(".") : body;
  std::string value = macro_value(letter, in);
  if (keep > 0 || reverse || !body.empty()) {
    std::vector<std::string_view> parts;
    std::string_view rest = value;
    while (true) {
      auto at = rest.find_first_of(delimiters);
      parts.push_back(rest.substr(0, at));
      if (at == std::string_view::npos) break;
      rest.remove_prefix(at + 1);
    }
    if (reverse) std::reverse(parts.begin(), parts.end());
    if (keep > 0 && keep < parts.size()) parts.erase(parts.begin(), parts.end() - static_cast<std::ptrdiff_t>(keep));
    std::string joined;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (i > 0) joined += '.';
      joined += parts[i];
    }
    value = std::move(joined);
  }
  return alpha(letter) && letter >= 'A' && letter <= 'Z' ? url_escape(value) : value;
}

}  // namespace

bool is_spf_record(std::string_view txt) {
  if (txt.size() < 6 || !text::iequals(txt.substr(0, 6), "v=spf1")) return false;
  return txt.size() == 6 || txt[6] == ' ';
}

bool valid_macro_string(std::string_view text, bool explanation) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 1 >= text.size()) return false;
      const char next = text[i + 1];
      if (next == '%' || next == '_' || next == '-') {
        ++i;
        continue;
      }
      if (next != '{') return false;
      auto close = text.find('}', i + 2);
      if (close == std::string_view::npos) return false;
      std::string_view body = text.substr(i + 2, close - i - 2);
      if (body.empty() || !macro_letter(body.front(), explanation)) return false;
      body.remove_prefix(1);
      std::size_t digits = 0;
      while (!body.empty() && digit(body.front())) {
        if (digits == 0 && body.front() == '0') return false;  // "0" keeps nothing: an error
        ++digits;
        body.remove_prefix(1);
      }
      if (!body.empty() && text::ascii_lower(body.front()) == 'r') body.remove_prefix(1);
      for (char d : body)
        if (!delimiter(d)) return false;
      i = close;
      continue;
    }
    const auto u = static_cast<unsigned char>(c);
    if (u == ' ' && explanation) continue;
    if (u < 0x21 || u > 0x7e) return false;
  }
  return true;
}

bool uses_validated_name(std::string_view text) {
  for (std::size_t i = 0; i + 2 < text.size(); ++i) {
    if (text[i] != '%') continue;
    if (text[i + 1] == '{' && text::ascii_lower(text[i + 2]) == 'p') return true;
    ++i;  // skip the escaped character of "%%", "%_", "%-"
  }
  return false;
}

std::string expand(std::string_view text, const MacroInput& input) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%' || i + 1 >= text.size()) {
      out += text[i];
      continue;
    }
    const char next = text[i + 1];
    if (next == '%') {
      out += '%';
      ++i;
    } else if (next == '_') {
      out += ' ';
      ++i;
    } else if (next == '-') {
      out += "%20";
      ++i;
    } else if (next == '{') {
      auto close = text.find('}', i + 2);
      if (close == std::string_view::npos) break;
      if (close > i + 2) out += expand_macro(text.substr(i + 2, close - i - 2), input);
      i = close;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string expand_domain(std::string_view spec, const MacroInput& input) {
  std::string out = expand(spec, input);
  if (!out.empty() && out.back() == '.') out.pop_back();
  while (out.size() > 253) {
    auto dot = out.find('.');
    if (dot == std::string::npos) break;
    out.erase(0, dot + 1);
  }
  return out;
}

::tern::Result<Record> parse_record(std::string_view txt) {
  if (!is_spf_record(txt)) return make_error(Errc::invalid, "not an SPF record");
  Record record;
  std::string_view rest = txt.substr(6);
  while (!rest.empty()) {
    if (rest.front() == ' ') {
      rest.remove_prefix(1);
      continue;
    }
    auto end = rest.find(' ');
    std::string_view term = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    // A modifier is name "=" ...; a mechanism has no "=" before any ":" or "/".
    std::size_t name_end = 0;
    if (alpha(term.front())) {
      name_end = 1;
      while (name_end < term.size() && (alphanum(term[name_end]) || term[name_end] == '-' || term[name_end] == '_' ||
                                        term[name_end] == '.'))
        ++name_end;
    }
    if (name_end > 0 && name_end < term.size() && term[name_end] == '=') {
      const std::string name = text::to_lower(term.substr(0, name_end));
      std::string_view value = term.substr(name_end + 1);
      if (name == "redirect" || name == "exp") {
        auto& slot = name == "redirect" ? record.redirect : record.exp;
        if (slot) return syntax(term, "given twice");
        if (!valid_domain_spec(value)) return syntax(term, "invalid domain-spec");
        slot = std::string(value);
      } else if (!valid_macro_string(value, false)) {
        return syntax(term, "invalid macro-string");
      }
      continue;
    }
    auto mechanism = parse_mechanism(term);
    if (!mechanism) return std::move(mechanism).error();
    record.mechanisms.push_back(std::move(*mechanism));
  }
  return record;
}

}  // namespace tern::spf
