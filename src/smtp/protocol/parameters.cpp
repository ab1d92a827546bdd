// MAIL / RCPT argument parsing (RFC 5321 4.1.1.2-3 and 4.1.2, RFC 1870,
// RFC 6152, RFC 6531, RFC 3461, RFC 4954 5).
#include "smtp/protocol/parameters.hpp"

#include <limits>
#include <vector>

#include "core/dsn.hpp"
#include "core/text.hpp"

namespace tern::smtp {
namespace {

constexpr std::size_t max_envid_octets = 100;  // RFC 3461 4.4
constexpr std::size_t max_orcpt_octets = 500;  // RFC 3461 4.2

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

Refusal syntax_error(std::string text) { return Refusal{501, "5.5.4", std::move(text)}; }

// Parses 1*20DIGIT, saturating: a SIZE too large to count is simply too large.
std::optional<std::uint64_t> parse_count(std::string_view digits) {
  if (digits.empty() || digits.size() > 20) return std::nullopt;
  std::uint64_t value = 0;
  constexpr auto top = std::numeric_limits<std::uint64_t>::max();
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (top - digit) / 10) return top;
    value = value * 10 + digit;
  }
  return value;
}

struct Parameter {
  std::string_view keyword;
  std::optional<std::string_view> value;
};

// The path between '<' and the first '>' outside a quoted string, and what follows.
struct PathSplit {
  std::string_view path;
  std::string_view rest;
};

std::optional<PathSplit> split_path(std::string_view text) {
  if (text.empty() || text.front() != '<') return std::nullopt;
  bool quoted = false;
  for (std::size_t i = 1; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '\\') ++i;
      else if (c == '"') quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == '>') {
      return PathSplit{text.substr(1, i - 1), text.substr(i + 1)};
    }
  }
  return std::nullopt;
}

// esmtp-param = esmtp-keyword ["=" esmtp-value] (RFC 5321 4.1.2), separated by SP.
std::variant<std::vector<Parameter>, Refusal> split_parameters(std::string_view rest) {
  std::vector<Parameter> out;
  if (rest.empty()) return out;
  if (rest.front() != ' ') return syntax_error("Syntax error after the address");
  std::size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && rest[i] == ' ') ++i;
    if (i == rest.size()) break;
    std::size_t end = rest.find(' ', i);
    if (end == std::string_view::npos) end = rest.size();
    std::string_view token = rest.substr(i, end - i);
    i = end;
    Parameter parameter;
    const std::size_t equals = token.find('=');
    parameter.keyword = token.substr(0, equals);
    if (parameter.keyword.empty() || !is_alnum(parameter.keyword.front()))
      return syntax_error("Syntax error in parameters");
    for (char c : parameter.keyword)
      if (!is_alnum(c) && c != '-') return syntax_error("Syntax error in parameters");
    if (equals != std::string_view::npos) {
      std::string_view value = token.substr(equals + 1);
      if (value.empty()) return syntax_error("Syntax error in parameters");
      for (char c : value) {
        auto u = static_cast<unsigned char>(c);
        if (u < 33 || u == '=' || u == 127) return syntax_error("Syntax error in parameters");
      }
      parameter.value = value;
    }
    for (const Parameter& seen : out)
      if (text::iequals(seen.keyword, parameter.keyword))
        return syntax_error("Duplicate parameter " + std::string(parameter.keyword));
    out.push_back(parameter);
  }
  return out;
}

Refusal unsupported(std::string_view keyword) {
  return Refusal{555, "5.5.4", "Unsupported parameter " + std::string(keyword)};
}

bool has_non_ascii(std::string_view text) {
  for (char c : text)
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  return false;
}

// The prefix "FROM:" / "TO:", case-insensitive; some clients put spaces after the colon.
std::optional<std::string_view> after_prefix(std::string_view arguments, std::string_view prefix) {
  if (!text::istarts_with(arguments, prefix)) return std::nullopt;
  return text::trim_left(arguments.substr(prefix.size()), " ");
}

