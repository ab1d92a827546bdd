// POP3 responses (RFC 1939 3): "+OK text CRLF" or "-ERR [CODE] text CRLF",
// with the extended response codes of RFC 2449 8 and RFC 3206 in brackets.
// Security: text that may carry client or store bytes is made one printable
// line here, so no response can smuggle a CR, LF or NUL.
#pragma once

#include <string>
#include <string_view>

namespace tern::pop3 {

// An error response described, not yet formatted.
struct Refusal {
  std::string code;  // "AUTH", "IN-USE", "SYS/TEMP"; "" for none
  std::string text;
};

std::string format_ok(std::string_view text);
std::string format_err(std::string_view code, std::string_view text);
inline std::string format_err(const Refusal& refusal) { return format_err(refusal.code, refusal.text); }

// Replaces control characters and DEL with '?' so the text stays on one line.
std::string printable(std::string_view text);

}  // namespace tern::pop3
