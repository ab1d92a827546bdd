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
  if (protocol_implicit_tls(env_.protocol)) {
    const bool secure = co_await handshake();
    if (!secure) co_return;
  }
  handler.start();
  const auto& limits = env_.config.limits;
  const auto since = std::chrono::steady_clock::now();
  for (;;) {
    // (co_await results are named before they are tested: GCC 12 mistranslates
    // some co_await expressions inside conditions.)
    const bool going = co_await handler.pump();
    if (!going || handler.closed()) break;
    const bool written = co_await flush();
    if (!written) co_return;
    if (env_.stopping && handler.stop_now()) {
      handler.on_shutdown();
      continue;
    }
    if (handler.time_limited() && std::chrono::steady_clock::now() - since > limits.session_timeout) {
      log::info("session={} event=session_timeout", id_);
      handler.on_session_timeout();
      continue;
    }
    handler.before_read();
    buffer_.resize(read_size);
    connection_->set_idle(handler.idle());
    auto [ec, n] = co_await connection_->read_some(buffer_.data(), buffer_.size(), handler.read_timeout());
    connection_->set_idle(false);
    if (ec) {
      if (connection_->timed_out()) {
        log::info("session={} event=timeout", id_);
        handler.on_timeout();
        continue;
      }
      // Interrupted by a shutdown: say goodbye above.
      if (ec == asio::error::operation_aborted && env_.stopping) continue;
      handler.on_disconnect();
      co_return;
    }
    handler.feed(std::string_view(buffer_.data(), n));
  }
  co_await flush();
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
