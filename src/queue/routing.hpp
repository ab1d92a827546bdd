// Where mail for a domain goes: a configured route ([relay.routes]), the
// smarthost ([relay] smarthost), or the domain's MX hosts (RFC 5321 5.1:
// lowest preference first, equal preferences in random order; no MX at all
// means the domain's own address records; RFC 7505: a null MX "." means
// the domain accepts no mail). Pure functions; the DNS work is the caller's.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "dns/resolver.hpp"

namespace tern::queue {

// The DNS answers the queue routes by (dns/resolver.hpp).
using dns::DnsAnswer;
using dns::MxRecord;
using dns::Resolver;


struct Hop {
  std::string host;        // a host name, or an IP literal
  std::uint16_t port = 25;
};

struct FixedRoute {
  bool found = false;
  Hop hop;
  bool smarthost = false;  // the [relay] smarthost: credentials may be sent (over TLS)
};

// The configured route for `domain`, if any: [relay.routes] first, then the smarthost.
FixedRoute fixed_route(const RelayConfig& relay, std::string_view domain);

// True when the MX set is a null MX (RFC 7505): one record naming ".".
bool is_null_mx(const std::vector<MxRecord>& records);

// The MX hosts in the order to try them, port 25. Records naming "." are dropped.
std::vector<Hop> order_mx(std::vector<MxRecord> records, std::mt19937& random);

// The domain of an address ("user@Example.ORG" -> "example.org").
std::string domain_of(std::string_view address);

}  // namespace tern::queue
