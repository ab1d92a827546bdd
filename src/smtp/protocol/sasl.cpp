// SASL PLAIN splitting (RFC 4616 2) and LOGIN field checks.
#include "smtp/protocol/sasl.hpp"

namespace tern::smtp::sasl {

std::optional<PlainResponse> split_plain(std::string_view decoded) {
  const std::size_t first = decoded.find('\0');
  if (first == std::string_view::npos) return std::nullopt;
  const std::size_t second = decoded.find('\0', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  if (decoded.find('\0', second + 1) != std::string_view::npos) return std::nullopt;
  PlainResponse out{std::string(decoded.substr(0, first)),
                    std::string(decoded.substr(first + 1, second - first - 1)),
                    std::string(decoded.substr(second + 1))};
  if (out.authcid.empty() || out.password.empty()) return std::nullopt;
  if (out.authzid.size() > max_username_octets || out.authcid.size() > max_username_octets ||
      out.password.size() > max_password_octets)
    return std::nullopt;
  return out;
}

bool valid_login_field(std::string_view decoded, std::size_t max_octets) {
  return !decoded.empty() && decoded.size() <= max_octets &&
         decoded.find('\0') == std::string_view::npos;
}

}  // namespace tern::smtp::sasl
