// The IMAP session coroutine: reads bytes into the CommandReader, answers
// literal announcements (refusing oversize ones before the "+", RFC 7888),
// parses and dispatches commands, and after each one catches the selected
// mailbox up with changes from other sessions and deliveries (RFC 9051
// 7.4.1). IDLE (RFC 2177) waits for either the client's DONE or a ChangeHub
// notification. STARTTLS and AUTHENTICATE's continuation lines are handled
// here, between commands.
#include "imap/session.hpp"

#include <asio/experimental/awaitable_operators.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <array>
#include <optional>

#include "core/asio_tuple.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "imap/commands/commands.hpp"
#include "imap/protocol/reader.hpp"

namespace tern::imap {

std::chrono::seconds idle_timeout(const LimitsConfig& limits) {
  const std::chrono::seconds rfc_minimum{30 * 60};
  const std::chrono::seconds default_command_timeout = LimitsConfig{}.command_timeout;
  if (limits.command_timeout < default_command_timeout) return limits.command_timeout;
  return std::max(limits.command_timeout, rfc_minimum);
}

namespace {

using namespace asio::experimental::awaitable_operators;

constexpr std::size_t max_errors = 20;                 // BAD answers before the session is ended
constexpr std::uint64_t max_unauth_literal = 8 * 1024;  // a literal before login (user name, password)
constexpr std::size_t read_size = 16 * 1024;

// Wakes a session in IDLE when its selected mailbox changes. Lives as long as
// the last posted notification, so a notification racing with the end of the
// session is harmless.
struct Wakeup {
  explicit Wakeup(const asio::any_io_executor& executor) : timer(executor) {}
  asio::steady_timer timer;
  bool dirty = false;  // touched only on the session's executor
};

ReaderLimits reader_limits(const Config& config) {
  ReaderLimits limits;
  limits.max_append_literal_octets = config.limits.max_message_size;
  return limits;
}

class Session {
 public:
  Session(SessionEnv env, std::shared_ptr<net::Connection> connection, std::uint64_t id)
      : connection_(std::move(connection)),
        ctx_(env, Peer{connection_->peer_address(), connection_->peer_is_loopback(), connection_->secure()}, id),
        reader_(reader_limits(env.config)) {
    ctx_.write_out = [this]() { return flush(); };
  }

  asio::awaitable<void> run() {
    const auto& limits = ctx_.env.config.limits;
    executor_ = co_await asio::this_coro::executor;
    wakeup_ = std::make_shared<Wakeup>(executor_);
    if (ctx_.env.protocol == Protocol::imaps) {
      auto ec = co_await connection_->start_tls(ctx_.env.tls.current(), limits.command_timeout);
      if (ec) {
        log::info("session={} event=tls_failed error={}", ctx_.id, log::kv(ec.message()));
        co_return;
      }
      ctx_.peer.secure = true;
    }
    log::info("session={} event=connect protocol=imap peer={} tls={}", ctx_.id, connection_->peer_address(),
              connection_->secure());
    ctx_.out += "* OK [CAPABILITY " + capabilities(ctx_) + "] " + ctx_.env.config.hostname + " IMAP ready\r\n";
    if (!co_await flush()) co_return;
    started_ = std::chrono::steady_clock::now();
    for (;;) {
      if (!co_await process_events()) break;
      if (!co_await flush()) co_return;
      if (ctx_.state == SessionState::logout) break;
      if (ctx_.env.stopping) {
        ctx_.out += "* BYE server shutting down\r\n";
        break;
      }
      // A logged-in client may stay for days (IDLE renewed every 29 minutes);
      // session_timeout bounds only the time to log in.
      if (ctx_.state == SessionState::not_authenticated &&
          std::chrono::steady_clock::now() - started_ > limits.session_timeout) {
        log::info("session={} event=session_timeout", ctx_.id);
        ctx_.out += "* BYE session time limit reached\r\n";
        break;
      }
      const auto timeout =
          ctx_.state == SessionState::not_authenticated ? limits.command_timeout : idle_timeout(limits);
      connection_->set_idle(reader_.idle());
      reader_.release_memory();
      buffer_.resize(read_size);
      auto [ec, n] = co_await connection_->read_some(buffer_.data(), buffer_.size(), timeout);
      connection_->set_idle(false);
      if (ec) {
        if (connection_->timed_out()) {
          log::info("session={} event=timeout", ctx_.id);
          ctx_.out += "* BYE autologout; idle for too long\r\n";
          break;
        }
        if (ctx_.env.stopping) {
          ctx_.out += "* BYE server shutting down\r\n";
          break;
        }
        log::info("session={} event=disconnect", ctx_.id);
        co_return;
      }
      reader_.feed(std::string_view(buffer_.data(), n));
    }
    co_await flush();
    log::info("session={} event=logout", ctx_.id);
  }

