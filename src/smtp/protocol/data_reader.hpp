// The message text of one transaction, read incrementally: after DATA
// (dot-stuffed, ended by CRLF "." CRLF, RFC 5321 4.1.1.4 and 4.5.2) or in BDAT
// chunks (octet-counted, RFC 3030 2). Bytes may arrive in any split, one at a
// time included; nothing here waits for more than it is given.
//
// Policy, chosen for safety and documented here:
//  - End of data is recognised ONLY as CRLF "." CRLF. A bare LF or bare CR
//    never ends a line, so "\n.\n", "\r.\r\n", "\n.\r\n", "\r\n.\n" and
//    "\r\n.\r" cannot end the message (SMTP smuggling, 2023).
//  - A message holding a bare LF or bare CR anywhere is refused once its real
//    end has been read ("550 5.6.0"), like Postfix's smtpd_forbid_bare_newline:
//    every message tern stores or relays has CRLF line endings only, so no
//    later hop can split it differently.
//  - A line longer than 1000 octets with its CRLF (RFC 5321 4.5.3.1.6) is
//    not truncated or folded; the message is refused at its end ("550 5.6.0").
//  - Past the size limit, octets are counted and dropped (memory stays
//    bounded) and the message is refused at its end ("552 5.3.4").
//  - The text goes into a Spool (core/spool.hpp): in memory while small,
//    past that in a spool file, so a message in flight costs bounded memory
//    whatever its size. A spool that cannot be written (disk full) refuses
//    the message at its end with "452 4.3.1".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/spool.hpp"

namespace tern::smtp {

class DataReader {
 public:
  enum class Framing { dot_stuffed, counted };
  enum class Problem { none, too_big, bare_line_break, line_too_long, no_storage };

  static constexpr std::size_t max_line_octets = 1000;  // RFC 5321 4.5.3.1.6, CRLF included

  DataReader(Framing framing, std::uint64_t max_size, SpoolOptions spool = {});

  // Takes bytes of message text. With dot_stuffed framing it stops right
  // after the terminating CRLF "." CRLF and returns how much it consumed;
  // with counted framing it takes everything (the caller counts the chunk).
  std::size_t consume(std::string_view bytes);

  // Counted framing: the LAST chunk has been consumed.
  void end_of_chunks();

  bool complete() const { return state_ == State::done; }
  Problem problem() const;
  std::uint64_t size() const { return size_; }  // message octets, counted past the limit too
  // The message text (call once complete).
  Spool take_message();

 private:
  enum class State { line_start, in_line, cr, dot, dot_cr, done };

  void step(char c);
  void emit(char c);
  void emit_span(std::string_view span);
  void end_line();
  void count_line_octets(std::size_t n);

  Framing framing_;
  std::uint64_t max_size_;
  State state_ = State::line_start;
  Spool message_;
  std::uint64_t size_ = 0;
  std::size_t line_octets_ = 0;
  bool too_big_ = false;
  bool bare_line_break_ = false;
  bool line_too_long_ = false;
};

}  // namespace tern::smtp
