// The SMTP session coroutine: reads bytes into the protocol, performs its
// actions in order, and writes the replies (held while a pipelined group is
// still arriving, RFC 2920). Recipient policy (DESIGN.md rule 2) and the
// delivery plan come from delivery/planner; the single durable delivery
// transaction (rule 1) is made here.
#include "smtp/session.hpp"

#include <asio/steady_timer.hpp>
#include <fmt/format.h>

#include <array>
#include <ctime>
#include <map>

#include "core/address.hpp"
#include "core/asio_tuple.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "delivery/planner.hpp"
#include "smtp/protocol/server_protocol.hpp"

namespace tern::smtp {

namespace {

Mode mode_for(Protocol protocol) {
  switch (protocol) {
    case Protocol::submission: return Mode::submission;
    case Protocol::submissions: return Mode::submissions;
    default: return Mode::smtp;
  }
}

std::string postmaster_domain(const std::string& hostname) {
  // mail.example.org -> example.org: where postmaster@ usually lives.
  auto dot = hostname.find('.');
  if (dot != std::string::npos && hostname.find('.', dot + 1) != std::string::npos)
    return hostname.substr(dot + 1);
  return hostname;
}

class Session {
 public:
  Session(SessionEnv env, std::shared_ptr<net::Connection> connection, std::uint64_t id)
      : env_(env), connection_(std::move(connection)), id_(id) {}

  asio::awaitable<void> run() {
    if (env_.protocol == Protocol::submissions) {
      auto ec = co_await connection_->start_tls(env_.tls.current(), env_.config.limits.command_timeout);
      if (ec) {
        log::info("session={} event=tls_failed error={}", id_, log::kv(ec.message()));
        co_return;
      }
    }
    protocol_.emplace(make_config(), make_facts());
    if (connection_->has_pending_input()) {
      log::warn("session={} event=pregreet peer={}", id_, connection_->peer_address());
      protocol_->client_spoke_early();
    } else {
      protocol_->start();
    }
    const auto started = std::chrono::steady_clock::now();
    std::array<char, 16384> buffer;
    for (;;) {
      while (auto action = protocol_->next())
        if (!co_await perform(*action)) co_return;
      if (protocol_->closed()) co_return;
      if (!co_await write_held()) co_return;
      // A transaction in progress may finish within the grace period.
      if (env_.stopping && protocol_->idle()) {
        protocol_->shutting_down();
        continue;
      }
      if (std::chrono::steady_clock::now() - started > env_.config.limits.session_timeout) {
        log::info("session={} event=session_timeout", id_);
        protocol_->timed_out();
        continue;
      }
      connection_->set_idle(protocol_->idle());
      auto [ec, n] = co_await connection_->read_some(buffer.data(), buffer.size(),
                                                     env_.config.limits.command_timeout);
      connection_->set_idle(false);
      if (ec) {
        if (ec == asio::error::operation_aborted && env_.stopping && !connection_->timed_out()) continue;
        if (connection_->timed_out()) {
          log::info("session={} event=timeout", id_);
          protocol_->timed_out();
          continue;
        }
        co_return;  // the client went away
      }
      protocol_->feed(std::string_view(buffer.data(), n));
    }
  }

 private:
  ProtocolConfig make_config() const {
    ProtocolConfig c;
    c.hostname = env_.config.hostname;
    c.mode = mode_for(env_.protocol);
    c.max_message_size = env_.config.limits.max_message_size;
    c.max_recipients = env_.config.limits.max_recipients;
    c.tls_available = env_.tls.current() != nullptr;
    c.allow_plaintext_auth = env_.config.auth.allow_plaintext_loopback && connection_->peer_is_loopback();
    c.postmaster_domain = postmaster_domain(env_.config.hostname);
    return c;
  }

  Connection make_facts() const {
    Connection facts;
    facts.peer_address = connection_->peer_address();
    if (auto info = connection_->tls_info()) facts.tls = TlsInfo{info->version, info->cipher};
    return facts;
  }

  asio::awaitable<bool> write_held() {
    if (held_.empty()) co_return true;
    std::string out = std::move(held_);
    held_.clear();
    auto ec = co_await connection_->write(out, env_.config.limits.command_timeout);
    co_return !ec;
  }

  // Performs one action; false ends the session.
  asio::awaitable<bool> perform(Action& action) {
    if (auto* reply = std::get_if<action::Reply>(&action)) {
      held_ += reply->text;
      if (reply->flush) co_return co_await write_held();
      co_return true;
    }
    if (std::holds_alternative<action::StartTls>(action)) {
      if (!co_await write_held()) co_return false;
      auto ec = co_await connection_->start_tls(env_.tls.current(), env_.config.limits.command_timeout);
      if (ec) {
        log::info("session={} event=tls_failed error={}", id_, log::kv(ec.message()));
        co_return false;
      }
      auto info = connection_->tls_info();
      log::info("session={} event=starttls version={} cipher={}", id_, info->version, info->cipher);
      protocol_->tls_established(TlsInfo{info->version, info->cipher});
      co_return true;
    }
    if (auto* check = std::get_if<action::CheckRecipient>(&action)) {
      protocol_->recipient_checked(co_await check_recipient(*check));
      co_return true;
    }
    if (auto* sender = std::get_if<action::CheckSender>(&action)) {
      protocol_->sender_checked(co_await check_sender(*sender));
      co_return true;
    }
    if (auto* login = std::get_if<action::Authenticate>(&action)) {
      co_await authenticate(*login);
      co_return true;
    }
    if (auto* deliver = std::get_if<action::Deliver>(&action)) {
      protocol_->delivery_done(co_await deliver_message(*deliver));
      resolved_.clear();
      co_return true;
    }
    // Close
    co_await write_held();
    co_return false;
  }

