// IMAP tokens (RFC 9051 4 and 9). See lexer.hpp.
#include "imap/protocol/lexer.hpp"

#include <array>
#include <cctype>

#include "core/text.hpp"

namespace tern::imap {
namespace {

bool is_ctl(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

bool is_list_char(char c) { return is_atom_char(c) || c == '%' || c == '*' || c == ']'; }

constexpr std::array<std::string_view, 12> months = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                     "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};

int days_in_month(int year, int month) {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : days[month - 1];
}

}  // namespace

bool is_atom_char(char c) {
  if (static_cast<unsigned char>(c) >= 0x80 || is_ctl(c)) return false;
  switch (c) {
    case '(': case ')': case '{': case ' ': case '%': case '*': case '"': case '\\': case ']': return false;
    default: return true;
  }
}

bool Lexer::fail(std::string_view reason) {
  if (error_.empty()) error_ = reason;
  return false;
}

bool Lexer::consume(char c) {
  if (failed() || peek() != c || pos_ >= text_.size()) return false;
  ++pos_;
  return true;
}

bool Lexer::expect(char c, std::string_view what) { return consume(c) || fail(what); }

bool Lexer::at_end() const {
  const std::string_view rest = text_.substr(pos_);
  return rest.empty() || rest == "\r\n";
}

bool Lexer::expect_end() {
  if (failed()) return false;
  if (!at_end()) return fail("unexpected text after the command");
  pos_ = text_.size();
  return true;
}

bool Lexer::consume_word(std::string_view word) {
  if (failed() || text_.size() - pos_ < word.size()) return false;
  if (!text::iequals(text_.substr(pos_, word.size()), word)) return false;
  const std::size_t after = pos_ + word.size();
  if (after < text_.size() && is_atom_char(text_[after])) return false;
  pos_ = after;
  return true;
}

bool Lexer::open() { return expect('(', "expected '('") && enter(); }

bool Lexer::enter() {
  if (++depth_ > max_depth_) return fail("too deeply nested");
  return true;
}

bool Lexer::close() {
  if (!expect(')', "expected ')'")) return false;
  --depth_;
  return true;
}

std::optional<std::string> Lexer::tag() {
  const std::size_t start = pos_;
  while (pos_ < text_.size() && (is_atom_char(text_[pos_]) || text_[pos_] == ']') && text_[pos_] != '+') ++pos_;
  if (pos_ == start) {
    fail("missing or invalid tag");
    return std::nullopt;
  }
  return std::string(text_.substr(start, pos_ - start));
}

std::optional<std::string> Lexer::atom() {
  if (failed()) return std::nullopt;
  const std::size_t start = pos_;
  while (pos_ < text_.size() && is_atom_char(text_[pos_])) ++pos_;
  if (pos_ == start) {
    fail("expected an atom");
    return std::nullopt;
  }
  return std::string(text_.substr(start, pos_ - start));
}

std::optional<std::string> Lexer::quoted() {
  if (!expect('"', "expected '\"'")) return std::nullopt;
  std::string out;
  while (pos_ < text_.size()) {
    const char c = text_[pos_++];
    if (c == '"') return out;
    if (c == '\\') {
      if (pos_ < text_.size() && (text_[pos_] == '"' || text_[pos_] == '\\')) {
        out += text_[pos_++];
        continue;
      }
      fail("invalid escape in quoted string");
      return std::nullopt;
    }
    if (c == '\r' || c == '\n' || c == '\0') break;
    out += c;  // 8-bit octets: UTF-8 quoted strings (RFC 9051 9 "utf8-quoted")
  }
  fail("unterminated quoted string");
  return std::nullopt;
}

// The reader has already bounded the size and gathered the bytes; here a
// literal can only point inside the text it came with.
std::optional<std::string> Lexer::literal(bool allow_binary, bool* binary, std::shared_ptr<Spool>* spooled) {
  if (failed()) return std::nullopt;
  const bool is_binary = peek() == '~';
  if (is_binary) {
    if (!allow_binary) {
      fail("literal8 not allowed here");
      return std::nullopt;
    }
    ++pos_;
  }
  if (!expect('{', "expected a literal")) return std::nullopt;
  std::uint64_t size = 0;
  const std::size_t start = pos_;
  while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
    size = size * 10 + static_cast<std::uint64_t>(text_[pos_++] - '0');
    if (size > text_.size() && spooled_.empty()) {
      fail("literal larger than the command");
      return std::nullopt;
    }
    if (size > (std::uint64_t{1} << 62)) {
      fail("invalid literal size");
      return std::nullopt;
    }
  }
  if (pos_ == start) {
    fail("invalid literal size");
    return std::nullopt;
  }
  consume('+');
  if (!expect('}', "invalid literal") || !expect('\r', "literal must end its line") ||
      !expect('\n', "literal must end its line")) {
    return std::nullopt;
  }
  for (const SpooledLiteral& s : spooled_) {
    if (s.offset != pos_ || !s.spool) continue;
    if (spooled == nullptr) {
      fail("literal too large here");
      return std::nullopt;
    }
    *spooled = s.spool;
    if (binary) *binary = is_binary;
    return std::string();
  }
  if (text_.size() - pos_ < size) {
    fail("literal shorter than announced");
    return std::nullopt;
  }
  std::string out(text_.substr(pos_, size));
  pos_ += size;
  // RFC 9051 4.3: only literal8 may carry NUL.
  if (!is_binary && out.find('\0') != std::string::npos) {
    fail("NUL in a literal");
    return std::nullopt;
  }
  if (binary) *binary = is_binary;
  return out;
}

std::optional<std::string> Lexer::string() {
  if (failed()) return std::nullopt;
  if (peek() == '"') return quoted();
  if (peek() == '{') return literal(false);
  fail("expected a string");
  return std::nullopt;
}

std::optional<std::string> Lexer::astring() {
  if (failed()) return std::nullopt;
  if (peek() == '"' || peek() == '{') return string();
  const std::size_t start = pos_;
  while (pos_ < text_.size() && (is_atom_char(text_[pos_]) || text_[pos_] == ']')) ++pos_;
  if (pos_ == start) {
    fail("expected an astring");
    return std::nullopt;
  }
  return std::string(text_.substr(start, pos_ - start));
}

std::optional<std::string> Lexer::nstring() {
  if (consume_nil()) return std::nullopt;
  return string();
}

std::optional<std::string> Lexer::list_mailbox() {
  if (failed()) return std::nullopt;
  if (peek() == '"' || peek() == '{') return string();
  const std::size_t start = pos_;
  while (pos_ < text_.size() && is_list_char(text_[pos_])) ++pos_;
  if (pos_ == start) {
    fail("expected a mailbox pattern");
    return std::nullopt;
  }
  return std::string(text_.substr(start, pos_ - start));
}

std::optional<std::uint64_t> Lexer::number64() {
  if (failed()) return std::nullopt;
  const std::size_t start = pos_;
  std::uint64_t n = 0;
  while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
    const auto digit = static_cast<std::uint64_t>(text_[pos_++] - '0');
    // number64 (RFC 9051 9) stops at 2^63-1.
    if (n > (0x7fffffffffffffffull - digit) / 10) {
      fail("number too large");
      return std::nullopt;
    }
    n = n * 10 + digit;
  }
  if (pos_ == start) {
    fail("expected a number");
    return std::nullopt;
  }
  return n;
}

