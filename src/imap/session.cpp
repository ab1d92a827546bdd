// The IMAP session: the protocol's handler for the session engine. It feeds
// the engine's bytes into the CommandReader, answers
// literal announcements (refusing oversize ones before the "+", RFC 7888),
// parses and dispatches commands, and after each one catches the selected
// mailbox up with changes from other sessions and deliveries (RFC 9051
// 7.4.1). It is the commands' Channel to the connection: IDLE waits
// through it for the client's DONE or a ChangeHub notification, STARTTLS
// upgrades through it. AUTHENTICATE's continuation lines are handed over
// here, between commands.
#include "imap/session.hpp"

#include <asio/experimental/awaitable_operators.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <optional>
#include <utility>

#include "core/asio_tuple.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "imap/commands/commands.hpp"
#include "imap/protocol/reader.hpp"

namespace tern::imap {

namespace {

using namespace asio::experimental::awaitable_operators;

constexpr std::size_t max_errors = 20;                 // BAD answers before the session is ended
constexpr std::uint64_t max_unauth_literal = 8 * 1024;  // a literal before login (user name, password)

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
  limits.spool = spool_options(config.data_dir);
  return limits;
}

class Session final : public session::Handler, public Channel {
 public:
  Session(const SessionEnv& env, std::shared_ptr<net::Connection> connection, std::uint64_t id)
      : connection_(connection),
        ctx_(env, Peer{connection_->peer_address(), connection_->peer_is_loopback(), connection_->secure()}, id),
        reader_(reader_limits(env.config)),
        engine_(env, std::move(connection), id, ctx_.out) {
    ctx_.channel = this;
  }

  asio::awaitable<void> run() {
    executor_ = co_await asio::this_coro::executor;
    wakeup_ = std::make_shared<Wakeup>(executor_);
    co_await engine_.run(*this);
    if (ctx_.state == SessionState::logout) log::info("session={} event=logout", ctx_.id);
  }

  void start() override {
    ctx_.peer.secure = connection_->secure();
    ctx_.out += "* OK [CAPABILITY " + capabilities(ctx_) + "] " + ctx_.env.config.hostname + " IMAP ready\r\n";
  }

  asio::awaitable<bool> pump() override { co_return co_await process_events(); }
  bool closed() const override { return ctx_.state == SessionState::logout; }
  bool idle() const override { return reader_.idle(); }
  bool authenticated() const override { return ctx_.state != SessionState::not_authenticated; }
  bool receiving() const override { return !reader_.idle(); }
  bool stop_now() const override { return true; }
  void feed(std::string_view bytes) override { reader_.feed(bytes); }
  // A logged-in client may stay for days (IDLE renewed every 29 minutes);
  // session_timeout bounds only the time to log in.
  bool time_limited() const override { return ctx_.state == SessionState::not_authenticated; }
  std::chrono::seconds read_timeout() const override {
    const auto& limits = ctx_.env.config.limits;
    return ctx_.state == SessionState::not_authenticated ? limits.command_timeout : idle_timeout(limits);
  }
  void before_read() override { reader_.release_memory(); }
  void on_timeout() override { ctx_.bye("autologout; idle for too long"); }
  void on_session_timeout() override { ctx_.bye("session time limit reached"); }
  void on_shutdown() override { ctx_.bye("server shutting down"); }
  void on_evicted() override { ctx_.bye("[UNAVAILABLE] too many connections, idle ones are closed; try again later"); }

 private:
  // Handles everything the reader has; false ends the session (BYE queued).
  asio::awaitable<bool> process_events() {
    while (auto event = reader_.next()) {
      if (auto* command = std::get_if<reader_event::Command>(&*event)) {
        if (!co_await handle_command(command->text, command->spooled)) co_return false;
      } else if (auto* literal = std::get_if<reader_event::LiteralAnnounced>(&*event)) {
        handle_literal(*literal);
      } else if (auto* rejected = std::get_if<reader_event::Rejected>(&*event)) {
        ctx_.out += status_response(rejected->tag.empty() ? "*" : rejected->tag, Status::bad, rejected->code,
                                    rejected->reason);
        if (!count_error()) co_return false;
      }
      if (ctx_.state == SessionState::logout) co_return true;
      const bool written = co_await engine_.flush_if_full();
      if (!written) co_return false;
    }
    co_return true;
  }

