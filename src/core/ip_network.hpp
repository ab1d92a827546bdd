// IP networks in CIDR notation ("10.0.0.0/8", "2001:db8::/32", or one
// address for a single host), for the config's lists of trusted networks.
// An IPv4-mapped IPv6 address (::ffff:192.0.2.1, how a dual-stack socket
// reports an IPv4 client) is taken as the IPv4 address it carries, so it
// matches IPv4 networks.
#pragma once

#include <asio/ip/address.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace tern {

class IpNetwork {
 public:
  // Errc::invalid, with what is wrong, for a malformed address or prefix
  // length, and for bits set past the prefix ("10.1.2.3/8": did the writer
  // mean 10.0.0.0/8 or 10.1.2.3/32?).
  static Result<IpNetwork> parse(std::string_view text);

  bool contains(const asio::ip::address& address) const;
  // False for text that is not an IP address.
  bool contains(std::string_view address) const;

  // The canonical form: "10.0.0.0/8", "2001:db8::/32".
  std::string str() const;

 private:
  bool v6_ = false;
  std::array<unsigned char, 16> bytes_{};  // IPv4: the first four
  unsigned prefix_ = 0;
};

// The address as it is matched: IPv4-mapped IPv6 unwrapped to IPv4.
asio::ip::address unmapped(const asio::ip::address& address);

// The network a client address is counted in (connection slots, the login
// throttle): the address itself when the prefix is its full length, else
// "NETWORK/PREFIX" with the host bits cleared ("192.0.2.0/24",
// "2001:db8:1:2::/64"); IPv4-mapped addresses count as IPv4. Text that is
// no address is its own key, cut to 320 octets.
std::string network_key(std::string_view address, unsigned v4_prefix, unsigned v6_prefix);

}  // namespace tern
