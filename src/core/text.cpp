#include "core/text.hpp"

namespace tern::text {

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

bool istarts_with(std::string_view text, std::string_view prefix) noexcept {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  lower_in_place(out);
  return out;
}

std::string to_upper(std::string_view text) {
  std::string out(text);
  upper_in_place(out);
  return out;
}

void lower_in_place(std::string& text) noexcept {
  for (char& c : text) c = ascii_lower(c);
}

void upper_in_place(std::string& text) noexcept {
  for (char& c : text) c = ascii_upper(c);
}

// FNV-1a over the lower-cased bytes, so that IEqual keys hash alike.
std::size_t IHash::operator()(std::string_view text) const noexcept {
  std::uint64_t h = 14695981039346656037ull;
  for (char c : text) {
    h ^= static_cast<unsigned char>(ascii_lower(c));
    h *= 1099511628211ull;
  }
  return static_cast<std::size_t>(h);
}

std::string_view trim_left(std::string_view text, std::string_view chars) noexcept {
  const std::size_t first = text.find_first_not_of(chars);
  return first == std::string_view::npos ? text.substr(text.size()) : text.substr(first);
}

std::string_view trim_right(std::string_view text, std::string_view chars) noexcept {
  const std::size_t last = text.find_last_not_of(chars);
  return text.substr(0, last == std::string_view::npos ? 0 : last + 1);
}

std::string_view trim(std::string_view text, std::string_view chars) noexcept {
  return trim_right(trim_left(text, chars), chars);
}

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace tern::text
