// ASCII text utilities for protocol code: case-insensitive comparison and
// hashing, case folding, trimming, and civil-date arithmetic.
// Case is ASCII only (the protocols' keywords, header names and domains are
// ASCII; std::tolower would follow the locale): bytes outside A-Z / a-z,
// including every byte >= 0x80, are left as they are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tern::text {

constexpr char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr char ascii_upper(char c) noexcept {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept;
bool istarts_with(std::string_view text, std::string_view prefix) noexcept;

std::string to_lower(std::string_view text);
std::string to_upper(std::string_view text);
void lower_in_place(std::string& text) noexcept;
void upper_in_place(std::string& text) noexcept;

// Hash and equality for unordered containers keyed case-insensitively;
// transparent, so a string_view finds a std::string key without a copy.
struct IHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept;
};

struct IEqual {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept { return iequals(a, b); }
};

// Trimming. The default set is ASCII white space; protocol grammars that
// trim only WSP (RFC 5234: SP and HTAB) or only line endings pass their own.
inline constexpr std::string_view whitespace = " \t\n\v\f\r";
inline constexpr std::string_view wsp = " \t";

std::string_view trim_left(std::string_view text, std::string_view chars = whitespace) noexcept;
std::string_view trim_right(std::string_view text, std::string_view chars = whitespace) noexcept;
std::string_view trim(std::string_view text, std::string_view chars = whitespace) noexcept;

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
// (H. Hinnant's algorithm); m is 1..12, d is 1..31. Negative before 1970.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept;

}  // namespace tern::text
