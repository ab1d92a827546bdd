// Message text as POP3 sends it (RFC 1939 3 and 7): CRLF line endings and
// byte-stuffing of lines that begin with ".", written in bounded pieces so
// that a large message never exists twice in memory, and the cut-off of TOP.
// Choices: a bare LF and a bare CR each become CRLF (the store keeps CRLF,
// but a message from elsewhere may not); a last line without its line
// ending gets one before the terminating ".".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tern::pop3 {

// Where TOP's output ends (RFC 1939 7): after the header section, the blank
// line that ends it, and at most `body_lines` lines of the body. A message
// without a blank line is all header and is sent whole.
std::size_t top_end(std::string_view message, std::uint64_t body_lines);

// The octets of `message` once every line ends in CRLF (what RETR announces).
std::uint64_t normalized_size(std::string_view message);

// Writes message[0, end) dot-stuffed with CRLF line endings, then the
// terminating ".CRLF" of a multi-line response, a piece at a time. The
// message may come in pieces too: give the first with the whole message's
// size (`total`), and each next one with add() when wants_more() says so.
class StuffedText {
 public:
  StuffedText(std::string message, std::size_t end);
  // The first piece of a message of `total` octets, sent whole.
  struct InPieces {
    std::uint64_t total = 0;
  };
  StuffedText(std::string first_piece, InPieces whole);

  // Appends roughly `budget` octets (at most budget + 2) to `out`.
  void write_some(std::string& out, std::size_t budget);
  bool done() const { return finished_; }
  // The piece in hand is used up and the message goes on: add() the next,
  // from offset loaded().
  bool wants_more() const { return !finished_ && loaded_ < total_ && pos_ + carry() >= message_.size(); }
  std::uint64_t loaded() const { return loaded_; }
  // The next piece; an empty one (the message shrank: it cannot) ends the text.
  void add(std::string piece);

 private:
  // A CR at the very end of a piece waits for the next: it may start a CRLF.
  std::size_t carry() const { return pos_ + 1 == message_.size() && message_[pos_] == '\r' ? 1 : 0; }

  std::string message_;
  std::size_t end_;
  std::uint64_t loaded_ = 0;  // octets of the message received in all
  std::uint64_t total_ = 0;   // octets of the whole message
  std::size_t pos_ = 0;
  bool line_start_ = true;
  bool finished_ = false;
};

}  // namespace tern::pop3
