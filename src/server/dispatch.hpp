// Which session runs for which protocol, and what the session layer needs
// from the server (built once at start).
#pragma once

#include <asio/awaitable.hpp>
#include <cstdint>
#include <memory>

#include "core/config.hpp"
#include "core/result.hpp"
#include "net/connection.hpp"
#include "server/services.hpp"

namespace tern::server {

// Whether this build serves the protocol.
bool protocol_available(Protocol protocol);

// Prepares the per-protocol state (authenticator, throttles) once the store is open.
Result<void> init_services(Services& services);

// Runs one session of a listener to its end.
asio::awaitable<void> dispatch_session(Services& services, const ListenerConfig& listener,
                                       std::shared_ptr<net::Connection> connection, std::uint64_t id);

// Tells a client the server is too busy (connection limits), in its protocol.
asio::awaitable<void> refuse_busy(Protocol protocol, net::Connection& connection);

}  // namespace tern::server
