// The input of a line-based protocol (SMTP, POP3), sans-I/O: bytes are
// appended as they arrive and taken out as whole lines with a hard bound on
// their length, or as raw octets (SMTP DATA and BDAT). A line longer than
// the bound is reported once; the rest of it, up to its LF, is dropped
// unread and never taken for a command (RFC 5321 4.5.3.1.4, RFC 2449 4).
// A bare LF ends a line too; a CR before the LF is removed.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tern {

class LineBuffer {
 public:
  enum class Status { line, too_long, incomplete };
  struct Next {
    Status status = Status::incomplete;
    std::string line;  // without the line ending; set for Status::line
  };

  void append(std::string_view bytes) { data_.append(bytes); }

  // Drops what is left of an overlong line. False while its end (LF) has
  // not arrived: nothing else can be read yet.
  bool skip_overlong_rest();
  // The next line when it is whole and at most `limit` octets with its LF.
  // A longer one is consumed (what has arrived of it) and reported.
  Next next_line(std::size_t limit);

  // The bounds of a protocol whose AUTH command and SASL responses may be
  // longer than its other commands (SMTP, POP3); line endings included.
  struct CommandLimits {
    std::size_t command;
    std::size_t auth;
  };
  // The next command line, or SASL response when `sasl_response`: bounded by
  // `limits.auth` for that and for an AUTH command, by `limits.command`
  // otherwise (chosen once the rest of an overlong line is gone).
  Next next_command(const CommandLimits& limits, bool sasl_response);

  // The octets not yet taken, for readers of raw octets (DATA, BDAT) and to
  // look ahead at the next command's name.
  std::string_view pending() const { return std::string_view(data_).substr(pos_); }
  void consume(std::size_t octets);
  bool empty() const { return pos_ == data_.size() && !discarding_; }

  // Forgets everything, memory included (STARTTLS: what came in clear is
  // never read; the end of a session).
  void clear();
  // Gives back the space of what was taken; call after a batch of reads.
  void compact();

 private:
  std::string data_;
  std::size_t pos_ = 0;      // first octet not yet taken
  std::size_t scan_ = 0;     // where the search for the next LF resumes
  bool discarding_ = false;  // inside an overlong line
};

}  // namespace tern