std::optional<Refusal> apply_mail_parameter(const Parameter& p, MailArguments& mail) {
  const std::string_view value = p.value.value_or(std::string_view{});
  if (text::iequals(p.keyword, "SIZE")) {
    auto size = p.value ? parse_count(value) : std::nullopt;
    if (!size) return syntax_error("Syntax: SIZE=<octets>");
    mail.size = size;
  } else if (text::iequals(p.keyword, "BODY")) {
    if (text::iequals(value, "7BIT")) mail.body = BodyType::seven_bit;
    else if (text::iequals(value, "8BITMIME")) mail.body = BodyType::eight_bit_mime;
    else if (text::iequals(value, "BINARYMIME")) return Refusal{555, "5.5.4", "BODY=BINARYMIME is not supported"};
    else return syntax_error("Syntax: BODY=7BIT|8BITMIME");
  } else if (text::iequals(p.keyword, "SMTPUTF8")) {
    if (p.value) return syntax_error("SMTPUTF8 takes no value");
    mail.smtputf8 = true;
  } else if (text::iequals(p.keyword, "RET")) {
    if (text::iequals(value, "FULL")) mail.ret = Ret::full;
    else if (text::iequals(value, "HDRS")) mail.ret = Ret::headers;
    else return syntax_error("Syntax: RET=FULL|HDRS");
  } else if (text::iequals(p.keyword, "ENVID")) {
    auto decoded = p.value && value.size() <= max_envid_octets ? xtext_decode(value) : std::nullopt;
    if (!decoded) return syntax_error("Syntax: ENVID=<xtext of at most 100 characters>");
    mail.envid = std::move(*decoded);
  } else if (text::iequals(p.keyword, "AUTH")) {
    // RFC 4954 5: the submitter claimed by a trusted relay; tern does not
    // trust relays with it, so the value is checked and dropped.
    if (!p.value || !xtext_decode(value)) return syntax_error("Syntax: AUTH=<xtext>");
  } else {
    return unsupported(p.keyword);
  }
  return std::nullopt;
}

