#include "mime/content_type.hpp"

#include <algorithm>
#include <cstring>
#include <map>

#include "core/text.hpp"

namespace tern::mime {

namespace {

// RFC 2045 5.1 lexer: tokens, quoted strings and specials, skipping CFWS.
class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  void skip_cfws() {
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        ++pos_;
      } else if (c == '(') {
        int depth = 0;
        while (pos_ < s_.size()) {
          char d = s_[pos_++];
          if (d == '\\' && pos_ < s_.size()) ++pos_;
          else if (d == '(') ++depth;
          else if (d == ')' && --depth == 0) break;
        }
      } else {
        break;
      }
    }
  }
  bool at_end() {
    skip_cfws();
    return pos_ >= s_.size();
  }
  bool accept(char c) {
    skip_cfws();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  static bool is_token_char(char c) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return false;
    return std::strchr("()<>@,;:\\\"/[]?=", c) == nullptr;
  }
  std::optional<std::string> token() {
    skip_cfws();
    std::size_t start = pos_;
    while (pos_ < s_.size() && is_token_char(s_[pos_])) ++pos_;
    if (pos_ == start) return std::nullopt;
    return std::string(s_.substr(start, pos_ - start));
  }
  std::optional<std::string> value() {
    skip_cfws();
    if (pos_ < s_.size() && s_[pos_] == '"') {
      ++pos_;
      std::string out;
      while (pos_ < s_.size() && s_[pos_] != '"') {
        char c = s_[pos_++];
        if (c == '\\' && pos_ < s_.size()) c = s_[pos_++];
        if (c == '\r' || c == '\n') continue;  // folding inside quotes
        out.push_back(c);
      }
      if (pos_ < s_.size()) ++pos_;
      return out;
    }
    return token();
  }
  void skip_to(char c) {
    while (pos_ < s_.size() && s_[pos_] != c) {
      if (s_[pos_] == '"') {
        (void)value();
        continue;
      }
      ++pos_;
    }
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

Parameters parse_parameters(Lexer& lex) {
  Parameters raw;
  while (!lex.at_end()) {
    if (!lex.accept(';')) {
      lex.skip_to(';');
      if (!lex.accept(';')) break;
    }
    auto name = lex.token();
    if (!name) continue;
    if (!lex.accept('=')) continue;
    auto value = lex.value();
    if (!value) continue;
    raw.emplace_back(std::move(*name), std::move(*value));
  }
  return join_rfc2231(raw);
}

}  // namespace

Parameters join_rfc2231(const Parameters& raw) {
  Parameters plain;
  struct Joined {
    std::string base;
    bool extended = false;
    std::map<unsigned, std::string> sections;
  };
  std::vector<Joined> joined;
  for (const auto& [name, value] : raw) {
    auto star = name.find('*');
    if (star == std::string::npos) {
      plain.emplace_back(name, value);
      continue;
    }
    std::string base = name.substr(0, star);
    std::string_view rest = std::string_view(name).substr(star + 1);
    unsigned section = 0;
    bool extended = false;
    if (rest.empty()) {
      extended = true;
    } else {
      std::size_t i = 0;
      while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9' && section < 100000)
        section = section * 10 + static_cast<unsigned>(rest[i++] - '0');
      if (i == 0 || (i < rest.size() && !(rest.substr(i) == "*"))) {
        plain.emplace_back(name, value);  // not RFC 2231 after all
        continue;
      }
      extended = i < rest.size();
    }
    auto it =
        std::find_if(joined.begin(), joined.end(), [&](const Joined& j) { return text::iequals(j.base, base); });
    if (it == joined.end()) {
      joined.push_back(Joined{base, false, {}});
      it = joined.end() - 1;
    }
    it->extended = it->extended || extended;
    it->sections.emplace(section, value);
  }
  for (auto& j : joined) {
    std::string value;
    for (auto& [n, v] : j.sections) value += v;
    plain.emplace_back(j.extended ? j.base + "*" : j.base, std::move(value));
  }
  return plain;
}

std::optional<ContentType> parse_content_type(std::string_view value) {
  Lexer lex(value);
  auto type = lex.token();
  if (!type || !lex.accept('/')) return std::nullopt;
  auto subtype = lex.token();
  if (!subtype) return std::nullopt;
  ContentType ct{std::move(*type), std::move(*subtype), {}};
  ct.params = parse_parameters(lex);
  return ct;
}

std::optional<Disposition> parse_disposition(std::string_view value) {
  Lexer lex(value);
  auto type = lex.token();
  if (!type) return std::nullopt;
  Disposition d{std::move(*type), {}};
  d.params = parse_parameters(lex);
  return d;
}

std::string parse_token_value(std::string_view value) {
  Lexer lex(value);
  return lex.token().value_or("");
}

std::vector<std::string> parse_token_list(std::string_view value) {
  Lexer lex(value);
  std::vector<std::string> out;
  while (!lex.at_end()) {
    if (lex.accept(',')) continue;
    auto t = lex.token();
    if (!t) {
      lex.skip_to(',');
      continue;
    }
    out.push_back(std::move(*t));
  }
  return out;
}

const std::string* find_param(const Parameters& params, std::string_view name) {
  for (const auto& [n, v] : params)
    if (text::iequals(n, name)) return &v;
  return nullptr;
}

}  // namespace tern::mime
