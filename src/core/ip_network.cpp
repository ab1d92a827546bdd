// CIDR parsing and matching over the address bytes.
#include "core/ip_network.hpp"

#include <asio/ip/network_v4.hpp>
#include <asio/ip/network_v6.hpp>
#include <fmt/format.h>

#include <charconv>

namespace tern {
namespace {

// Whether the first `prefix` bits of a and b agree.
bool same_prefix(const unsigned char* a, const unsigned char* b, unsigned prefix) {
  unsigned full = prefix / 8;
  for (unsigned i = 0; i < full; ++i)
    if (a[i] != b[i]) return false;
  unsigned rest = prefix % 8;
  if (rest == 0) return true;
  auto mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

}  // namespace

asio::ip::address unmapped(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  return address;
}

std::string network_key(std::string_view address, unsigned v4_prefix, unsigned v6_prefix) {
  constexpr std::size_t max_key_octets = 320;
  asio::error_code ec;
  auto parsed = asio::ip::make_address(std::string(address), ec);
  if (ec) return std::string(address.substr(0, max_key_octets));
  parsed = unmapped(parsed);
  if (parsed.is_v4()) {
    if (v4_prefix >= 32) return parsed.to_string();
    return asio::ip::make_network_v4(parsed.to_v4(), static_cast<unsigned short>(v4_prefix)).canonical().to_string();
  }
  if (v6_prefix >= 128) return parsed.to_string();
  return asio::ip::make_network_v6(parsed.to_v6(), static_cast<unsigned short>(v6_prefix)).canonical().to_string();
}

Result<IpNetwork> IpNetwork::parse(std::string_view text) {
  auto bad = [&](std::string_view what) {
    return make_error(Errc::invalid,
                      fmt::format("'{}' is not a network ({}; like \"10.0.0.0/8\" or \"2001:db8::/32\")", text, what));
  };
  std::string_view address_text = text;
  std::string_view prefix_text;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    address_text = text.substr(0, slash);
    prefix_text = text.substr(slash + 1);
    if (prefix_text.empty()) return bad("no prefix length after '/'");
  }
  std::error_code ec;
  auto address = asio::ip::make_address(std::string(address_text), ec);
  if (ec) return bad("not an IP address");
  IpNetwork network;
  network.v6_ = address.is_v6();
  const unsigned bits = network.v6_ ? 128 : 32;
  network.prefix_ = bits;
  if (!prefix_text.empty()) {
    unsigned prefix = 0;
    auto [end, err] = std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), prefix);
    if (err != std::errc() || end != prefix_text.data() + prefix_text.size() || prefix > bits)
      return bad(fmt::format("the prefix length must be 0 to {}", bits));
    network.prefix_ = prefix;
  }
  if (network.v6_ && address.to_v6().is_v4_mapped() && network.prefix_ >= 96) {
    // ::ffff:192.0.2.0/120 is 192.0.2.0/24, and matches as such.
    address = unmapped(address);
    network.v6_ = false;
    network.prefix_ -= 96;
  }
  if (network.v6_) {
    auto bytes = address.to_v6().to_bytes();
    std::copy(bytes.begin(), bytes.end(), network.bytes_.begin());
  } else {
    auto bytes = address.to_v4().to_bytes();
    std::copy(bytes.begin(), bytes.end(), network.bytes_.begin());
  }
  // Only the prefix may have bits set.
  IpNetwork zeroed = network;
  zeroed.bytes_ = {};
  for (unsigned i = 0; i < network.prefix_; ++i)
    zeroed.bytes_[i / 8] |= static_cast<unsigned char>(network.bytes_[i / 8] & (0x80 >> (i % 8)));
  if (zeroed.bytes_ != network.bytes_)
    return bad(fmt::format("bits are set past the prefix; the network is {}", zeroed.str()));
  return network;
}

bool IpNetwork::contains(const asio::ip::address& given) const {
  asio::ip::address address = unmapped(given);
  if (address.is_v6() != v6_) return false;
  if (v6_) return same_prefix(address.to_v6().to_bytes().data(), bytes_.data(), prefix_);
  return same_prefix(address.to_v4().to_bytes().data(), bytes_.data(), prefix_);
}

bool IpNetwork::contains(std::string_view text) const {
  std::error_code ec;
  auto address = asio::ip::make_address(std::string(text), ec);
  return !ec && contains(address);
}

std::string IpNetwork::str() const {
  if (v6_) return fmt::format("{}/{}", asio::ip::address_v6(bytes_).to_string(), prefix_);
  asio::ip::address_v4::bytes_type v4{bytes_[0], bytes_[1], bytes_[2], bytes_[3]};
  return fmt::format("{}/{}", asio::ip::address_v4(v4).to_string(), prefix_);
}

}  // namespace tern
