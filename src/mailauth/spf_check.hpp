// SPF's check_host() (RFC 7208 4) over the dns::Resolver interface, with
// the limits of RFC 7208 4.6.4 (10 terms that query DNS, 2 void lookups, 10
// MX and PTR names per term), so that no record can make tern send more
// than a bounded number of queries.
#pragma once

#include <asio/awaitable.hpp>

#include "mailauth/spf.hpp"

namespace tern::dns {
class Resolver;
}

namespace tern::spf {

// check_host() for the MAIL FROM identity, or for the HELO identity when
// `query.sender` is empty (RFC 7208 2.3, 2.4): the sender then is
// postmaster@HELO.
asio::awaitable<Verdict> check_host(dns::Resolver& resolver, Query query);

}  // namespace tern::spf
