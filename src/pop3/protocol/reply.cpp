// POP3 response formatting (RFC 1939 3, RFC 2449 8).
#include "pop3/protocol/reply.hpp"

namespace tern::pop3 {

std::string printable(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return out;
}

std::string format_ok(std::string_view text) {
  std::string out = "+OK";
  if (!text.empty()) out += ' ' + printable(text);
  out += "\r\n";
  return out;
}

std::string format_err(std::string_view code, std::string_view text) {
  std::string out = "-ERR";
  if (!code.empty()) {
    out += " [";
    out += code;
    out += ']';
  }
  if (!text.empty()) out += ' ' + printable(text);
  out += "\r\n";
  return out;
}

}  // namespace tern::pop3
