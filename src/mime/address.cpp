#include "mime/address.hpp"

#include <cstring>

namespace tern::mime {

namespace {

bool is_atext(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x80) return true;  // RFC 6532: UTF-8 in headers
  if (u <= 0x20 || u == 0x7f) return false;
  return std::strchr("()<>[]:;@\\,.\"", c) == nullptr;
}

class AddressParser {
 public:
  explicit AddressParser(std::string_view s) : s_(s) {}

  std::vector<Address> parse_list() {
    std::vector<Address> out;
    if (!skip_lwsp()) return out;
    for (int guard = 0; guard < 100000; ++guard) {
      if (!parse_address(out)) break;
      if (!skip_lwsp()) break;
      if (peek() != ',') break;
      ++pos_;
      if (!skip_lwsp()) break;
    }
    return out;
  }

 private:
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool at_end() const { return pos_ >= s_.size(); }

  // Skips white space and comments, remembering the last comment's text.
  // False at the end of input.
  bool skip_lwsp() {
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        ++pos_;
      } else if (c == '(') {
        std::string comment;
        int depth = 0;
        while (pos_ < s_.size()) {
          char d = s_[pos_++];
          if (d == '\\' && pos_ < s_.size()) {
            comment.push_back(s_[pos_++]);
            continue;
          }
          if (d == '(' && depth++ == 0) continue;
          if (d == ')' && --depth == 0) break;
          comment.push_back(d);
        }
        last_comment_ = comment;
      } else {
        return true;
      }
    }
    return false;
  }

  std::string quoted_string() {
    std::string out;
    ++pos_;  // opening quote
    while (pos_ < s_.size() && s_[pos_] != '"') {
      char c = s_[pos_++];
      if (c == '\\' && pos_ < s_.size()) c = s_[pos_++];
      if (c == '\r' || c == '\n') continue;
      out.push_back(c);
    }
    if (pos_ < s_.size()) ++pos_;
    return out;
  }

  // phrase = 1*word, obs-phrase allows "." (RFC 5322 4.1); words joined by one space.
  std::string phrase(bool* had_quoted = nullptr) {
    std::string out;
    while (skip_lwsp()) {
      char c = peek();
      std::string word;
      if (c == '"') {
        word = quoted_string();
        if (had_quoted) *had_quoted = true;
      } else if (is_atext(c) || c == '.') {
        std::size_t start = pos_;
        while (pos_ < s_.size() && (is_atext(s_[pos_]) || s_[pos_] == '.')) ++pos_;
        word = std::string(s_.substr(start, pos_ - start));
      } else {
        break;
      }
      if (!out.empty()) out.push_back(' ');
      out += word;
    }
    return out;
  }

  // local-part = dot-atom / quoted-string / obs-local-part
  std::string local_part(bool* quoted) {
    std::string out;
    while (skip_lwsp()) {
      char c = peek();
      if (c == '"') {
        out += quoted_string();
        *quoted = true;
      } else if (is_atext(c)) {
        std::size_t start = pos_;
        while (pos_ < s_.size() && is_atext(s_[pos_])) ++pos_;
        out += s_.substr(start, pos_ - start);
      } else {
        break;
      }
      if (!skip_lwsp() || peek() != '.') break;
      out.push_back('.');
      ++pos_;
    }
    return out;
  }

  // domain = dot-atom / domain-literal; at '@'.
  std::string domain() {
    ++pos_;  // '@'
    std::string out;
    while (skip_lwsp()) {
      char c = peek();
      if (c == '[') {
        std::size_t start = pos_;
        while (pos_ < s_.size() && s_[pos_] != ']') {
          if (s_[pos_] == '\\') ++pos_;
          ++pos_;
        }
        if (pos_ < s_.size()) ++pos_;
        out += s_.substr(start, std::min(pos_, s_.size()) - start);
      } else if (is_atext(c)) {
        std::size_t start = pos_;
        while (pos_ < s_.size() && is_atext(s_[pos_])) ++pos_;
        out += s_.substr(start, pos_ - start);
      } else {
        break;
      }
      if (!skip_lwsp() || peek() != '.') break;
      out.push_back('.');
      ++pos_;
    }
    return out;
  }

  // angle-addr = "<" [obs-route] addr-spec ">"
  bool angle_addr(Address& a) {
    ++pos_;  // '<'
    if (!skip_lwsp()) return false;
    if (peek() == '@') {
      std::string route;
      while (peek() == '@') {
        if (!route.empty()) route.push_back(',');
        route.push_back('@');
        route += domain();
        if (!skip_lwsp()) return false;
        while (peek() == ',') {
          ++pos_;
          if (!skip_lwsp()) return false;
        }
      }
      if (peek() != ':') return false;
      ++pos_;
      a.route = route;
      if (!skip_lwsp()) return false;
    }
    if (peek() != '>') {
      bool quoted = false;
      a.mailbox = local_part(&quoted);
      if (peek() == '@') a.host = domain();
    }
    if (!skip_lwsp() || peek() != '>') return false;
    ++pos_;
    return true;
  }

  void parse_mailbox(std::vector<Address>& out) {
    Address a;
    std::size_t start = pos_;
    std::string display = phrase();
    if (peek() == '<') {
      if (!display.empty()) a.name = display;
      if (!angle_addr(a)) {
        // Broken angle address: keep what was read, skip to the next comma.
        while (pos_ < s_.size() && s_[pos_] != ',') ++pos_;
      }
    } else {
      pos_ = start;
      last_comment_.clear();
      bool quoted = false;
      std::string local = local_part(&quoted);
      bool has_at = peek() == '@';
      if (has_at) a.host = domain();
      skip_lwsp();
      if (!last_comment_.empty()) {
        a.name = last_comment_;
        a.mailbox = local;
      } else if (!has_at) {
        std::string more = phrase();
        if (!more.empty()) {
          a.name = local + " " + more;
        } else if (quoted) {
          a.name = local;  // "Display Only" (corpus 050)
        } else {
          a.mailbox = local;
        }
      } else {
        a.mailbox = local;
      }
    }
    if (!a.mailbox || a.mailbox->empty()) a.mailbox = "MISSING_MAILBOX";
    if (!a.host || a.host->empty()) a.host = "MISSING_DOMAIN";
    out.push_back(std::move(a));
  }

  // address = mailbox / group
  bool parse_address(std::vector<Address>& out) {
    std::size_t start = pos_;
    std::string name = phrase();
    if (peek() == ':') {
      ++pos_;
      out.push_back(Address{std::nullopt, std::nullopt, name, std::nullopt});
      while (skip_lwsp() && peek() != ';') {
        if (peek() == ',') {
          ++pos_;
          continue;
        }
        std::size_t before = pos_;
        parse_mailbox(out);
        if (!skip_lwsp()) break;
        if (peek() == ',') ++pos_;
        else if (peek() != ';' && pos_ == before) ++pos_;
        else if (peek() != ';') break;
      }
      if (peek() == ';') ++pos_;
      out.push_back(Address{});
      return true;
    }
    pos_ = start;
    std::size_t before = pos_;
    parse_mailbox(out);
    return pos_ != before || !at_end();
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  std::string last_comment_;
};

}  // namespace

std::vector<Address> parse_address_list(std::string_view value) {
  return AddressParser(value).parse_list();
}

}  // namespace tern::mime
