#include "server/dispatch.hpp"

#include "core/log.hpp"

namespace tern::server {

bool protocol_available(Protocol protocol) {
  switch (protocol) {
    case Protocol::smtp:
    case Protocol::submission:
    case Protocol::submissions:
      return true;
    default:
      return false;
  }
}

}  // namespace tern::server
