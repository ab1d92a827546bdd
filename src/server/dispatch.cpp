#include "server/dispatch.hpp"

#include <fmt/format.h>

#include "core/log.hpp"
#include "imap/session.hpp"
#include "pop3/session.hpp"
#include "smtp/session.hpp"

namespace tern::server {

bool protocol_available(Protocol protocol) {
  switch (protocol) {
    case Protocol::smtp:
    case Protocol::submission:
    case Protocol::submissions:
    case Protocol::pop3:
    case Protocol::pop3s:
    case Protocol::imap:
    case Protocol::imaps:
      return true;
    default:
      return false;
  }
}

Result<void> init_services(Services& services) {
  auto authenticator = auth::Authenticator::create();
  if (!authenticator) return std::move(authenticator).error();
  services.authenticator = std::move(*authenticator);
  auth::ThrottleOptions throttle;
  throttle.window = services.config.auth.failure_window;
  throttle.max_failures_per_address = services.config.auth.max_failures_per_address;
  throttle.max_failures_per_user = services.config.auth.max_failures_per_user;
  throttle.trusted_networks = services.config.auth.trusted_networks;
  services.throttle = std::make_unique<auth::LoginThrottle>(std::move(throttle));
  return {};
}

asio::awaitable<void> dispatch_session(Services& services, const ListenerConfig& listener,
                                       std::shared_ptr<net::Connection> connection, std::uint64_t id) {
  const Protocol protocol = listener.protocol;
  const session::SessionEnv env{services.config,         protocol,           *services.store,
                                *services.tls,           *services.authenticator, *services.throttle,
                                services.stopping,       services.shared_changes.get(),
                                services.stress,         services.signing.get(),
                                services.resolver.get(), &listener.inbound,
                                services.srs.get()};
  switch (protocol) {
    case Protocol::smtp:
    case Protocol::submission:
    case Protocol::submissions: co_await smtp::run_session(env, std::move(connection), id); co_return;
    case Protocol::pop3:
    case Protocol::pop3s: co_await pop3::run_session(env, std::move(connection), id); co_return;
    case Protocol::imap:
    case Protocol::imaps: co_await imap::run_session(env, std::move(connection), id); co_return;
    default:
      log::error("session={} event=unsupported_protocol protocol={}", id, protocol_name(protocol));
      co_return;
  }
}

asio::awaitable<void> refuse_busy(Protocol protocol, net::Connection& connection) {
  const auto timeout = std::chrono::seconds(5);
  switch (protocol) {
    case Protocol::smtp:
    case Protocol::submission:
      // RFC 5321 3.1: a server may refuse a connection with 421 in place of 220.
      co_await connection.write("421 4.7.0 Too many connections, try again later\r\n", timeout);
      co_return;
    case Protocol::pop3:
      // RFC 2449 8.1.2 / RFC 3206: a temporary condition; the client may retry.
      co_await connection.write("-ERR [SYS/TEMP] too many connections\r\n", timeout);
      co_return;
    case Protocol::imap:
      // RFC 9051 7.1.5: BYE instead of the greeting.
      co_await connection.write("* BYE [UNAVAILABLE] too many connections, try again later\r\n", timeout);
      co_return;
    default:
      co_return;  // TLS-first and other protocols: just close
  }
}

}  // namespace tern::server