  asio::awaitable<RecipientVerdict> check_recipient(const action::CheckRecipient& check) {
    const std::string key = address::canonical(check.address);
    auto resolution = co_await env_.store.resolve(key);
    if (!resolution) {
      log::error("session={} event=store_error op=resolve error={}", id_, log::kv(resolution.error().message));
      co_return RecipientVerdict::temporary_failure;
    }
    const RecipientVerdict verdict = delivery::relay_verdict(*resolution, check.address, !check.auth_user.empty());
    log::info("session={} event=rcpt to={} verdict={}", id_, log::kv(key), verdict_name(verdict));
    if (verdict == RecipientVerdict::accept) resolved_[key] = std::move(*resolution);
    co_return verdict;
  }

  // The account may use its own address and the aliases that deliver to it.
  asio::awaitable<SenderVerdict> check_sender(const action::CheckSender& check) {
    const std::string key = address::canonical(check.address);
    if (key == check.auth_user) co_return SenderVerdict::accept;
    auto account = co_await env_.store.find_account(check.auth_user);
    auto resolution = co_await env_.store.resolve(key);
    if (!account || !resolution) {
      log::error("session={} event=store_error op=check_sender", id_);
      co_return SenderVerdict::temporary_failure;
    }
    bool owned = false;
    if (*account)
      for (auto id : resolution->accounts) owned = owned || id == (*account)->id;
    if (!owned)
      log::warn("session={} event=sender_refused from={} user={}", id_, log::kv(key), log::kv(check.auth_user));
    co_return owned ? SenderVerdict::accept : SenderVerdict::not_owned;
  }

  static const char* verdict_name(RecipientVerdict v) {
    switch (v) {
      case RecipientVerdict::accept: return "accept";
      case RecipientVerdict::unknown_user: return "unknown_user";
      case RecipientVerdict::relay_denied: return "relay_denied";
      case RecipientVerdict::not_allowed: return "not_allowed";
      case RecipientVerdict::temporary_failure: return "temporary_failure";
    }
    return "?";
  }

  asio::awaitable<void> authenticate(const action::Authenticate& login) {
    const std::string& peer = connection_->peer_address();
    auto admission = env_.throttle.check(peer, login.username);
    if (!admission.allowed) {
      log::warn("session={} event=auth_throttled user={} peer={}", id_, log::kv(login.username), peer);
      protocol_->auth_result(false, "");
      co_return;
    }
    auto account = co_await env_.authenticator.authenticate(env_.store, login.username, login.password);
    if (account) {
      env_.throttle.record_success(peer, login.username);
      log::info("session={} event=auth_ok mechanism={} user={}", id_, login.mechanism, log::kv(account->address));
      protocol_->auth_result(true, account->address);
      co_return;
    }
    if (account.error().code != Errc::invalid) {
      log::error("session={} event=store_error op=authenticate error={}", id_, log::kv(account.error().message));
      env_.throttle.record_unavailable(peer, login.username);
      protocol_->auth_unavailable();
      co_return;
    }
    auto delay = env_.throttle.record_failure(peer, login.username);
    log::warn("session={} event=auth_failed mechanism={} user={} peer={}", id_, login.mechanism,
              log::kv(login.username), peer);
    asio::steady_timer pause(co_await asio::this_coro::executor, delay);
    co_await pause.async_wait(use_tuple);
    protocol_->auth_result(false, "");
  }

  asio::awaitable<Result<std::string>> deliver_message(action::Deliver& deliver) {
    delivery::Input input;
    input.origin = env_.protocol == Protocol::smtp ? delivery::Origin::smtp : delivery::Origin::submission;
    input.recipients = delivery::accepted_recipients(deliver.envelope, resolved_);
    input.envelope = std::move(deliver.envelope);
    input.hostname = env_.config.hostname;
    input.id = make_unique_id();
    input.now = static_cast<std::int64_t>(std::time(nullptr));
    input.message = deliver.message;
    delivery::Plan plan = delivery::plan_delivery(input);
    const Envelope& envelope = input.envelope;
    const std::string& txid = input.id;

    const std::size_t local_count = plan.local_count();
    const std::size_t remote_count = plan.queued_count();
    auto result = co_await env_.store.deliver(std::move(plan.delivery));
    if (!result) {
      log::error("session={} event=store_error op=deliver id={} error={}", id_, txid,
                 log::kv(result.error().message));
      co_return std::move(result).error();
    }
    log::info("session={} event=accepted id={} from={} local={} queued={} size={}", id_, txid,
              log::kv("<" + envelope.reverse_path() + ">"), local_count, remote_count, deliver.message.size());
    co_return txid;
  }

  SessionEnv env_;
  std::shared_ptr<net::Connection> connection_;
  std::uint64_t id_;
  std::optional<ServerProtocol> protocol_;  // made once TLS (465) is up
  std::string held_;
  std::map<std::string, store::Resolution> resolved_;
};

}  // namespace

asio::awaitable<void> run_session(SessionEnv env, std::shared_ptr<net::Connection> connection,
                                  std::uint64_t id) {
  Session session(env, std::move(connection), id);
  co_await session.run();
}

}  // namespace tern::smtp
