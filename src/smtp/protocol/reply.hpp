// Formatting of SMTP replies (RFC 5321 4.2): "code SP text CRLF", multi-line
// as "code-text CRLF ... code SP text CRLF", each text line prefixed with an
// RFC 3463 enhanced status code when one is given (RFC 2034 3: every line).
// Security: text that may carry client or store bytes is made one printable
// line per line here, so no reply can smuggle a CR, LF or NUL.
#pragma once

#include <string>
#include <string_view>

namespace tern::smtp {

// An error reply described, not yet formatted: what parsers return.
struct Refusal {
  unsigned code = 500;
  std::string enhanced;  // "5.5.4"; "" for none
  std::string text;
};

// `text` may hold several lines separated by '\n'; an empty `enhanced`
// leaves the lines without a status code (greeting, EHLO, 334, 354).
std::string format_reply(unsigned code, std::string_view enhanced, std::string_view text);

// Replaces control characters and DEL with '?' so the text stays on one line.
std::string printable(std::string_view text);

}  // namespace tern::smtp