 private:
  asio::awaitable<bool> flush() {
    if (ctx_.out.empty()) co_return true;
    std::string data = std::move(ctx_.out);
    ctx_.out.clear();
    auto ec = co_await connection_->write(data, ctx_.env.config.limits.command_timeout);
    co_return !ec;
  }

  // Handles everything the reader has; false ends the session (BYE queued).
  asio::awaitable<bool> process_events() {
    while (auto event = reader_.next()) {
      if (auto* command = std::get_if<reader_event::Command>(&*event)) {
        if (!co_await handle_command(command->text)) co_return false;
      } else if (auto* literal = std::get_if<reader_event::LiteralAnnounced>(&*event)) {
        handle_literal(*literal);
      } else if (auto* rejected = std::get_if<reader_event::Rejected>(&*event)) {
        ctx_.out += status_response(rejected->tag.empty() ? "*" : rejected->tag, Status::bad, rejected->code,
                                    rejected->reason);
        if (!count_error()) co_return false;
      }
      if (ctx_.state == SessionState::logout) co_return true;
      if (ctx_.out.size() >= 64 * 1024 && !co_await flush()) co_return false;
    }
    co_return true;
  }

  void handle_literal(const reader_event::LiteralAnnounced& literal) {
    const std::string tag = literal.tag.empty() ? "*" : literal.tag;
    std::string refusal;
    if (ctx_.state == SessionState::not_authenticated && literal.size > max_unauth_literal)
      refusal = status_response(tag, Status::bad, "TOOBIG", "literal too large before login");
    else if (literal.command == "APPEND" && ctx_.state == SessionState::not_authenticated)
      refusal = status_response(tag, Status::bad, {}, "APPEND needs a login first");
    if (!literal.synchronizing) {
      // The bytes come anyway (RFC 7888 4); before login they are not worth
      // reading: the connection ends.
      if (!refusal.empty()) {
        ctx_.out += "* BYE literal too large before login\r\n";
        ctx_.state = SessionState::logout;
      }
      return;
    }
    if (!refusal.empty()) {
      ctx_.out += refusal;
      reader_.refuse_literal();
      return;
    }
    ctx_.out += continuation("Ready for literal data");
    reader_.accept_literal();
  }

  bool count_error() {
    if (++errors_ < max_errors) return true;
    log::info("session={} event=too_many_errors", ctx_.id);
    ctx_.out += "* BYE too many invalid commands\r\n";
    ctx_.state = SessionState::logout;
    return false;
  }

