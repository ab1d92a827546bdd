// One POP3 connection: the sans-I/O ServerProtocol run by the session
// engine, its actions answered with the one login, the maildrop lock, the
// store (the INBOX) and TLS. Listener
// modes: pop3 (110, STLS) and pop3s (995, TLS from the first byte).
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>

#include "net/connection.hpp"
#include "session/engine.hpp"

namespace tern::pop3 {

using session::SessionEnv;

// How long a session may wait for the client's next command. RFC 1939 3
// asks for at least 10 minutes, so a command_timeout of 5 minutes or more
// is raised to 10 minutes; a command_timeout set below the 5-minute default
// (tests, hostile networks) applies as it is.
inline std::chrono::seconds idle_timeout(const LimitsConfig& limits) {
  return session::idle_timeout(limits, std::chrono::minutes(10));
}

asio::awaitable<void> run_session(const SessionEnv& env, std::shared_ptr<net::Connection> connection,
                                  std::uint64_t id);

}  // namespace tern::pop3