std::optional<std::uint32_t> Lexer::number() {
  auto n = number64();
  if (!n) return std::nullopt;
  if (*n > 0xffffffffu) {
    fail("number too large");
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(*n);
}

std::optional<std::uint32_t> Lexer::nz_number() {
  auto n = number();
  if (n && *n == 0) {
    fail("number must not be zero");
    return std::nullopt;
  }
  return n;
}

std::optional<std::string> Lexer::flag_token(bool allow_star) {
  if (failed()) return std::nullopt;
  if (consume('\\')) {
    if (allow_star && consume('*')) return std::string("\\*");
    auto name = atom();
    if (!name) return std::nullopt;
    return "\\" + *name;
  }
  return atom();
}

std::optional<std::string> Lexer::flag() { return flag_token(false); }

std::optional<std::vector<std::string>> Lexer::flag_list(bool allow_star) {
  if (!open()) return std::nullopt;
  std::vector<std::string> flags;
  if (!consume(')')) {
    do {
      auto f = flag_token(allow_star);
      if (!f) return std::nullopt;
      flags.push_back(std::move(*f));
    } while (consume(' '));
    if (!expect(')', "expected ')' after the flags")) return std::nullopt;
  }
  --depth_;
  return flags;
}

std::optional<SequenceSet> Lexer::sequence_set() {
  if (failed()) return std::nullopt;
  const std::size_t start = pos_;
  while (pos_ < text_.size() && (std::isdigit(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == ':' ||
                                 text_[pos_] == ',' || text_[pos_] == '*' || text_[pos_] == '$')) {
    ++pos_;
  }
  auto set = parse_sequence_set(text_.substr(start, pos_ - start));
  if (!set) fail("invalid sequence set");
  return set;
}

std::optional<int> Lexer::digits(std::size_t count) {
  if (text_.size() - pos_ < count) return std::nullopt;
  int n = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const char c = text_[pos_ + i];
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  pos_ += count;
  return n;
}

std::optional<Date> Lexer::date_text() {
  Date d;
  std::optional<int> day = digits(2);
  if (!day) day = digits(1);
  if (!day || !consume('-') || text_.size() - pos_ < 4) return std::nullopt;
  const std::string_view month = text_.substr(pos_, 3);
  int m = 0;
  for (std::size_t i = 0; i < months.size(); ++i) {
    if (text::iequals(months[i], month)) m = static_cast<int>(i) + 1;
  }
  if (m == 0) return std::nullopt;
  pos_ += 3;
  if (!consume('-')) return std::nullopt;
  auto year = digits(4);
  if (!year || *day < 1 || *day > days_in_month(*year, m)) return std::nullopt;
  d.year = *year;
  d.month = m;
  d.day = *day;
  return d;
}

std::optional<Date> Lexer::date() {
  if (failed()) return std::nullopt;
  const bool quoted_form = consume('"');
  auto d = date_text();
  if (!d || (quoted_form && !consume('"'))) {
    fail("invalid date (expected dd-Mon-yyyy)");
    return std::nullopt;
  }
  return d;
}

std::optional<DateTime> Lexer::date_time() {
  if (failed()) return std::nullopt;
  auto bad = [this]() -> std::optional<DateTime> {
    fail("invalid date-time (expected \"dd-Mon-yyyy hh:mm:ss +zzzz\")");
    return std::nullopt;
  };
  if (!consume('"')) return bad();
  consume(' ');  // date-day-fixed: a space instead of a leading zero
  DateTime dt;
  auto d = date_text();
  if (!d || !consume(' ')) return bad();
  dt.date = *d;
  auto h = digits(2);
  if (!h || !consume(':')) return bad();
  auto mi = digits(2);
  if (!mi || !consume(':')) return bad();
  auto s = digits(2);
  if (!s || !consume(' ')) return bad();
  const char sign = peek();
  if (sign != '+' && sign != '-') return bad();
  ++pos_;
  auto zone = digits(4);
  if (!zone || !consume('"')) return bad();
  if (*h > 23 || *mi > 59 || *s > 60 || *zone % 100 > 59 || *zone > 2359) return bad();
  dt.hour = *h;
  dt.minute = *mi;
  dt.second = *s;
  dt.zone_minutes = (*zone / 100 * 60 + *zone % 100) * (sign == '-' ? -1 : 1);
  return dt;
}

}  // namespace tern::imap
