// CAPABILITY (RFC 9051 6.1.1) and the list it announces.
#include "auth/sasl.hpp"
#include "imap/commands/commands.hpp"

namespace tern::imap {

bool plaintext_login_allowed(const Context& ctx) {
  return ctx.peer.secure ||
         (ctx.env.config.auth.allow_plaintext_loopback && ctx.peer.loopback);
}

std::string capabilities(const Context& ctx) {
  std::string caps = "IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID ENABLE IDLE";
  if (ctx.state == SessionState::not_authenticated) {
    if (!ctx.peer.secure && ctx.env.tls.current()) caps += " STARTTLS";
    if (plaintext_login_allowed(ctx)) {
      for (const std::string& mechanism : auth::sasl_mechanisms()) caps += " AUTH=" + mechanism;
    } else {
      caps += " LOGINDISABLED";
    }
    return caps;
  }
  caps +=
      " NAMESPACE UNSELECT CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE STATUS=SIZE"
      " UIDPLUS MOVE CONDSTORE QRESYNC ESEARCH SEARCHRES BINARY MULTIAPPEND UTF8=ACCEPT";
  caps += " APPENDLIMIT=" + std::to_string(ctx.env.config.limits.max_message_size);
  return caps;
}

asio::awaitable<void> run(Context& ctx, const Command& command, const command::Capability&) {
  ctx.untagged("* CAPABILITY " + capabilities(ctx) + "\r\n");
  ctx.ok(command, "CAPABILITY completed");
  co_return;
}

}  // namespace tern::imap
