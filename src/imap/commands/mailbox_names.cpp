#include "imap/commands/mailbox_names.hpp"

namespace tern::imap {

std::optional<std::string> name_to_create(std::string_view name) {
  std::string out(name);
  if (!out.empty() && out.back() == '/') out.pop_back();
  if (out.empty() || out.size() > 1000) return std::nullopt;
  std::size_t level = 0;
  char previous = '/';
  for (char c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '%' || c == '*') return std::nullopt;
    if (c == '/') {
      if (previous == '/') return std::nullopt;
      level = 0;
    } else if (++level > 255) {
      return std::nullopt;
    }
    previous = c;
  }
  return out;
}

}  // namespace tern::imap
