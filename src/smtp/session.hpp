// One SMTP connection: the coroutine that does the I/O for the sans-I/O
// ServerProtocol and answers its actions with the store (recipients,
// delivery), the authenticator and TLS. Listener modes: smtp (25),
// submission (587), submissions (465, TLS from the first byte).
#pragma once

#include <asio/awaitable.hpp>
#include <atomic>
#include <cstdint>
#include <memory>

#include "auth/authenticator.hpp"
#include "auth/throttle.hpp"
#include "core/config.hpp"
#include "net/connection.hpp"
#include "net/tls.hpp"
#include "store/store.hpp"

namespace tern::smtp {

struct SessionEnv {
  const Config& config;
  Protocol protocol;
  store::Store& store;
  net::TlsContextHolder& tls;
  auth::Authenticator& authenticator;
  auth::LoginThrottle& throttle;
  const std::atomic<bool>& stopping;
};

asio::awaitable<void> run_session(SessionEnv env, std::shared_ptr<net::Connection> connection,
                                  std::uint64_t id);

}  // namespace tern::smtp
