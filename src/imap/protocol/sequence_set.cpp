// Sequence sets (RFC 9051 9, RFC 5182). See sequence_set.hpp.
#include "imap/protocol/sequence_set.hpp"

#include <algorithm>

namespace tern::imap {
namespace {

std::optional<std::uint32_t> parse_seq_number(std::string_view text) {
  if (text == "*") return star;
  if (text.empty() || text.size() > 10 || text[0] == '0') return std::nullopt;
  std::uint64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (n > 0xffffffffu) return std::nullopt;
  return static_cast<std::uint32_t>(n);
}

std::string number_text(std::uint32_t n) { return n == star ? "*" : std::to_string(n); }

}  // namespace

std::optional<SequenceSet> parse_sequence_set(std::string_view text) {
  SequenceSet set;
  if (text == "$") {
    set.saved = true;
    return set;
  }
  while (true) {
    const std::size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    const std::size_t colon = item.find(':');
    auto first = parse_seq_number(item.substr(0, colon));
    if (!first) return std::nullopt;
    SequenceRange range{*first, *first};
    if (colon != std::string_view::npos) {
      auto last = parse_seq_number(item.substr(colon + 1));
      if (!last) return std::nullopt;
      range.last = *last;
    }
    set.ranges.push_back(range);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return set;
}

bool contains(const SequenceSet& set, std::uint32_t n, std::uint32_t largest) {
  for (const SequenceRange& r : set.ranges) {
    std::uint32_t a = r.first == star ? largest : r.first;
    std::uint32_t b = r.last == star ? largest : r.last;
    if (a > b) std::swap(a, b);
    if (n >= a && n <= b) return true;
  }
  return false;
}

std::string compact_sequence_set(std::vector<std::uint32_t> numbers) {
  std::sort(numbers.begin(), numbers.end());
  numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
  std::string out;
  for (std::size_t i = 0; i < numbers.size();) {
    std::size_t j = i;
    while (j + 1 < numbers.size() && numbers[j + 1] == numbers[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(numbers[i]);
    if (j > i) out += ':' + std::to_string(numbers[j]);
    i = j + 1;
  }
  return out;
}

std::string format_sequence_set(const SequenceSet& set) {
  if (set.saved) return "$";
  std::string out;
  for (const SequenceRange& r : set.ranges) {
    if (!out.empty()) out += ',';
    out += number_text(r.first);
    if (r.last != r.first) out += ':' + number_text(r.last);
  }
  return out;
}

}  // namespace tern::imap
