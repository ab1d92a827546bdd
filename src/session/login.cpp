#include "session/login.hpp"

#include <asio/steady_timer.hpp>

#include "core/asio_tuple.hpp"
#include "core/log.hpp"

namespace tern::session {

asio::awaitable<LoginOutcome> login(const SessionEnv& env, std::uint64_t session_id, const std::string& peer,
                                    std::string_view mechanism, std::string username, std::string password) {
  const char* protocol = protocol_name(env.protocol);
  auto admission = env.throttle.check(peer, username);
  if (!admission.allowed) {
    log::warn("session={} event=auth_throttled protocol={} mechanism={} user={} peer={}", session_id, protocol,
              mechanism, log::kv(username), peer);
    co_return LoginOutcome{LoginStatus::throttled, std::nullopt};
  }
  auto account = co_await env.authenticator.authenticate(env.store, username, password);
  if (account) {
    env.throttle.record_success(peer, username);
    log::info("session={} event=auth_ok protocol={} mechanism={} user={} peer={}", session_id, protocol,
              mechanism, log::kv(account->address), peer);
    co_return LoginOutcome{LoginStatus::ok, std::move(*account)};
  }
  if (account.error().code != Errc::invalid) {
    log::error("session={} event=store_error op=authenticate error={}", session_id,
               log::kv(account.error().message));
    env.throttle.record_unavailable(peer, username);
    co_return LoginOutcome{LoginStatus::unavailable, std::nullopt};
  }
  auto delay = env.throttle.record_failure(peer, username);
  log::warn("session={} event=auth_failed protocol={} mechanism={} user={} peer={}", session_id, protocol,
            mechanism, log::kv(username), peer);
  asio::steady_timer pause(co_await asio::this_coro::executor, delay);
  co_await pause.async_wait(use_tuple);
  co_return LoginOutcome{LoginStatus::failed, std::nullopt};
}

}  // namespace tern::session
