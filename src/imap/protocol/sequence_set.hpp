// Sequence sets (RFC 9051 9 "sequence-set", RFC 5182 "$" for SEARCHRES):
// parsing, membership and the compact form servers send ("1:5,7").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tern::imap {

// "*" is stored as 0 (an nz-number is never 0); it means the largest number
// in use, which only the session knows.
inline constexpr std::uint32_t star = 0;

struct SequenceRange {
  std::uint32_t first = 1;
  std::uint32_t last = 1;  // may be smaller than first: "5:2" is "2:5" (RFC 9051 9)
  bool operator==(const SequenceRange&) const = default;
};

struct SequenceSet {
  std::vector<SequenceRange> ranges;
  bool saved = false;  // "$": the result of the last SEARCH ... RETURN (SAVE)
  bool operator==(const SequenceSet&) const = default;
};

// Parses the whole of `text`; nullopt when it is not a sequence set.
std::optional<SequenceSet> parse_sequence_set(std::string_view text);

// Whether n is in the set, with "*" standing for `largest` ("$" is never resolved here).
bool contains(const SequenceSet& set, std::uint32_t n, std::uint32_t largest);

// The numbers, sorted, deduplicated and joined into ranges: {1,2,3,5} -> "1:3,5".
// Empty input gives "".
std::string compact_sequence_set(std::vector<std::uint32_t> numbers);

// The set as the client could have written it ("*" kept).
std::string format_sequence_set(const SequenceSet& set);

}  // namespace tern::imap
