// The DMARC check of one message (RFC 7489 6.6) over the dns::Resolver
// interface: policy discovery, alignment, sp= and pct=.
#pragma once

#include <asio/awaitable.hpp>

#include "mailauth/dmarc.hpp"

namespace tern::dns {
class Resolver;
}

namespace tern::dmarc {

// The DMARC check of a message whose From: domain is `from_domain`.
// `sample` (0-99) decides pct= sampling: the policy applies when sample < pct.
asio::awaitable<Verdict> check(dns::Resolver& resolver, std::string from_domain, Identifiers ids,
                               unsigned sample);

}  // namespace tern::dmarc
