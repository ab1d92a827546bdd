// Tests for core/ip_network: CIDR parsing, canonical forms and matching,
// IPv4-mapped IPv6 addresses against IPv4 networks.
#include "core/ip_network.hpp"

#include <gtest/gtest.h>

namespace tern {
namespace {

IpNetwork net(const char* text) {
  auto parsed = IpNetwork::parse(text);
  EXPECT_TRUE(parsed.ok()) << text << ": " << (parsed ? "" : parsed.error().message);
  return parsed ? *parsed : IpNetwork{};
}

TEST(IpNetwork, ParsesAndPrintsCanonically) {
  EXPECT_EQ(net("10.0.0.0/8").str(), "10.0.0.0/8");
  EXPECT_EQ(net("192.0.2.7").str(), "192.0.2.7/32");
  EXPECT_EQ(net("0.0.0.0/0").str(), "0.0.0.0/0");
  EXPECT_EQ(net("2001:DB8::/32").str(), "2001:db8::/32");
  EXPECT_EQ(net("::1").str(), "::1/128");
  EXPECT_EQ(net("::/0").str(), "::/0");
  // An IPv4-mapped network is the IPv4 network it carries.
  EXPECT_EQ(net("::ffff:192.0.2.0/120").str(), "192.0.2.0/24");
}

TEST(IpNetwork, RefusesMalformedNetworks) {
  for (auto bad : {"", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8x", "10.0.0/8", "mail.example",
                   "2001:db8::/129", "10.0.0.1/8", "2001:db8::1/64", "10.0.0.0/8/8", " 10.0.0.0/8"}) {
    auto parsed = IpNetwork::parse(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    if (!parsed.ok()) {
      EXPECT_NE(parsed.error().message.find("is not a network"), std::string::npos);
    }
  }
  EXPECT_NE(IpNetwork::parse("10.1.2.3/8").error().message.find("the network is 10.0.0.0/8"), std::string::npos);
}

TEST(IpNetwork, MatchesByPrefix) {
  IpNetwork ten = net("10.0.0.0/8");
  EXPECT_TRUE(ten.contains("10.0.0.1"));
  EXPECT_TRUE(ten.contains("10.255.255.255"));
  EXPECT_FALSE(ten.contains("11.0.0.0"));
  EXPECT_FALSE(ten.contains("9.255.255.255"));
  IpNetwork odd = net("192.0.2.64/27");
  EXPECT_TRUE(odd.contains("192.0.2.64"));
  EXPECT_TRUE(odd.contains("192.0.2.95"));
  EXPECT_FALSE(odd.contains("192.0.2.96"));
  EXPECT_FALSE(odd.contains("192.0.2.63"));
  IpNetwork host = net("192.0.2.7");
  EXPECT_TRUE(host.contains("192.0.2.7"));
  EXPECT_FALSE(host.contains("192.0.2.8"));
  IpNetwork v6 = net("2001:db8::/32");
  EXPECT_TRUE(v6.contains("2001:db8:ffff::1"));
  EXPECT_FALSE(v6.contains("2001:db9::1"));
  EXPECT_TRUE(net("::/0").contains("2001:db8::1"));
  EXPECT_FALSE(net("::/0").contains("192.0.2.1"));
  EXPECT_TRUE(net("0.0.0.0/0").contains("192.0.2.1"));
  EXPECT_FALSE(ten.contains("not an address"));
  EXPECT_FALSE(ten.contains(""));
}

TEST(IpNetwork, MappedAddressesMatchIpv4Networks) {
  // A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d.
  EXPECT_TRUE(net("10.0.0.0/8").contains("::ffff:10.1.2.3"));
  EXPECT_FALSE(net("10.0.0.0/8").contains("::ffff:11.1.2.3"));
  EXPECT_TRUE(net("::ffff:10.0.0.0/104").contains("10.9.9.9"));
  // ... and not IPv6 ones that happen to cover the mapped range.
  EXPECT_FALSE(net("::/0").contains("::ffff:10.1.2.3"));
  EXPECT_EQ(unmapped(asio::ip::make_address("::ffff:192.0.2.1")).to_string(), "192.0.2.1");
  EXPECT_EQ(unmapped(asio::ip::make_address("2001:db8::1")).to_string(), "2001:db8::1");
}

TEST(NetworkKey, AddressesAndPrefixes) {
  // Connection slots count per configured prefix; the login throttle per address and per IPv6 /64.
  EXPECT_EQ(network_key("192.0.2.1", 32, 64), "192.0.2.1");
  EXPECT_EQ(network_key("2001:db8:1:2:3:4:5:6", 32, 64), "2001:db8:1:2::/64");
  EXPECT_EQ(network_key("2001:db8:1:2:ffff::1", 32, 64), "2001:db8:1:2::/64");
  EXPECT_EQ(network_key("::ffff:192.0.2.1", 32, 64), "192.0.2.1");
  EXPECT_EQ(network_key("not an address", 32, 64), "not an address");
  EXPECT_EQ(network_key("192.0.2.77", 32, 64), "192.0.2.77");
  EXPECT_EQ(network_key("192.0.2.77", 24, 64), "192.0.2.0/24");
  EXPECT_EQ(network_key("::ffff:192.0.2.77", 24, 64), "192.0.2.0/24");
  EXPECT_EQ(network_key("2001:db8:1:2:aaaa::1", 32, 64), "2001:db8:1:2::/64");
  EXPECT_EQ(network_key("2001:db8:1:2:aaaa::1", 32, 48), "2001:db8:1::/48");
  EXPECT_EQ(network_key("2001:db8::1", 32, 128), "2001:db8::1");
  EXPECT_EQ(network_key("not an address", 24, 64), "not an address");
  EXPECT_EQ(network_key(std::string(400, 'x'), 32, 64), std::string(320, 'x'));
}

}  // namespace
}  // namespace tern