  asio::awaitable<bool> handle_command(const std::string& text) {
    if (ctx_.sasl) {
      co_await continue_authenticate(ctx_, text::trim_right(text, "\r\n"));
      co_return true;
    }
    auto parsed = parse_command(text);
    if (auto* error = std::get_if<ParseError>(&parsed)) {
      ctx_.out += status_response(error->tag.empty() ? "*" : error->tag, Status::bad, {}, error->reason);
      co_return count_error();
    }
    const Command& command = std::get<Command>(parsed);
    if (!allowed_in_state(command, ctx_.state)) {
      ctx_.bad(command, command.name + " is not valid in this state");
      co_return count_error();
    }
    log::debug("session={} event=command name={}", ctx_.id, command.name);
    const bool restricted = !command.uid && (std::holds_alternative<command::Fetch>(command.body) ||
                                             std::holds_alternative<command::Store>(command.body) ||
                                             std::holds_alternative<command::Search>(command.body));
    if (ctx_.state == SessionState::selected && wakeup_->dirty) {
      // The command must see what other sessions did (a SEARCH for flags
      // just set elsewhere); their news goes out before its responses.
      wakeup_->dirty = false;
      if (!co_await ctx_.sync(!restricted)) {
        ctx_.out += "* BYE the selected mailbox was deleted\r\n";
        ctx_.state = SessionState::logout;
        co_return false;
      }
    }
    co_await dispatch(ctx_, command);
    if (ctx_.start_tls) {
      ctx_.start_tls = false;
      // Bytes after STARTTLS, sent before the client could have seen the OK,
      // would be read as if they came over TLS: end the connection instead.
      if (!reader_.idle() || connection_->has_pending_input()) {
        log::warn("session={} event=starttls_injection peer={}", ctx_.id, connection_->peer_address());
        ctx_.out.clear();
        ctx_.out += "* BYE data after STARTTLS\r\n";
        ctx_.state = SessionState::logout;
        co_return false;
      }
      if (!co_await flush()) co_return false;
      auto ec = co_await connection_->start_tls(ctx_.env.tls.current(), ctx_.env.config.limits.command_timeout);
      if (ec) {
        log::info("session={} event=tls_failed error={}", ctx_.id, log::kv(ec.message()));
        co_return false;
      }
      ctx_.peer.secure = true;
      auto info = connection_->tls_info();
      log::info("session={} event=starttls version={} cipher={}", ctx_.id, info->version, info->cipher);
      co_return true;
    }
    follow_selected_mailbox();
    if (ctx_.start_idle) {
      ctx_.start_idle = false;
      co_return co_await idle(command);
    }
    if (ctx_.state == SessionState::selected && !std::holds_alternative<command::Select>(command.body)) {
      // Changes are looked for after every command that may report them at
      // once; NOOP, CHECK and IDLE always ask the store (another node may
      // share the database), other commands when this node saw a change.
      const bool poll = std::holds_alternative<command::Noop>(command.body) ||
                        std::holds_alternative<command::Check>(command.body);
      if (poll || wakeup_->dirty) {
        wakeup_->dirty = false;
        if (!co_await sync_before_tagged(!restricted)) co_return false;
      }
    }
    co_return true;
  }

  // Runs a sync and puts its untagged responses before the tagged response
  // the command already queued (RFC 9051 7.4.1: untagged data precede it).
  asio::awaitable<bool> sync_before_tagged(bool allow_expunge) {
    std::string held = std::move(ctx_.out);
    ctx_.out.clear();
    // The tagged line is the last one in `held`.
    std::size_t cut = held.size() >= 2 ? held.rfind("\r\n", held.size() - 3) : std::string::npos;
    cut = cut == std::string::npos ? 0 : cut + 2;
    std::string tagged = held.substr(cut);
    held.resize(cut);
    const bool alive = co_await ctx_.sync(allow_expunge);
    std::string updates = std::move(ctx_.out);
    ctx_.out = std::move(held);
    ctx_.out += updates;
    if (!alive) {
      ctx_.out += "* BYE the selected mailbox was deleted\r\n";
      ctx_.state = SessionState::logout;
      co_return false;
    }
    ctx_.out += tagged;
    co_return true;
  }

