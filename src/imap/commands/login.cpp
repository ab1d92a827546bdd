// LOGIN (RFC 9051 6.2.3), and the credential check AUTHENTICATE shares:
// only over TLS (DESIGN.md rule 3; LOGINDISABLED is advertised otherwise),
// through the one login (session/login.hpp), with one answer for every kind
// of failure.
#include "imap/commands/commands.hpp"
#include "session/login.hpp"

namespace tern::imap {

asio::awaitable<void> complete_login(Context& ctx, const Command& command, std::string username,
                                     std::string password, std::string_view mechanism) {
  auto outcome =
      co_await session::login(ctx.env, ctx.id, ctx.peer.address, mechanism, std::move(username), std::move(password));
  switch (outcome.status) {
    case session::LoginStatus::ok: break;
    case session::LoginStatus::unavailable:
      ctx.no(command, "UNAVAILABLE", "authentication is temporarily unavailable");
      co_return;
    case session::LoginStatus::failed:
    case session::LoginStatus::throttled: ctx.no(command, "AUTHENTICATIONFAILED", "authentication failed"); co_return;
  }
  ctx.account = std::move(outcome.account);
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
