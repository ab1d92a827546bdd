#include "session/login.hpp"

#include <asio/steady_timer.hpp>

#include <chrono>

#include "core/asio_tuple.hpp"
#include "core/log.hpp"

namespace tern::session {

namespace {

// How often an attempt that has to wait for its turn asks again, and for
// how long at most: the attempts ahead of it each take one password check.
constexpr auto turn_poll = std::chrono::milliseconds(20);
constexpr auto max_turn_wait = std::chrono::seconds(30);

}  // namespace

asio::awaitable<LoginOutcome> login(const SessionEnv& env, std::uint64_t session_id, const std::string& peer,
                                    std::string_view mechanism, std::string username, std::string password) {
  const char* protocol = protocol_name(env.protocol);
  auto admission = env.throttle.check(peer, username);
  const auto waiting_since = std::chrono::steady_clock::now();
  while (admission.status == auth::AdmissionStatus::wait) {
    if (env.stopping.load() || std::chrono::steady_clock::now() - waiting_since > max_turn_wait) {
      log::warn("session={} event=auth_busy protocol={} mechanism={} user={} peer={}", session_id, protocol,
                mechanism, log::kv(username), peer);
      co_return LoginOutcome{LoginStatus::unavailable, std::nullopt};
    }
    asio::steady_timer turn(co_await asio::this_coro::executor, turn_poll);
    co_await turn.async_wait(use_tuple);
    admission = env.throttle.check(peer, username);
  }
  if (admission.status == auth::AdmissionStatus::blocked) {
    log::warn("session={} event=auth_throttled protocol={} mechanism={} user={} peer={} retry_after={}", session_id,
              protocol, mechanism, log::kv(username), peer, admission.retry_after.count());
    co_return LoginOutcome{LoginStatus::throttled, std::nullopt};
  }
  auto account = co_await env.authenticator.authenticate(env.store, username, password);
  if (account) {
    env.throttle.record_success(peer, username);
    log::info("session={} event=auth_ok protocol={} mechanism={} user={} peer={}", session_id, protocol,
              mechanism, log::kv(account->address), peer);
    co_return LoginOutcome{LoginStatus::ok, std::move(*account)};
  }
  const Errc code = account.error().code;
  if (code != Errc::invalid && code != Errc::not_found) {
    log::error("session={} event=store_error op=authenticate error={}", session_id,
               log::kv(account.error().message));
    env.throttle.record_unavailable(peer, username);
    co_return LoginOutcome{LoginStatus::unavailable, std::nullopt};
  }
  const bool known = code == Errc::invalid;
  auto delay = env.throttle.record_failure(
      peer, username, known ? auth::FailureKind::wrong_password : auth::FailureKind::unknown_user);
  log::warn("session={} event=auth_failed protocol={} mechanism={} user={} peer={} account={}", session_id,
            protocol, mechanism, log::kv(username), peer, known ? "exists" : "unknown");
  asio::steady_timer pause(co_await asio::this_coro::executor, delay);
  co_await pause.async_wait(use_tuple);
  co_return LoginOutcome{LoginStatus::failed, std::nullopt};
}

}  // namespace tern::session
