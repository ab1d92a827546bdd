// What every protocol session may use: the config, the listener's protocol,
// the store, TLS, the authenticator and the login throttle, and the server's
// stopping flag. Built once per connection by the server's dispatch.
#pragma once

#include <atomic>

#include "auth/authenticator.hpp"
#include "auth/throttle.hpp"
#include "core/config.hpp"
#include "net/tls.hpp"
#include "store/shared_changes.hpp"
#include "store/store.hpp"

namespace tern::delivery {
class SigningKeys;  // delivery/signing.hpp, a layer above: sessions that send mail use it
class SrsKey;       // delivery/srs.hpp: SMTP sessions forward mail with it
}
namespace tern::dns {
class Resolver;  // dns/resolver.hpp: sessions that check mail use it
}

namespace tern::session {

struct SessionEnv {
  const Config& config;
  Protocol protocol;
  store::Store& store;
  net::TlsContextHolder& tls;
  auth::Authenticator& authenticator;
  auth::LoginThrottle& throttle;
  const std::atomic<bool>& stopping;
  // Shares one changes_since among the IMAP sessions catching up with the
  // same change; when absent (tests), each session asks the store itself.
  store::SharedChanges* shared_changes = nullptr;
  // Set by the server while its connection slots are under pressure
  // (limits.stress_threshold); when absent, never.
  const std::atomic<bool>* stress = nullptr;
  // The DKIM keys that sign mail from authenticated users; when absent, none.
  delivery::SigningKeys* signing = nullptr;
  // DNS for the checks of inbound mail (DKIM keys); when absent, every
  // lookup is a temporary failure.
  dns::Resolver* resolver = nullptr;
  // What the listener does with mail from elsewhere that fails SPF, DKIM or
  // DMARC; when absent, the config's [inbound].
  const InboundPolicy* inbound = nullptr;
  // SRS for mail forwarded off-server, and for the bounces that come back;
  // when absent, forwarded mail keeps its envelope sender.
  const delivery::SrsKey* srs = nullptr;

  const InboundPolicy& inbound_policy() const { return inbound != nullptr ? *inbound : config.inbound; }
};

}  // namespace tern::session
