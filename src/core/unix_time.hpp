// Points in time as the store keeps them and the protocols print them.
#pragma once

#include <cstdint>

namespace tern {

// Seconds since the Unix epoch (UTC).
using UnixTime = std::int64_t;

}  // namespace tern
