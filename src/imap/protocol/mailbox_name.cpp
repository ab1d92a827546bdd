// Modified UTF-7 and UTF-8 mailbox names (RFC 3501 5.1.3, RFC 6855 3).
#include "imap/protocol/mailbox_name.hpp"

#include <cstdint>
#include <vector>

#include "core/text.hpp"

namespace tern::imap {
namespace {

constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int alphabet_value(char c) {
  const std::size_t i = alphabet.find(c);
  return i == std::string_view::npos ? -1 : static_cast<int>(i);
}

// Decodes one code point at text[i]; nullopt when invalid.
std::optional<char32_t> next_code_point(std::string_view text, std::size_t& i) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  std::size_t len = 0;
  char32_t cp = 0;
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  if ((b0 & 0xe0) == 0xc0) len = 2, cp = b0 & 0x1f;
  else if ((b0 & 0xf0) == 0xe0) len = 3, cp = b0 & 0x0f;
  else if ((b0 & 0xf8) == 0xf0) len = 4, cp = b0 & 0x07;
  else return std::nullopt;
  if (i + len > text.size()) return std::nullopt;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(text[i + k]);
    if ((b & 0xc0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (b & 0x3f);
  }
  static constexpr char32_t minimum[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < minimum[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
  i += len;
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

bool is_direct(char32_t cp) { return cp >= 0x20 && cp <= 0x7e; }

void flush_run(std::string& out, std::vector<std::uint16_t>& units) {
  if (units.empty()) return;
  out += '&';
  std::uint32_t bits = 0;
  int count = 0;
  for (std::uint16_t u : units) {
    bits = (bits << 16) | u;
    count += 16;
    while (count >= 6) {
      count -= 6;
      out += alphabet[(bits >> count) & 0x3f];
    }
    bits &= (1u << count) - 1;
  }
  if (count > 0) out += alphabet[(bits << (6 - count)) & 0x3f];
  out += '-';
  units.clear();
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    if (!next_code_point(text, i)) return false;
  }
  return true;
}

std::optional<std::string> encode_modified_utf7(std::string_view utf8) {
  std::string out;
  std::vector<std::uint16_t> units;
  for (std::size_t i = 0; i < utf8.size();) {
    auto cp = next_code_point(utf8, i);
    if (!cp) return std::nullopt;
    if (is_direct(*cp)) {
      flush_run(out, units);
      out += static_cast<char>(*cp);
      if (*cp == '&') out += '-';
    } else if (*cp >= 0x10000) {
      const char32_t v = *cp - 0x10000;
      units.push_back(static_cast<std::uint16_t>(0xd800 + (v >> 10)));
      units.push_back(static_cast<std::uint16_t>(0xdc00 + (v & 0x3ff)));
    } else {
      units.push_back(static_cast<std::uint16_t>(*cp));
    }
  }
  flush_run(out, units);
  return out;
}

std::optional<std::string> decode_modified_utf7(std::string_view name) {
  std::string out;
  bool previous_was_run = false;
  for (std::size_t i = 0; i < name.size();) {
    const char c = name[i];
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) return std::nullopt;
    if (c != '&') {
      out += c;
      ++i;
      previous_was_run = false;
      continue;
    }
    const std::size_t end = name.find('-', i + 1);
    if (end == std::string_view::npos) return std::nullopt;
    if (end == i + 1) {
      out += '&';
      i = end + 1;
      previous_was_run = false;
      continue;
    }
    // Two runs back to back would have been written as one.
    if (previous_was_run) return std::nullopt;
    std::uint32_t bits = 0;
    int count = 0;
    char32_t high = 0;
    for (std::size_t k = i + 1; k < end; ++k) {
      const int v = alphabet_value(name[k]);
      if (v < 0) return std::nullopt;
      bits = (bits << 6) | static_cast<std::uint32_t>(v);
      count += 6;
      if (count < 16) continue;
      count -= 16;
      const auto unit = static_cast<char32_t>((bits >> count) & 0xffff);
      bits &= (1u << count) - 1;
      if (high != 0) {
        if (unit < 0xdc00 || unit > 0xdfff) return std::nullopt;
        append_utf8(out, 0x10000 + ((high - 0xd800) << 10) + (unit - 0xdc00));
        high = 0;
      } else if (unit >= 0xd800 && unit <= 0xdbff) {
        high = unit;
      } else if (unit >= 0xdc00 && unit <= 0xdfff) {
        return std::nullopt;
      } else if (is_direct(unit)) {
        return std::nullopt;  // printable ASCII must be written as itself
      } else {
        append_utf8(out, unit);
      }
    }
    // Leftover bits must be fewer than 6 and zero; a surrogate must be paired.
    if (high != 0 || count >= 6 || bits != 0) return std::nullopt;
    i = end + 1;
    previous_was_run = true;
  }
  return out;
}

std::optional<std::string> decode_mailbox_name(std::string_view raw, bool utf8_enabled) {
  if (text::iequals(raw, "INBOX")) return std::string("INBOX");
  if (utf8_enabled) {
    if (!is_valid_utf8(raw)) return std::nullopt;
    for (char c : raw) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return std::nullopt;
    }
    return std::string(raw);
  }
  return decode_modified_utf7(raw);
}

std::string encode_mailbox_name(std::string_view utf8, bool utf8_enabled) {
  if (utf8_enabled) return std::string(utf8);
  auto encoded = encode_modified_utf7(utf8);
  return encoded ? *encoded : std::string(utf8);
}

}  // namespace tern::imap
