// Finding the next CR or LF in text that is mostly long runs of ordinary
// octets: two vectorised memchr scans instead of a per-octet set lookup
// (std::string_view::find_first_of calls memchr once per octet).
#pragma once

#include <cstring>
#include <string_view>

namespace tern {

// The offset of the first '\r' or '\n' at or after `from`, or npos.
inline std::size_t find_line_break(std::string_view text, std::size_t from) {
  if (from >= text.size()) return std::string_view::npos;
  const char* begin = text.data() + from;
  const char* end = text.data() + text.size();
  const auto* lf = static_cast<const char*>(std::memchr(begin, '\n', static_cast<std::size_t>(end - begin)));
  const char* limit = lf ? lf : end;
  const auto* cr = static_cast<const char*>(std::memchr(begin, '\r', static_cast<std::size_t>(limit - begin)));
  const char* found = cr ? cr : lf;
  return found ? static_cast<std::size_t>(found - text.data()) : std::string_view::npos;
}

}  // namespace tern
