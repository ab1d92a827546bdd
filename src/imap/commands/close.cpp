// CLOSE (RFC 9051 6.4.1): removes the \Deleted messages of a read-write
// mailbox without EXPUNGE responses, and leaves the selected state.
#include "imap/commands/commands.hpp"

namespace tern::imap {

asio::awaitable<void> run(Context& ctx, const Command& command, const command::Close&) {
  if (!ctx.view->read_only()) {
    std::vector<std::uint32_t> deleted;
    for (const ViewEntry& e : ctx.view->entries())
      if (e.flags & store::flag::deleted) deleted.push_back(e.uid);
    if (!deleted.empty()) {
      auto removed = co_await ctx.env.store.expunge(ctx.view->mailbox_id(), std::move(deleted));
      if (!removed) {
        ctx.store_failed(command, removed.error());
        co_return;
      }
    }
  }
  ctx.view.reset();
  ctx.state = SessionState::authenticated;
  ctx.ok(command, "CLOSE completed");
}

}  // namespace tern::imap
