// LOGOUT (RFC 9051 6.1.3).
#include "imap/commands/commands.hpp"

namespace tern::imap {

asio::awaitable<void> run(Context& ctx, const Command& command, const command::Logout&) {
  ctx.untagged("* BYE logging out\r\n");
  ctx.ok(command, "LOGOUT completed");
  ctx.state = SessionState::logout;
  co_return;
}

}  // namespace tern::imap
