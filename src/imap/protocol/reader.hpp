// IMAP command framing, sans-I/O: bytes in, whole commands out. A command is
// one or more CRLF lines joined by literals (RFC 9051 4.3, 7.5); the reader
// announces each literal's size before its bytes arrive so the session can
// answer "+ Ready" or refuse, and enforces every bound before buffering.
//   RFC 9051 2.2.1 (continuation), 4.3 (literals, literal8 "~{n}"),
//   RFC 7888 (LITERAL+ "{n+}", and 4: a refused non-synchronizing literal),
//   RFC 3516 (literal8 in APPEND), RFC 7162 3.2 / RFC 4469 (TOOBIG is used).
//
// Security: no line is buffered beyond max_line_octets and no command beyond
// its total bound; an oversized literal is refused on its announcement, so a
// "{4294967296}" costs nothing. A refused synchronizing literal ends the
// command (the client never sends the bytes). A refused non-synchronizing
// literal's bytes are read and discarded, never interpreted, and the command
// is rejected once it ends: the connection stays usable. The reader announces
// such a literal (too_large) so that the session may take RFC 7888 4's other
// way and close the connection (before login it does).
// A line longer than max_line_octets is discarded up to its LF the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "imap/protocol/command.hpp"

namespace tern::imap {

struct ReaderLimits {
  std::size_t max_line_octets = 8 * 1024;                   // one line outside literals, CRLF excluded
  std::uint64_t max_literal_octets = 64 * 1024;             // a literal of any command but APPEND
  std::uint64_t max_append_literal_octets = 64ull << 20;    // a message literal of APPEND
  std::uint64_t max_command_octets = 1ull << 20;            // lines and small literals of one command
  // An APPEND literal larger than this goes to a spool (memory, then a
  // spool file: core/spool.hpp), canonicalized to CRLF on the way, instead
  // of the command text: an APPEND in flight costs bounded memory.
  std::uint64_t spool_literal_octets = 64 * 1024;
  SpoolOptions spool;
};

namespace reader_event {
// A complete command: its lines with CRLF endings, each literal's bytes right
// after the CRLF of the line that announced it. Feed it to parse_command().
struct Command {
  std::string text;
  std::vector<SpooledLiteral> spooled;  // parse_command's third argument
};
// A literal was announced and fits. Synchronizing: the reader waits for
// accept_literal() (send "+ Ready" first) or refuse_literal() (send a tagged
// NO/BAD; the client drops the command). Non-synchronizing: informational;
// `too_large` when it does not fit: its bytes are being discarded and the
// command will be Rejected at its end (the session may end the connection
// at once instead, RFC 7888 4).
struct LiteralAnnounced {
  std::string tag;
  std::string command;  // upper-cased name, "UID FETCH" style
  std::uint64_t size = 0;
  bool synchronizing = true;
  bool binary = false;  // "~{n}" (literal8)
  bool too_large = false;
};
// The command was refused by the reader; answer "tag BAD [code] reason"
// (or "* BAD" when tag is empty). The next command parses normally.
struct Rejected {
  std::string tag;
  std::string code;  // "TOOBIG" or ""
  std::string reason;
};
}  // namespace reader_event

using ReaderEvent = std::variant<reader_event::Command, reader_event::LiteralAnnounced, reader_event::Rejected>;

class CommandReader {
 public:
  explicit CommandReader(ReaderLimits limits = {});

  void feed(std::string_view bytes);
  std::optional<ReaderEvent> next();

  // Answers to a synchronizing LiteralAnnounced; anything else is a bug (std::logic_error).
  void accept_literal();
  void refuse_literal();

  bool awaiting_decision() const { return state_ == State::awaiting_decision; }
  // Nothing of a command has been read: a good moment to end the connection.
  bool idle() const { return state_ == State::line && current_.empty() && !discarding_ && pos_ == in_.size(); }
  // Gives back the input buffer's memory (it keeps the capacity of the
  // largest command seen, e.g. an APPEND) when nothing is buffered.
  void release_memory();

 private:
  enum class State { line, awaiting_decision, literal, discard_literal, discard_line };

  void process();
  bool process_line();
  bool process_discard_line();
  void take_literal_bytes();
  void handle_line_end(std::string_view line, bool overlong);
  void start_discarding(std::string reason);
  void finish_command();
  void reset_command();
  void note_first_line(std::string_view line);
  void note_overlong_first_line(std::string_view line);
  std::uint64_t literal_limit() const;
  std::uint64_t command_limit() const;

  ReaderLimits limits_;
  std::deque<ReaderEvent> out_;
  std::string in_;
  std::size_t pos_ = 0;   // first unconsumed octet of in_
  std::size_t scan_ = 0;  // where the search for LF resumes
  State state_ = State::line;
  std::string current_;                 // the command so far
  std::vector<SpooledLiteral> spooled_;  // its spooled literals
  bool spooling_ = false;               // the literal being read goes to spooled_.back()
  std::uint64_t command_octets_ = 0;    // counted against command_limit()
  std::uint64_t literal_remaining_ = 0;
  std::string tag_;
  std::string name_;
  bool discarding_ = false;  // the command is refused; its remaining bytes are dropped
  std::string discard_reason_;
  std::string overlong_tail_;  // the end of an overlong line, to see whether it announced a literal
  bool first_line_seen_ = false;
};

// The announcement at the end of a line: "{n}", "{n+}", "~{n}", "~{n+}". A
// size too large for 64 bits saturates (it is refused anyway).
struct LiteralHeader {
  std::uint64_t size = 0;
  bool synchronizing = true;
  bool binary = false;
  std::size_t start = 0;  // offset of '{' or '~' in the line
};
std::optional<LiteralHeader> literal_at_end(std::string_view line);

// "DONE" ends IDLE (RFC 2177 3, RFC 9051 6.3.13), case-insensitively.
bool is_idle_done(std::string_view command_text);

}  // namespace tern::imap
