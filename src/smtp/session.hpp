// One SMTP connection: the sans-I/O ServerProtocol run by the session
// engine, its actions answered with the store (recipients, delivery), the
// one login and TLS. Listener modes: smtp (25),
// submission (587), submissions (465, TLS from the first byte).
#pragma once

#include <asio/awaitable.hpp>
#include <cstdint>
#include <memory>

#include "net/connection.hpp"
#include "session/env.hpp"

namespace tern::smtp {

using session::SessionEnv;

asio::awaitable<void> run_session(const SessionEnv& env, std::shared_ptr<net::Connection> connection,
                                  std::uint64_t id);

}  // namespace tern::smtp
