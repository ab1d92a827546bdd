// The checks of mail from elsewhere (port 25, no login): DKIM (RFC 6376),
// SPF (RFC 7208) and DMARC (RFC 7489), their Authentication-Results: field
// (RFC 8601), and what the listener's inbound policy makes of them: accept,
// deliver to Junk, or refuse. Every lookup goes through dns::Resolver; a DNS
// failure is a temperror, never a reason to refuse.
#pragma once

#include <asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "mailauth/dkim_verify.hpp"
#include "mailauth/dmarc.hpp"
#include "mailauth/spf.hpp"
#include "store/store.hpp"

namespace tern::dns {
class Resolver;
}

namespace tern::delivery {

struct InboundMessage {
  std::string_view header;  // the header section as received
  std::string_view body;
  std::string_view helo;
  std::string_view peer_address;
  std::string_view reverse_path;  // "" for the null sender
  std::vector<std::string> from;  // the From: addresses (from_addresses)
  std::string_view hostname;      // the authserv-id and SPF's %{r}
  std::int64_t now = 0;
  unsigned sample = 0;  // 0-99, for DMARC's pct=
};

struct InboundVerdict {
  std::vector<dkim::Verdict> dkim;
  std::optional<spf::Verdict> spf;
  std::vector<dmarc::Verdict> dmarc;  // one per From: domain checked
  std::string authentication_results;

  InboundAction action = InboundAction::accept;
  std::string check;  // what decided a refusal or quarantine: spf, dkim, dmarc, own_domain
  // The reply of a refusal: 550 with this enhanced status and text.
  std::string enhanced;
  std::string text;
};

// At most this many From: domains get a DMARC check (each costs up to two
// lookups); a message with more is refused as malformed.
inline constexpr std::size_t max_dmarc_domains = 5;

// `resolver` may be null: every lookup is then a temporary failure.
// `own_domain` says whether a domain is one of tern's (nullopt: the store
// could not answer, which makes the own-domain rule pass the message on).
asio::awaitable<InboundVerdict> check_inbound(dns::Resolver* resolver, store::Store& store,
                                              const InboundPolicy& policy, const InboundMessage& message);

}  // namespace tern::delivery
