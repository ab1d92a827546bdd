// The tokens of the IMAP grammar (RFC 9051 9) read from one command's text:
// atoms, tags, quoted strings with escapes, literals and literal8, astrings,
// nstrings, numbers, flags, sequence sets, dates. The first failure is kept
// with a reason for the BAD response; later calls then fail too.
//   RFC 9051 4.1-4.5 (data formats), 9 (grammar), RFC 6855 (UTF-8 in quoted
//   strings), RFC 3516 (literal8), RFC 7888 (the "+" of literals).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "imap/protocol/command.hpp"

namespace tern::imap {

class Lexer {
 public:
  Lexer(std::string_view text, unsigned max_depth, std::span<const SpooledLiteral> spooled = {})
      : text_(text), max_depth_(max_depth), spooled_(spooled) {}

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  // Records the first failure; returns false so callers can `return lexer.fail(...)`.
  bool fail(std::string_view reason);

  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool consume(char c);
  bool expect(char c, std::string_view what);
  bool sp() { return expect(' ', "expected a space"); }
  // CRLF (or nothing) where the command must end.
  bool at_end() const;
  bool expect_end();
  // Consumes `word` case-insensitively when it is the next whole token.
  bool consume_word(std::string_view word);

  // Parentheses with the nesting bound.
  bool open();
  bool close();
  // Recursion without parentheses (SEARCH NOT and OR) counts against the same bound.
  bool enter();
  void leave() { --depth_; }

  std::optional<std::string> tag();
  std::optional<std::string> atom();             // upper-case folding is the caller's
  std::optional<std::string> string();            // quoted or literal
  std::optional<std::string> astring();
  std::optional<std::string> nstring();           // nullopt value through `is_nil`
  std::optional<std::string> list_mailbox();
  // literal8 or literal; *binary tells which. A literal the reader spooled
  // is given through *spooled (the string is then empty); where `spooled`
  // is null, such a literal fails as too large.
  std::optional<std::string> literal(bool allow_binary, bool* binary = nullptr,
                                     std::shared_ptr<Spool>* spooled = nullptr);
  std::optional<std::uint32_t> number();
  std::optional<std::uint32_t> nz_number();
  std::optional<std::uint64_t> number64();
  std::optional<std::string> flag();              // "\Seen", "$Junk", "\*" only when allow_star
  std::optional<std::vector<std::string>> flag_list(bool allow_star = false);
  std::optional<SequenceSet> sequence_set();
  std::optional<Date> date();                     // date-text or "date-text"
  std::optional<DateTime> date_time();            // DQUOTE date-time DQUOTE
  // NIL as a whole token.
  bool consume_nil() { return consume_word("NIL"); }

  std::size_t position() const { return pos_; }

 private:
  std::optional<std::string> quoted();
  std::optional<std::string> flag_token(bool allow_star);
  std::optional<Date> date_text();
  std::optional<int> digits(std::size_t count);

  std::string_view text_;
  std::size_t pos_ = 0;
  unsigned depth_ = 0;
  unsigned max_depth_;
  std::span<const SpooledLiteral> spooled_;
  std::string error_;
};

bool is_atom_char(char c);

}  // namespace tern::imap
