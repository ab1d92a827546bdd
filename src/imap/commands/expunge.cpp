// EXPUNGE and UID EXPUNGE (RFC 9051 6.4.3, 6.4.9): removes the messages
// with \Deleted (within the UID set, for UID EXPUNGE) durably before the
// OK, and reports each one.
#include "imap/commands/commands.hpp"

namespace tern::imap {

asio::awaitable<void> run(Context& ctx, const Command& command, const command::Expunge& expunge) {
  if (ctx.view->read_only()) {
    ctx.no(command, "READ-ONLY", "the mailbox is read-only");
    co_return;
  }
  // Flags set by other sessions count too.
  if (!co_await ctx.sync(true)) {
    ctx.no(command, "NONEXISTENT", "the mailbox was deleted");
    co_return;
  }
  std::vector<std::size_t> candidates;
  if (expunge.uids) {
    auto resolved = ctx.view->resolve(*expunge.uids, true);
    if (!resolved) {
      ctx.bad(command, "invalid UID set");
      co_return;
    }
    candidates = std::move(*resolved);
  } else {
    for (std::size_t i = 0; i < ctx.view->entries().size(); ++i) candidates.push_back(i);
  }
  std::vector<std::uint32_t> uids;
  for (std::size_t i : candidates) {
    const ViewEntry& e = ctx.view->entries()[i];
    if (!e.expunged && (e.flags & store::flag::deleted)) uids.push_back(e.uid);
  }
  if (!uids.empty()) {
    auto removed = co_await ctx.env.store.expunge(ctx.view->mailbox_id(), std::move(uids));
    if (!removed) {
      ctx.store_failed(command, removed.error());
      co_return;
    }
    ctx.untagged(ctx.view->remove_uids(*removed, ctx.view_options(true)));
  }
  ctx.ok(command, "EXPUNGE completed");
}

}  // namespace tern::imap
