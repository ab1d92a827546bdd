// NOOP (RFC 9051 6.1.2): nothing, but the session reports changes afterwards.
#include "imap/commands/commands.hpp"

namespace tern::imap {

asio::awaitable<void> run(Context& ctx, const Command& command, const command::Noop&) {
  ctx.ok(command, "NOOP completed");
  co_return;
}

}  // namespace tern::imap