  void handle_literal(const reader_event::LiteralAnnounced& literal) {
    const std::string tag = literal.tag.empty() ? "*" : literal.tag;
    if (literal.too_large) {
      // The reader discards it and rejects the command at its end; before
      // login, those bytes are not worth reading (RFC 7888 4).
      if (ctx_.state == SessionState::not_authenticated) end_for_literal(literal);
      return;
    }
    std::string refusal;
    if (ctx_.state == SessionState::not_authenticated && literal.size > max_unauth_literal)
      refusal = status_response(tag, Status::bad, "TOOBIG", "literal too large before login");
    else if (ctx_.state == SessionState::not_authenticated && !literal_allowed(literal.command))
      refusal = status_response(tag, Status::bad, {}, literal.command + " is not valid in this state");
    if (!literal.synchronizing) {
      // The bytes come anyway (RFC 7888 4); before login they are not worth
      // reading: the connection ends.
      if (!refusal.empty()) end_for_literal(literal);
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

  // A non-synchronizing literal refused before login: its bytes come
  // anyway, so the connection ends instead of reading them.
  void end_for_literal(const reader_event::LiteralAnnounced& literal) {
    log::info("session={} event=literal_refused command={} size={} reason=\"before login\"", ctx_.id,
              log::kv(literal.command), literal.size);
    ctx_.bye("literal too large before login");
  }

  // Before login, a literal of a command that may not run yet (APPEND) is
  // not worth reading.
  bool literal_allowed(std::string_view name) const {
    if (name.starts_with("UID ")) name.remove_prefix(4);
    const CommandSpec* spec = find_command(name);
    return spec == nullptr || allowed_in_state(*spec, ctx_.state);
  }

  bool count_error() override {
    if (++errors_ < max_errors) return true;
    log::info("session={} event=too_many_errors", ctx_.id);
    ctx_.bye("too many invalid commands");
    return false;
  }

  asio::awaitable<bool> handle_command(const std::string& text, std::span<const SpooledLiteral> spooled) {
    if (ctx_.sasl) {
      co_await continue_authenticate(ctx_, text::trim_right(text, "\r\n"));
      co_return true;
    }
    auto parsed = parse_command(text, {}, spooled);
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
    const bool restricted = !command.uid && !command.spec->may_expunge;
    if (ctx_.state == SessionState::selected && wakeup_->dirty) {
      // The command must see what other sessions did (a SEARCH for flags
      // just set elsewhere); their news goes out before its responses.
      wakeup_->dirty = false;
      if (!co_await ctx_.sync(!restricted)) {
        ctx_.bye("the selected mailbox was deleted");
        co_return false;
      }
    }
    co_await dispatch(ctx_, command);
    if (ctx_.state == SessionState::logout) co_return false;
    follow_selected_mailbox();
    if (ctx_.state == SessionState::selected && !std::holds_alternative<command::Select>(command.body)) {
      // Changes are looked for after every command that may report them at
      // once; NOOP, CHECK and IDLE always ask the store (another node may
      // share the database), other commands when this node saw a change.
      if (command.spec->polls || wakeup_->dirty) {
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
      ctx_.bye("the selected mailbox was deleted");
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

  // Channel: what commands ask of the connection.
  asio::awaitable<bool> write_out() override { co_return co_await engine_.flush(); }

  asio::awaitable<bool> start_tls() override {
    // Bytes after STARTTLS, sent before the client could have seen the OK,
    // would be read as if they came over TLS: end the connection instead.
    if (engine_.cleartext_behind_starttls(!reader_.idle())) {
      ctx_.out.clear();
      ctx_.bye("data after STARTTLS");
      co_return false;
    }
    auto info = co_await engine_.start_tls();
    if (!info) co_return false;
    ctx_.peer.secure = true;
    co_return true;
  }

  bool take_change() override { return std::exchange(wakeup_->dirty, false); }

  asio::awaitable<Wake> wait(std::chrono::seconds timeout, std::string& line) override {
    engine_.release_buffer();
    reader_.release_memory();
    asio::steady_timer deadline(executor_, timeout);
    wakeup_->timer.expires_at(asio::steady_timer::time_point::max());
    connection_->set_idle(true);
    auto woke = co_await (connection_->wait_readable() || wakeup_->timer.async_wait(use_tuple) ||
                          deadline.async_wait(use_tuple));
    connection_->set_idle(false);
    if (woke.index() == 1) co_return Wake::change;
    if (woke.index() == 2) co_return Wake::timeout;
    if (std::get<0>(woke)) co_return ctx_.env.stopping ? Wake::stopping : Wake::gone;
    std::vector<char> buffer(4096);
    auto [ec, n] = co_await connection_->read_some(buffer.data(), buffer.size(), timeout);
    if (ec) co_return ctx_.env.stopping ? Wake::stopping : Wake::gone;
    reader_.feed(std::string_view(buffer.data(), n));
    if (auto event = reader_.next()) {
      if (auto* command = std::get_if<reader_event::Command>(&*event)) {
        line = std::move(command->text);
        co_return Wake::line;
      }
      if (auto* literal = std::get_if<reader_event::LiteralAnnounced>(&*event))
        if (literal->synchronizing) reader_.refuse_literal();
      co_return Wake::refused;
    }
    co_return Wake::partial;
  }

  std::shared_ptr<net::Connection> connection_;
  Context ctx_;
  CommandReader reader_;
  session::Engine engine_;
  asio::any_io_executor executor_;
  std::shared_ptr<Wakeup> wakeup_;
  store::ChangeHub::Subscription subscription_;
  store::Id followed_ = 0;
  std::size_t errors_ = 0;
};

}  // namespace

asio::awaitable<void> run_session(const SessionEnv& env, std::shared_ptr<net::Connection> connection, std::uint64_t id) {
  Session session(env, std::move(connection), id);
  co_await session.run();
}

}  // namespace tern::imap
