// Delivery status notification requests (RFC 3461) as plain values: the SMTP
// protocol parses them, the store keeps them with each queued recipient and
// the queue acts on them.
#pragma once

#include <cstdint>

namespace tern::dsn {

// RFC 3461 NOTIFY as bits; none means NOTIFY=NEVER was given.
namespace notify {
inline constexpr std::uint8_t success = 1u << 0;
inline constexpr std::uint8_t failure = 1u << 1;
inline constexpr std::uint8_t delay = 1u << 2;
inline constexpr std::uint8_t never = 1u << 3;
}  // namespace notify

}  // namespace tern::dsn
