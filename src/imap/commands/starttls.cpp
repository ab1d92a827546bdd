// STARTTLS (RFC 9051 6.2.1). The handshake follows the OK at once; the
// reader must hold nothing after the command, or a client (or
// an attacker in the middle) could inject commands that would run as if
// they had come over TLS (CVE-2011-0411 and its IMAP kin): such bytes end
// the connection.
#include "imap/commands/commands.hpp"

namespace tern::imap {

asio::awaitable<void> run(Context& ctx, const Command& command, const command::StartTls&) {
  if (ctx.peer.secure) {
    ctx.bad(command, "TLS is already active");
    co_return;
  }
  if (!ctx.env.tls.current()) {
    ctx.no(command, "UNAVAILABLE", "TLS is not available");
    co_return;
  }
  ctx.ok(command, "begin TLS negotiation now");
  if (!ctx.channel) co_return;
  const bool upgraded = co_await ctx.channel->start_tls();
  if (!upgraded) ctx.state = SessionState::logout;
}

}  // namespace tern::imap
