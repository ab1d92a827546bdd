// LOGIN (RFC 9051 6.2.3), and the credential check AUTHENTICATE shares:
// only over TLS (DESIGN.md rule 3; LOGINDISABLED is advertised otherwise),
// through the login throttle, with one answer for every kind of failure.
#include <asio/steady_timer.hpp>

#include "core/asio_tuple.hpp"
#include "core/log.hpp"
#include "imap/commands/commands.hpp"

namespace tern::imap {

asio::awaitable<void> complete_login(Context& ctx, const Command& command, std::string username,
                                     std::string password, std::string_view mechanism) {
  const std::string& peer = ctx.peer.address;
  auto admission = ctx.env.throttle.check(peer, username);
  if (!admission.allowed) {
    log::warn("session={} event=auth_throttled user={} peer={}", ctx.id, log::kv(username), peer);
    ctx.no(command, "AUTHENTICATIONFAILED", "authentication failed");
    co_return;
  }
  auto account = co_await ctx.env.authenticator.authenticate(ctx.env.store, username, password);
  if (!account) {
    if (account.error().code != Errc::invalid) {
      log::error("session={} event=store_error op=authenticate error={}", ctx.id, log::kv(account.error().message));
      ctx.env.throttle.record_unavailable(peer, username);
      ctx.no(command, "UNAVAILABLE", "authentication is temporarily unavailable");
      co_return;
    }
    auto delay = ctx.env.throttle.record_failure(peer, username);
    log::warn("session={} event=auth_failed mechanism={} user={} peer={}", ctx.id, mechanism, log::kv(username),
              peer);
    asio::steady_timer pause(co_await asio::this_coro::executor, delay);
    co_await pause.async_wait(use_tuple);
    ctx.no(command, "AUTHENTICATIONFAILED", "authentication failed");
    co_return;
  }
  ctx.env.throttle.record_success(peer, username);
  log::info("session={} event=auth_ok mechanism={} user={}", ctx.id, mechanism, log::kv(account->address));
  ctx.account = std::move(*account);
  ctx.state = SessionState::authenticated;
  ctx.reply(command, Status::ok, "CAPABILITY " + capabilities(ctx), "logged in");
}

asio::awaitable<void> run(Context& ctx, const Command& command, const command::Login& login) {
  if (!plaintext_login_allowed(ctx)) {
    ctx.no(command, "PRIVACYREQUIRED", "LOGIN is only allowed over TLS; use STARTTLS first");
    co_return;
  }
  co_await complete_login(ctx, command, login.username, login.password, "LOGIN");
}

}  // namespace tern::imap
