// IDLE (RFC 2177, RFC 9051 6.3.13): the session sends "+ idling", reports
// changes as they happen and ends on DONE.
#include "imap/commands/commands.hpp"

namespace tern::imap {

asio::awaitable<void> run(Context& ctx, const Command&, const command::Idle&) {
  ctx.out += continuation("idling");
  ctx.start_idle = true;
  co_return;
}

}  // namespace tern::imap
