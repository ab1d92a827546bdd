// One IMAP connection (RFC 9051, RFC 3501): the coroutine that reads
// commands with the sans-I/O CommandReader, checks each against the session
// state in one place, runs it (src/imap/commands/) and writes the responses.
// Listener modes: imap (143, STARTTLS; LOGIN and AUTHENTICATE only after it)
// and imaps (993, TLS from the first byte).
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
#include "store/shared_changes.hpp"
#include "store/store.hpp"

namespace tern::imap {

struct SessionEnv {
  const Config& config;
  Protocol protocol;
  store::Store& store;
  net::TlsContextHolder& tls;
  auth::Authenticator& authenticator;
  auth::LoginThrottle& throttle;
  const std::atomic<bool>& stopping;
  // Shares one changes_since among the sessions catching up with the same
  // change; when absent (tests), each session asks the store itself.
  store::SharedChanges* shared_changes = nullptr;
};

// How long a session may wait for the next command: RFC 9051 5.4 asks for
// at least 30 minutes once authenticated. A command_timeout at or above its
// 5-minute default is raised to 30 minutes; one set lower (tests, hostile
// networks) applies as it is. Before login the command_timeout applies.
std::chrono::seconds idle_timeout(const LimitsConfig& limits);

asio::awaitable<void> run_session(SessionEnv env, std::shared_ptr<net::Connection> connection, std::uint64_t id);

}  // namespace tern::imap
