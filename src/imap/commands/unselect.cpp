// UNSELECT (RFC 3691, RFC 9051 6.4.2): leaves the selected state, removing nothing.
#include "imap/commands/commands.hpp"

namespace tern::imap {

asio::awaitable<void> run(Context& ctx, const Command& command, const command::Unselect&) {
  ctx.view.reset();
  ctx.state = SessionState::authenticated;
  ctx.ok(command, "UNSELECT completed");
  co_return;
}

}  // namespace tern::imap