  // Subscribes to the selected mailbox's changes (or drops the subscription).
  void follow_selected_mailbox() {
    const store::Id wanted = ctx_.view ? ctx_.view->mailbox_id() : 0;
    if (wanted == followed_) return;
    subscription_.reset();
    followed_ = wanted;
    wakeup_->dirty = false;
    if (wanted == 0) return;
    subscription_ = ctx_.env.store.change_hub().subscribe(
        wanted, [wakeup = wakeup_, executor = executor_](store::Id) {
          asio::post(executor, [wakeup] {
            wakeup->dirty = true;
            wakeup->timer.cancel();
          });
        });
  }

  // RFC 2177 / RFC 9051 6.3.13: "+ idling", then changes as they happen,
  // until DONE.
  asio::awaitable<bool> idle(const Command& command) {
    const auto timeout = idle_timeout(ctx_.env.config.limits);
    asio::steady_timer deadline(executor_);
    bool first = true;
    // Nothing is read while waiting, so an idling session holds no buffers.
    std::vector<char>().swap(buffer_);
    reader_.release_memory();
    for (;;) {
      if (ctx_.view && (first || wakeup_->dirty)) {
        wakeup_->dirty = false;
        if (!co_await ctx_.sync(true)) {
          ctx_.out += "* BYE the selected mailbox was deleted\r\n";
          ctx_.state = SessionState::logout;
          co_return false;
        }
      }
      first = false;
      if (!co_await flush()) co_return false;
      if (ctx_.env.stopping) {
        ctx_.out += "* BYE server shutting down\r\n";
        ctx_.state = SessionState::logout;
        co_return false;
      }
      // A notification that came while syncing or writing found no wait to
      // cancel: catch up with it before waiting.
      if (ctx_.view && wakeup_->dirty) continue;
      deadline.expires_after(timeout);
      wakeup_->timer.expires_at(asio::steady_timer::time_point::max());
      connection_->set_idle(true);
      auto woke = co_await (connection_->wait_readable() || wakeup_->timer.async_wait(use_tuple) ||
                            deadline.async_wait(use_tuple));
      connection_->set_idle(false);
      if (woke.index() == 1) continue;
      if (woke.index() == 2) {
        log::info("session={} event=timeout state=idle", ctx_.id);
        ctx_.out += "* BYE autologout; idle for too long\r\n";
        ctx_.state = SessionState::logout;
        co_return false;
      }
      if (std::get<0>(woke)) {
        if (ctx_.env.stopping) continue;  // interrupted for shutdown: say goodbye above
        co_return false;
      }
      std::vector<char> buffer(4096);
      auto [ec, n] = co_await connection_->read_some(buffer.data(), buffer.size(), timeout);
      if (ec) {
        if (ctx_.env.stopping) continue;
        co_return false;
      }
      reader_.feed(std::string_view(buffer.data(), n));
      while (auto event = reader_.next()) {
        if (auto* line = std::get_if<reader_event::Command>(&*event)) {
          if (is_idle_done(line->text)) {
            ctx_.ok(command, "IDLE terminated");
          } else {
            ctx_.bad(command, "expected DONE");
            count_error();
          }
          co_return true;  // anything after DONE is handled by the main loop
        }
        if (auto* literal = std::get_if<reader_event::LiteralAnnounced>(&*event)) {
          if (literal->synchronizing) reader_.refuse_literal();
          ctx_.bad(command, "expected DONE");
          co_return count_error();
        }
        if (std::get_if<reader_event::Rejected>(&*event)) {
          ctx_.bad(command, "expected DONE");
          co_return count_error();
        }
      }
    }
  }

  std::shared_ptr<net::Connection> connection_;
  Context ctx_;
  CommandReader reader_;
  asio::any_io_executor executor_;
  std::shared_ptr<Wakeup> wakeup_;
  store::ChangeHub::Subscription subscription_;
  store::Id followed_ = 0;
  std::size_t errors_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::vector<char> buffer_;  // for reads; given back while idling
};

}  // namespace

asio::awaitable<void> run_session(SessionEnv env, std::shared_ptr<net::Connection> connection, std::uint64_t id) {
  Session session(env, std::move(connection), id);
  co_await session.run();
}

}  // namespace tern::imap
