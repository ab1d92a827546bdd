#include "session/engine.hpp"

#include <algorithm>

#include "core/log.hpp"

namespace tern::session {

namespace {

constexpr std::size_t read_size = 16 * 1024;
constexpr std::size_t write_threshold = 64 * 1024;  // held output written once this much waits

}  // namespace

std::chrono::seconds idle_timeout(const LimitsConfig& limits, std::chrono::seconds rfc_minimum) {
  const std::chrono::seconds default_command_timeout = LimitsConfig{}.command_timeout;
  if (limits.command_timeout < default_command_timeout) return limits.command_timeout;
  return std::max(limits.command_timeout, rfc_minimum);
}

Engine::Engine(const SessionEnv& env, std::shared_ptr<net::Connection> connection, std::uint64_t id,
               std::string& out)
    : env_(env), connection_(std::move(connection)), id_(id), out_(out) {}

bool Engine::plaintext_auth_allowed() const {
  return env_.config.auth.allow_plaintext_loopback && connection_->peer_is_loopback();
}

asio::awaitable<bool> Engine::handshake() {
  auto ec = co_await connection_->start_tls(env_.tls.current(), env_.config.limits.command_timeout);
  if (ec) {
    log::info("session={} event=tls_failed error={}", id_, log::kv(ec.message()));
    co_return false;
  }
  co_return true;
}

asio::awaitable<void> Engine::run(Handler& handler) {
  started_ = std::chrono::steady_clock::now();
  if (protocol_implicit_tls(env_.protocol)) {
    const bool secure = co_await handshake();
    if (!secure) co_return;
  }
  handler.start();
  for (;;) {
    // (co_await results are named before they are tested: GCC 12 mistranslates
    // some co_await expressions inside conditions.)
    const bool going = co_await handler.pump();
    if (!going || handler.closed()) break;
    track_command(handler);
    connection_->set_authenticated(handler.authenticated());
    const bool written = co_await flush();
    if (!written) co_return;
    if (env_.stopping && handler.stop_now()) {
      handler.on_shutdown();
      continue;
    }
    if (connection_->evicted()) {
      log::info("session={} event=evicted peer={} reason=\"connection slots full\"", id_,
                connection_->peer_address());
      handler.on_evicted();
      continue;
    }
    const auto now = std::chrono::steady_clock::now();
    if (!waiting_since_) waiting_since_ = now;
    const Wait wait = next_wait(handler, now);
    if (wait.timeout.count() <= 0) {
      waiting_since_.reset();
      limit_reached(handler, wait.limit);
      continue;
    }
    handler.before_read();
    buffer_.resize(read_size);
    connection_->set_idle(handler.idle());
    auto [ec, n] = co_await connection_->read_some(buffer_.data(), buffer_.size(), wait.timeout);
    connection_->set_idle(false);
    if (ec) {
      if (connection_->timed_out()) {
        waiting_since_.reset();
        limit_reached(handler, wait.limit);
        continue;
      }
      if (ec == asio::error::operation_aborted) {
        // Nudged (the server came under stress): the same wait, worked out again.
        if (connection_->take_nudge()) continue;
        // Interrupted by a shutdown or an eviction: say goodbye above.
        if (env_.stopping || connection_->evicted()) continue;
      }
      handler.on_disconnect();
      co_return;
    }
    waiting_since_.reset();
    last_read_at_ = std::chrono::steady_clock::now();
    last_read_bytes_ = n;
    if (command_since_) command_bytes_ += n;
    handler.feed(std::string_view(buffer_.data(), n));
  }
  co_await flush();
}

void Engine::track_command(const Handler& handler) {
  if (!handler.receiving()) {
    command_since_.reset();
    return;
  }
  if (command_since_) return;
  // The command began with the read that brought its first bytes.
  command_since_ = last_read_at_;
  command_bytes_ = last_read_bytes_;
}

Engine::Wait Engine::next_wait(const Handler& handler, TimePoint now) const {
  using std::chrono::seconds;
  const auto& limits = env_.config.limits;
  const bool logged_in = handler.authenticated();
  const bool stressed = !logged_in && env_.stress && env_.stress->load(std::memory_order_relaxed);
  Wait wait{seconds::max(), Limit::read};
  // What is left until `deadline`, rounded up to whole seconds (the
  // connection's unit); zero once it has passed.
  auto cap = [&](TimePoint deadline, Limit limit) {
    if (deadline <= now) {
      wait = {seconds(0), limit};
      return;
    }
    const auto left = std::chrono::ceil<seconds>(deadline - now);
    if (left < wait.timeout) wait = {left, limit};
  };
  // The wait for the client's next bytes counts from when it began (a
  // nudged wait goes on where it was).
  const TimePoint waiting_since = waiting_since_.value_or(now);
  cap(waiting_since + handler.read_timeout(), Limit::read);
  if (stressed) cap(waiting_since + limits.stress_timeout, Limit::stress);
  if (command_since_) {
    const seconds allowance = stressed ? std::min(limits.stress_timeout, limits.command_timeout)
                                       : limits.command_timeout;
    const seconds earned(command_bytes_ / std::max<std::uint32_t>(limits.min_data_rate, 1));
    cap(*command_since_ + allowance + earned, Limit::command);
  }
  if (!logged_in && protocol_requires_login(env_.protocol)) cap(started_ + limits.login_timeout, Limit::login);
  if (handler.time_limited()) cap(started_ + limits.session_timeout, Limit::session);
  return wait;
}

void Engine::limit_reached(Handler& handler, Limit limit) {
  switch (limit) {
    case Limit::read:
    case Limit::stress:
      log::info("session={} event=timeout limit={}", id_, limit == Limit::read ? "idle" : "stress");
      handler.on_timeout();
      return;
    case Limit::command:
      log::info("session={} event=timeout limit=command octets={}", id_, command_bytes_);
      handler.on_timeout();
      return;
    case Limit::login:
      log::info("session={} event=login_timeout", id_);
      handler.on_session_timeout();
      return;
    case Limit::session:
      log::info("session={} event=session_timeout", id_);
      handler.on_session_timeout();
      return;
  }
}

asio::awaitable<bool> Engine::reply(std::string_view text, bool flush_now) {
  out_ += text;
  if (flush_now) co_return co_await flush();
  co_return co_await flush_if_full();
}

asio::awaitable<bool> Engine::flush_if_full() {
  if (out_.size() < write_threshold) co_return true;
  co_return co_await flush();
}

asio::awaitable<bool> Engine::flush() {
  if (out_.empty()) co_return true;
  std::string data = std::move(out_);
  out_.clear();
  auto ec = co_await connection_->write(data, env_.config.limits.command_timeout);
  co_return !ec;
}

bool Engine::cleartext_behind_starttls(bool core_holds_bytes) {
  if (!core_holds_bytes && !connection_->has_pending_input()) return false;
  log::warn("session={} event=starttls_injection peer={}", id_, connection_->peer_address());
  return true;
}

asio::awaitable<std::optional<net::TlsInfo>> Engine::start_tls() {
  const bool written = co_await flush();
  if (!written) co_return std::nullopt;
  if (!co_await handshake()) co_return std::nullopt;
  auto info = connection_->tls_info();
  log::info("session={} event=starttls version={} cipher={}", id_, info->version, info->cipher);
  co_return info;
}

}  // namespace tern::session
