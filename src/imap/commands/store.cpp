// STORE and UID STORE (RFC 9051 6.4.6) with UNCHANGEDSINCE (RFC 7162
// 3.1.3). The flags change durably before the responses; each message
// named gets a FETCH with its flags unless .SILENT.
#include "imap/commands/commands.hpp"

namespace tern::imap {

asio::awaitable<void> run(Context& ctx, const Command& command, const command::Store& store) {
  MailboxView& view = *ctx.view;
  if (view.read_only()) {
    ctx.no(command, "READ-ONLY", "the mailbox is read-only");
    co_return;
  }
  auto indexes = view.resolve(store.set, command.uid);
  if (!indexes) {
    ctx.bad(command, "invalid message set");
    co_return;
  }
  auto flags = split_flags(store.flags);
  if (!flags) {
    ctx.bad(command, "invalid flag");
    co_return;
  }
  if (store.unchanged_since) ctx.condstore = true;
  std::vector<std::uint32_t> uids;
  std::vector<std::uint32_t> modified;  // [MODIFIED] (RFC 7162 3.1.3)
  for (std::size_t i : *indexes) {
    const ViewEntry& e = view.entries()[i];
    if (e.expunged) continue;
    if (store.unchanged_since && e.modseq > *store.unchanged_since) {
      modified.push_back(command.uid ? e.uid : static_cast<std::uint32_t>(i + 1));
      continue;
    }
    uids.push_back(e.uid);
  }
  const store::FlagMode mode = store.mode == command::Store::Mode::add      ? store::FlagMode::add
                               : store.mode == command::Store::Mode::remove ? store::FlagMode::remove
                                                                            : store::FlagMode::replace;
  if (!uids.empty()) {
    auto changed = co_await ctx.env.store.store_flags(view.mailbox_id(), uids, mode, flags->bits,
                                                      std::move(flags->keywords));
    if (!changed) {
      ctx.store_failed(command, changed.error());
      co_return;
    }
    for (const store::MailEntry& e : *changed) view.update_entry(e);
  }
  if (!store.silent || ctx.condstore) {
    for (std::uint32_t uid : uids) {
      auto index = view.index_of_uid(uid);
      if (!index) continue;
      const ViewEntry& e = view.entries()[*index];
      std::string line = "* " + std::to_string(*index + 1) + " FETCH (";
      if (!store.silent) line += "FLAGS " + format_flags(e.flags, e.keywords, !ctx.rev2 && e.recent);
      if (command.uid) line += std::string(store.silent ? "" : " ") + "UID " + std::to_string(e.uid);
      if (ctx.condstore)
        line += std::string(store.silent && !command.uid ? "" : " ") + "MODSEQ (" + std::to_string(e.modseq) + ")";
      ctx.untagged(line + ")\r\n");
    }
  }
  if (!modified.empty()) {
    ctx.reply(command, Status::ok, "MODIFIED " + compact_sequence_set(modified), "conditional STORE failed");
    co_return;
  }
  ctx.ok(command, "STORE completed");
}

}  // namespace tern::imap