std::optional<Refusal> apply_rcpt_parameter(const Parameter& p, Recipient& recipient) {
  const std::string_view value = p.value.value_or(std::string_view{});
  if (text::iequals(p.keyword, "NOTIFY")) {
    // RFC 3461 4.1: "NEVER" alone, or a list of SUCCESS, FAILURE, DELAY.
    if (!p.value) return syntax_error("Syntax: NOTIFY=NEVER|SUCCESS,FAILURE,DELAY");
    std::uint8_t bits = 0;
    std::size_t start = 0;
    while (start <= value.size()) {
      std::size_t end = value.find(',', start);
      if (end == std::string_view::npos) end = value.size();
      std::string_view word = value.substr(start, end - start);
      if (text::iequals(word, "NEVER")) bits |= dsn::notify::never;
      else if (text::iequals(word, "SUCCESS")) bits |= dsn::notify::success;
      else if (text::iequals(word, "FAILURE")) bits |= dsn::notify::failure;
      else if (text::iequals(word, "DELAY")) bits |= dsn::notify::delay;
      else return syntax_error("Syntax: NOTIFY=NEVER|SUCCESS,FAILURE,DELAY");
      start = end + 1;
    }
    if ((bits & dsn::notify::never) && bits != dsn::notify::never)
      return syntax_error("NOTIFY=NEVER cannot be combined with other values");
    recipient.notify = bits;
  } else if (text::iequals(p.keyword, "ORCPT")) {
    // RFC 3461 4.2: addr-type ";" xtext, addr-type an atom such as "rfc822".
    const std::size_t semicolon = value.find(';');
    if (!p.value || semicolon == std::string_view::npos || semicolon == 0 || value.size() > max_orcpt_octets)
      return syntax_error("Syntax: ORCPT=<type>;<xtext>");
    std::string_view type = value.substr(0, semicolon);
    for (char c : type)
      if (!is_alnum(c) && c != '-') return syntax_error("Syntax: ORCPT=<type>;<xtext>");
    auto decoded = xtext_decode(value.substr(semicolon + 1));
    if (!decoded || decoded->empty()) return syntax_error("Syntax: ORCPT=<type>;<xtext>");
    recipient.orcpt = std::string(type) + ";" + *decoded;
  } else {
    return unsupported(p.keyword);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> xtext_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  auto hex_value = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    if (text[i] == '+') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else if (u < 33 || u > 126 || text[i] == '=') {
      return std::nullopt;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string xtext_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126 || c == '+' || c == '=') {
      out += '+';
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

std::variant<MailArguments, Refusal> parse_mail_arguments(std::string_view arguments) {
  auto rest = after_prefix(arguments, "FROM:");
  auto split = rest ? split_path(*rest) : std::nullopt;
  if (!split) return syntax_error("Syntax: MAIL FROM:<address>");
  auto parameters = split_parameters(split->rest);
  if (auto* refusal = std::get_if<Refusal>(&parameters)) return std::move(*refusal);

  MailArguments mail;
  for (const Parameter& p : std::get<std::vector<Parameter>>(parameters))
    if (auto refusal = apply_mail_parameter(p, mail)) return std::move(*refusal);

  std::string_view path = split->path;
  if (path.empty()) return mail;  // the null reverse-path, for bounces
  if (path.front() == '@') {
    // RFC 5321 4.1.1.3 / appendix C: a source route in MAIL is accepted and ignored.
    const std::size_t colon = path.find(':');
    if (colon == std::string_view::npos) return Refusal{501, "5.1.7", "Bad sender address syntax"};
    path.remove_prefix(colon + 1);
  }
  if (has_non_ascii(path) && !mail.smtputf8)
    return Refusal{553, "5.6.7", "A non-ASCII sender address needs the SMTPUTF8 parameter"};
  auto sender = address::parse(path, address::ParseOptions{.allow_utf8 = mail.smtputf8});
  if (!sender) return Refusal{501, "5.1.7", "Bad sender address syntax: " + sender.error().message};
  mail.sender = std::move(*sender);
  return mail;
}

std::variant<Recipient, Refusal> parse_rcpt_arguments(std::string_view arguments, bool smtputf8,
                                                      std::string_view postmaster_domain) {
  auto rest = after_prefix(arguments, "TO:");
  auto split = rest ? split_path(*rest) : std::nullopt;
  if (!split) return syntax_error("Syntax: RCPT TO:<address>");
  auto parameters = split_parameters(split->rest);
  if (auto* refusal = std::get_if<Refusal>(&parameters)) return std::move(*refusal);

  Recipient recipient;
  for (const Parameter& p : std::get<std::vector<Parameter>>(parameters))
    if (auto refusal = apply_rcpt_parameter(p, recipient)) return std::move(*refusal);

  const std::string_view path = split->path;
  if (path.empty()) return Refusal{501, "5.1.3", "A recipient address is required"};
  // Source routes are honoured by nobody today; in RCPT they only serve to
  // make a relay forward elsewhere, so tern refuses them outright.
  if (path.front() == '@') return Refusal{553, "5.1.0", "Source routes are not accepted"};
  if (text::iequals(path, "postmaster")) {
    recipient.address = address::Address{"postmaster", std::string(postmaster_domain)};
    recipient.postmaster = true;
    return recipient;
  }
  if (has_non_ascii(path) && !smtputf8)
    return Refusal{553, "5.6.7", "A non-ASCII recipient address needs SMTPUTF8 in MAIL"};
  auto parsed = address::parse(path, address::ParseOptions{.allow_utf8 = smtputf8});
  if (!parsed) return Refusal{501, "5.1.3", "Bad recipient address syntax: " + parsed.error().message};
  recipient.address = std::move(*parsed);
  return recipient;
}

}  // namespace tern::smtp
