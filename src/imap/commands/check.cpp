// CHECK (RFC 3501 6.4.1; removed in RFC 9051, answered like NOOP): every
// write of tern is durable when acknowledged, so there is nothing to do.
#include "imap/commands/commands.hpp"

namespace tern::imap {

asio::awaitable<void> run(Context& ctx, const Command& command, const command::Check&) {
  ctx.ok(command, "CHECK completed");
  co_return;
}

}  // namespace tern::imap
