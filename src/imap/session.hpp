// One IMAP connection (RFC 9051, RFC 3501): the coroutine that reads
// commands with the sans-I/O CommandReader, checks each against the session
// state in one place, runs it (src/imap/commands/) and writes the responses.
// Listener modes: imap (143, STARTTLS; LOGIN and AUTHENTICATE only after it)
// and imaps (993, TLS from the first byte).
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>

#include "net/connection.hpp"
#include "session/engine.hpp"

namespace tern::imap {

using session::SessionEnv;

// How long a session may wait for the next command: RFC 9051 5.4 asks for
// at least 30 minutes once authenticated. A command_timeout at or above its
// 5-minute default is raised to 30 minutes; one set lower (tests, hostile
// networks) applies as it is. Before login the command_timeout applies.
inline std::chrono::seconds idle_timeout(const LimitsConfig& limits) {
  return session::idle_timeout(limits, std::chrono::minutes(30));
}

asio::awaitable<void> run_session(const SessionEnv& env, std::shared_ptr<net::Connection> connection, std::uint64_t id);

}  // namespace tern::imap
