#include "imap/commands/mailbox_names.hpp"

namespace tern::imap {

namespace {

// The UTF-8 sequence starting at `at` is a control (C1) or a bidirectional
// control: its length, or 0 when it is neither.
std::size_t forbidden_sequence(std::string_view s, std::size_t at) {
  auto byte = [&](std::size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0u; };
  const unsigned b0 = byte(at), b1 = byte(at + 1), b2 = byte(at + 2);
  if (b0 == 0xC2 && b1 >= 0x80 && b1 <= 0x9F) return 2;                  // U+0080-U+009F
  if (b0 == 0xD8 && b1 == 0x9C) return 2;                                // U+061C arabic letter mark
  if (b0 == 0xE2 && b1 == 0x80 && (b2 == 0x8E || b2 == 0x8F)) return 3;  // U+200E, U+200F
  if (b0 == 0xE2 && b1 == 0x80 && b2 >= 0xAA && b2 <= 0xAE) return 3;   // U+202A-U+202E
  if (b0 == 0xE2 && b1 == 0x81 && b2 >= 0xA6 && b2 <= 0xA9) return 3;   // U+2066-U+2069
  return 0;
}

}  // namespace

bool valid_mailbox_name(std::string_view name) {
  if (name.empty() || name.size() > max_mailbox_name_octets) return false;
  std::size_t level = 0;
  std::size_t depth = 1;
  char previous = '/';
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '%' || c == '*') return false;
    if (u >= 0x80 && forbidden_sequence(name, i) != 0) return false;
    if (c == '/') {
      if (previous == '/' || ++depth > max_mailbox_depth) return false;
      level = 0;
    } else if (++level > max_mailbox_level_octets) {
      return false;
    }
    previous = c;
  }
  return previous != '/';
}

std::optional<std::string> name_to_create(std::string_view name) {
  std::string out(name);
  if (!out.empty() && out.back() == '/') out.pop_back();
  if (!valid_mailbox_name(out)) return std::nullopt;
  return out;
}

}  // namespace tern::imap
