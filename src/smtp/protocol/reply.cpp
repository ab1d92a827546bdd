// SMTP reply formatting (RFC 5321 4.2, RFC 2034 3).
#include "smtp/protocol/reply.hpp"

namespace tern::smtp {

std::string printable(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return out;
}

std::string format_reply(unsigned code, std::string_view enhanced, std::string_view text) {
  const std::string number = std::to_string(code);
  std::string out;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find('\n', start);
    const bool last = end == std::string_view::npos;
    std::string_view line = text.substr(start, last ? std::string_view::npos : end - start);
    out += number;
    out += last ? ' ' : '-';
    if (!enhanced.empty()) {
      out += enhanced;
      if (!line.empty()) out += ' ';
    }
    out += printable(line);
    out += "\r\n";
    if (last) break;
    start = end + 1;
  }
  return out;
}

}  // namespace tern::smtp
