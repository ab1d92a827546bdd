#include "core/result.hpp"

namespace tern {

const char* errc_name(Errc code) noexcept {
  switch (code) {
    case Errc::invalid: return "invalid";
    case Errc::not_found: return "not_found";
    case Errc::already_exists: return "already_exists";
    case Errc::conflict: return "conflict";
    case Errc::unavailable: return "unavailable";
    case Errc::io: return "io";
    case Errc::internal: return "internal";
    case Errc::denied: return "denied";
  }
  return "unknown";
}

}  // namespace tern
