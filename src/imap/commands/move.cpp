// MOVE and UID MOVE (RFC 6851, RFC 9051 6.4.8): copy and expunge in one
// transaction; COPYUID comes untagged, then the expunges, then OK.
#include "imap/commands/commands.hpp"

namespace tern::imap {

std::optional<std::vector<std::uint32_t>> uids_for(Context& ctx, const Command& command, const SequenceSet& set);
std::string copyuid(std::uint32_t uidvalidity, const std::vector<store::UidMapping>& map);

asio::awaitable<void> run(Context& ctx, const Command& command, const command::Move& move) {
  if (ctx.view->read_only()) {
    ctx.no(command, "READ-ONLY", "the mailbox is read-only");
    co_return;
  }
  auto name = ctx.mailbox_in(move.mailbox);
  if (!name) {
    ctx.bad(command, "invalid mailbox name");
    co_return;
  }
  auto uids = uids_for(ctx, command, move.set);
  if (!uids) co_return;
  auto target = co_await ctx.existing_mailbox(command, *name, "TRYCREATE");
  if (!target) co_return;
  if (target->id == ctx.view->mailbox_id()) {
    ctx.no(command, "CANNOT", "source and target are the same mailbox");
    co_return;
  }
  if (uids->empty()) {
    ctx.ok(command, "MOVE completed (nothing to move)");
    co_return;
  }
  auto map = co_await ctx.env.store.move_entries(ctx.account->id, ctx.view->mailbox_id(), std::move(*uids),
                                                 target->id);
  if (!map) {
    ctx.store_failed(command, map.error());
    co_return;
  }
  if (!map->empty()) ctx.untagged("* OK [" + copyuid(target->uidvalidity, *map) + "] moved\r\n");
  std::vector<std::uint32_t> moved;
  for (const store::UidMapping& m : *map) moved.push_back(m.from_uid);
  ctx.untagged(ctx.view->remove_uids(moved, ctx.view_options(true)));
  ctx.ok(command, "MOVE completed");
}

}  // namespace tern::imap
