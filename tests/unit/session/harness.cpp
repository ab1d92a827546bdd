#include "harness.hpp"

#include "core/base64.hpp"

namespace tern::session::testing {

std::string plain_credentials(const std::string& user, const std::string& password) {
  return base64::encode(std::string(1, '\0') + user + std::string(1, '\0') + password);
}

}  // namespace tern::session::testing
