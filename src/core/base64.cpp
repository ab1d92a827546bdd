// Strict base64 (RFC 4648 4): the canonical encoding and nothing else, so
// that one value has exactly one spelling on the wire.
#include "core/base64.hpp"

#include <array>
#include <cstdint>

namespace tern::base64 {
namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_reverse() {
  std::array<std::int8_t, 256> table{};
  for (auto& v : table) v = -1;
  for (std::size_t i = 0; i < 64; ++i) table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  return table;
}

constexpr auto reverse = make_reverse();

}  // namespace

std::string encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto byte = [&](std::size_t at) { return static_cast<std::uint32_t>(static_cast<unsigned char>(data[at])); };
  for (; i + 3 <= data.size(); i += 3) {
    std::uint32_t group = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += alphabet[(group >> 18) & 63];
    out += alphabet[(group >> 12) & 63];
    out += alphabet[(group >> 6) & 63];
    out += alphabet[group & 63];
  }
  std::size_t rest = data.size() - i;
  if (rest == 1) {
    std::uint32_t group = byte(i) << 16;
    out += alphabet[(group >> 18) & 63];
    out += alphabet[(group >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    std::uint32_t group = (byte(i) << 16) | (byte(i + 1) << 8);
    out += alphabet[(group >> 18) & 63];
    out += alphabet[(group >> 12) & 63];
    out += alphabet[(group >> 6) & 63];
    out += '=';
  }
  return out;
}

Result<std::string> decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return make_error(Errc::invalid, "base64 length is not a multiple of 4 (" + std::to_string(text.size()) + ")");
  }
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = (text[text.size() - 2] == '=') ? 2 : 1;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    std::size_t pad_here = last ? padding : 0;
    std::uint32_t group = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      char c = text[i + j];
      std::uint32_t value = 0;
      if (j >= 4 - pad_here) {
        // Only the padding that was counted may be '='; anything else here
        // was already caught by the padding count.
        value = 0;
      } else {
        std::int8_t v = reverse[static_cast<unsigned char>(c)];
        if (v < 0) {
          if (c == '=') return make_error(Errc::invalid, "base64 padding '=' in the middle of the input");
          return make_error(Errc::invalid, "invalid base64 character at offset " + std::to_string(i + j));
        }
        value = static_cast<std::uint32_t>(v);
      }
      group = (group << 6) | value;
    }
    out += static_cast<char>((group >> 16) & 0xff);
    if (pad_here < 2) out += static_cast<char>((group >> 8) & 0xff);
    if (pad_here < 1) out += static_cast<char>(group & 0xff);
    // RFC 4648 3.5: the bits the padding stands for must be zero, or two
    // different texts would decode to the same octets.
    if ((pad_here == 1 && (group & 0xff) != 0) || (pad_here == 2 && (group & 0xffff) != 0)) {
      return make_error(Errc::invalid, "base64 has non-zero bits before the padding");
    }
  }
  return out;
}

}  // namespace tern::base64
