// The Handler for a protocol whose sans-I/O core speaks in actions (SMTP,
// POP3): the core is fed the engine's bytes, its actions are performed in
// order, and the engine's events (timeout, time limit, shutdown) go to the
// core, which queues its own goodbye. The protocol's session derives from it,
// makes the core in start() and performs what is its own in perform();
// replies, STARTTLS and closing are handled here for every such core.
//
// What the core provides: next() -> std::optional<Action>, feed(bytes),
// closed(), idle(), authenticated(), receiving(), timed_out(), shutting_down(),
// tls_established(TlsInfo);
// an Action variant holding Reply{text, flush}, StartTls and Close.
#pragma once

#include <asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "core/log.hpp"
#include "session/engine.hpp"

namespace tern::session {

template <class Core, class Action, class Reply, class StartTls, class Close, class TlsInfo>
class CoreHandler : public Handler {
 public:
  CoreHandler(const SessionEnv& env, std::shared_ptr<net::Connection> connection, std::uint64_t id)
      : env_(env), connection_(connection), id_(id), engine_(env, std::move(connection), id, held_) {}

  asio::awaitable<bool> pump() override {
    std::optional<Action> action = core_->next();
    while (action) {
      // A reply is looked past: when it is STARTTLS's "go ahead", the
      // injection rule is applied before it is written.
      std::optional<Action> following;
      if (std::holds_alternative<Reply>(*action)) {
        following = core_->next();
        if (following && std::holds_alternative<StartTls>(*following) && engine_.cleartext_behind_starttls())
          co_return false;
      }
      const bool going = co_await perform_action(*action);
      if (!going) co_return false;
      action = following ? std::move(following) : core_->next();
    }
    co_return true;
  }

  bool closed() const override { return core_->closed(); }
  bool idle() const override { return core_->idle(); }
  bool authenticated() const override { return core_->authenticated(); }
  bool receiving() const override { return core_->receiving(); }
  void feed(std::string_view bytes) override { core_->feed(bytes); }
  void on_timeout() override { core_->timed_out(); }
  void on_session_timeout() override { core_->timed_out(); }
  void on_shutdown() override { core_->shutting_down(); }
  void on_evicted() override { core_->evicted(); }

 protected:
  // Performs an action of the protocol's own; false ends the session.
  virtual asio::awaitable<bool> perform(Action& action) = 0;

  // The TLS facts of the connection as the core takes them.
  std::optional<TlsInfo> tls_facts() const {
    if (auto info = connection_->tls_info()) return TlsInfo{info->version, info->cipher};
    return std::nullopt;
  }

  const SessionEnv& env_;
  std::shared_ptr<net::Connection> connection_;
  std::uint64_t id_;
  std::string held_;  // declared before the engine that writes it
  Engine engine_;
  std::optional<Core> core_;  // made in start(), once TLS is up on implicit-TLS listeners

 private:
  // One line per refusal, with the reply's code: "553 5.6.7 ...", "-ERR [AUTH] ...";
  // of a multi-line reply ("550-..."), its first line.
  void log_refusal(std::string_view text) const {
    const auto end = text.find("\r\n");
    std::string_view line = text.substr(0, end);
    log::info("session={} event=refused reply={}", id_, log::kv(line));
  }

  asio::awaitable<bool> perform_action(Action& action) {
    if (auto* reply = std::get_if<Reply>(&action)) {
      if (reply->refusal) log_refusal(reply->text);
      co_return co_await engine_.reply(reply->text, reply->flush);
    }
    if (std::holds_alternative<StartTls>(action)) {
      auto info = co_await engine_.start_tls();
      if (!info) co_return false;
      core_->tls_established(TlsInfo{info->version, info->cipher});
      co_return true;
    }
    if (std::holds_alternative<Close>(action)) {
      co_await engine_.flush();
      co_return false;
    }
    co_return co_await perform(action);
  }
};

}  // namespace tern::session
