// One POP3 connection: the coroutine that does the I/O for the sans-I/O
// ServerProtocol and answers its actions with the authenticator, the login
// throttle, the maildrop lock, the store (the INBOX) and TLS. Listener
// modes: pop3 (110, STLS) and pop3s (995, TLS from the first byte).
#pragma once

#include <asio/awaitable.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include "auth/authenticator.hpp"
#include "auth/throttle.hpp"
#include "core/config.hpp"
#include "net/connection.hpp"
#include "net/tls.hpp"
#include "store/store.hpp"

namespace tern::pop3 {

struct SessionEnv {
  const Config& config;
  Protocol protocol;
  store::Store& store;
  net::TlsContextHolder& tls;
  auth::Authenticator& authenticator;
  auth::LoginThrottle& throttle;
  const std::atomic<bool>& stopping;
};

// How long a session may wait for the client's next command. RFC 1939 3
// asks for at least 10 minutes, so a command_timeout of 5 minutes or more
// is raised to 10 minutes; a command_timeout set below the 5-minute default
// (tests, hostile networks) applies as it is.
std::chrono::seconds idle_timeout(const LimitsConfig& limits);

asio::awaitable<void> run_session(SessionEnv env, std::shared_ptr<net::Connection> connection,
                                  std::uint64_t id);

}  // namespace tern::pop3
