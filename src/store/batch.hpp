// How many messages one trip to the store carries: IMAP FETCH and SEARCH
// and POP3's read-ahead read messages in batches, bounded by a count and by
// their octets, so that a session holds a bounded amount whatever the
// mailbox holds.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tern::store {

struct BatchBound {
  std::size_t items = 64;
  std::uint64_t octets = 0;  // 0: no bound on octets (headers, structures)
  // The first item goes in even when it alone passes `octets` (a reader that
  // must have it); false for reading ahead, which may as well stop.
  bool first_always = true;
};

// The end of the batch that starts at item `begin` of `count`; `octets_of(i)`
// is item i's size.
template <class OctetsOf>
std::size_t batch_end(std::size_t begin, std::size_t count, const BatchBound& bound, OctetsOf&& octets_of) {
  std::size_t end = begin;
  std::uint64_t total = 0;
  while (end < count && end - begin < bound.items) {
    const std::uint64_t size = octets_of(end);
    if (bound.octets != 0 && total + size > bound.octets && !(bound.first_always && end == begin)) break;
    total += size;
    ++end;
  }
  return end;
}

}  // namespace tern::store
