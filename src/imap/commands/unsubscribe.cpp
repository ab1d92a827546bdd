// UNSUBSCRIBE (RFC 9051 6.3.8).
#include "imap/commands/commands.hpp"

namespace tern::imap {

asio::awaitable<void> run(Context& ctx, const Command& command, const command::Unsubscribe& unsubscribe) {
  co_await set_subscription(ctx, command, unsubscribe.mailbox, false);
}

}  // namespace tern::imap
