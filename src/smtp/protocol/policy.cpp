// Relay-trick detection in local parts (see policy.hpp).
#include "smtp/protocol/policy.hpp"

namespace tern::smtp {

bool looks_like_relay_trick(const address::Address& address) {
  return address.local.find_first_of("%!@") != std::string::npos;
}

}  // namespace tern::smtp
