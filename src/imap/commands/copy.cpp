// COPY and UID COPY (RFC 9051 6.4.7) with COPYUID (RFC 4315): one
// transaction in the store; a missing target is [TRYCREATE].
#include "imap/commands/commands.hpp"

namespace tern::imap {

// Shared with MOVE: the UIDs to copy, or an answer already given.
std::optional<std::vector<std::uint32_t>> uids_for(Context& ctx, const Command& command, const SequenceSet& set) {
  auto indexes = ctx.view->resolve(set, command.uid);
  if (!indexes) {
    ctx.bad(command, "invalid message set");
    return std::nullopt;
  }
  std::vector<std::uint32_t> uids;
  for (std::size_t i : *indexes)
    if (!ctx.view->entries()[i].expunged) uids.push_back(ctx.view->entries()[i].uid);
  return uids;
}

std::string copyuid(std::uint32_t uidvalidity, const std::vector<store::UidMapping>& map) {
  std::string from, to;
  for (const store::UidMapping& m : map) {
    if (!from.empty()) {
      from += ',';
      to += ',';
    }
    from += std::to_string(m.from_uid);
    to += std::to_string(m.to_uid);
  }
  return "COPYUID " + std::to_string(uidvalidity) + " " + from + " " + to;
}

asio::awaitable<void> run(Context& ctx, const Command& command, const command::Copy& copy) {
  auto name = ctx.mailbox_in(copy.mailbox);
  if (!name) {
    ctx.bad(command, "invalid mailbox name");
    co_return;
  }
  auto uids = uids_for(ctx, command, copy.set);
  if (!uids) co_return;
  auto target = co_await ctx.existing_mailbox(command, *name, "TRYCREATE");
  if (!target) co_return;
  if (uids->empty()) {
    ctx.ok(command, "COPY completed (nothing to copy)");
    co_return;
  }
  auto map = co_await ctx.env.store.copy_entries(ctx.account->id, ctx.view->mailbox_id(), std::move(*uids),
                                                 target->id);
  if (!map) {
    ctx.store_failed(command, map.error());
    co_return;
  }
  if (map->empty()) {
    ctx.ok(command, "COPY completed (nothing to copy)");
    co_return;
  }
  ctx.reply(command, Status::ok, copyuid(target->uidvalidity, *map), "COPY completed");
}

}  // namespace tern::imap
