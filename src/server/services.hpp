// What every session may use: the config, the store, TLS contexts and
// authentication. Owned by the server, shared by all sessions.
#pragma once

#include <atomic>
#include <memory>

#include "auth/authenticator.hpp"
#include "auth/throttle.hpp"
#include "core/config.hpp"
#include "delivery/signing.hpp"
#include "delivery/srs.hpp"
#include "dns/resolver.hpp"
#include "net/tls.hpp"
#include "store/shared_changes.hpp"
#include "store/store.hpp"

namespace tern::server {

struct Services {
  const Config& config;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<net::TlsContextHolder> tls;
  std::unique_ptr<auth::Authenticator> authenticator;
  std::unique_ptr<auth::LoginThrottle> throttle;
  std::atomic<bool> stopping{false};
  // Set while the connection slots are under pressure (server/slots.hpp).
  const std::atomic<bool>* stress = nullptr;
  // Declared after `store`, so destroyed before it.
  std::unique_ptr<store::SharedChanges> shared_changes;
  std::unique_ptr<delivery::SigningKeys> signing;  // DKIM keys for outgoing mail
  std::unique_ptr<dns::Resolver> resolver;         // DNS for the checks of inbound mail
  std::unique_ptr<delivery::SrsKey> srs;           // [relay] srs: forwarded mail's envelope sender
};

}  // namespace tern::server
