// FETCH and UID FETCH (RFC 9051 6.4.5; RFC 3516 BINARY; RFC 7162
// CHANGEDSINCE and MODSEQ). Answers come from the structure stored at
// delivery and the stored bytes; BODY[] without PEEK sets \Seen durably
// first, and the response then carries the new FLAGS.
#include "imap/commands/commands.hpp"
#include "imap/fetch_response.hpp"
#include "store/batch.hpp"

namespace tern::imap {

asio::awaitable<void> run(Context& ctx, const Command& command, const command::Fetch& fetch) {
  MailboxView& view = *ctx.view;
  auto indexes = view.resolve(fetch.set, command.uid);
  if (!indexes) {
    ctx.bad(command, "invalid message set");
    co_return;
  }
  const FetchNeeds needs = fetch_needs(fetch.items);
  if (needs.modseq || fetch.changed_since) ctx.condstore = true;
  if (fetch.vanished) {
    if (!ctx.qresync) {
      ctx.bad(command, "VANISHED needs ENABLE QRESYNC");  // RFC 7162 3.2.6
      co_return;
    }
    // RFC 7162 3.2.6: the UIDs of the set expunged since CHANGEDSINCE.
    auto changes = co_await ctx.env.store.changes_since(ctx.account->id, view.mailbox_id(), *fetch.changed_since);
    if (!changes) {
      ctx.store_failed(command, changes.error());
      co_return;
    }
    std::vector<std::uint32_t> gone;
    for (std::uint32_t uid : changes->vanished)
      if (contains(fetch.set, uid, view.max_uid()) && !view.index_of_uid(uid)) gone.push_back(uid);
    if (!gone.empty()) ctx.untagged("* VANISHED (EARLIER) " + compact_sequence_set(gone) + "\r\n");
  }
  std::vector<std::size_t> targets;
  for (std::size_t i : *indexes) {
    const ViewEntry& e = view.entries()[i];
    if (e.expunged) continue;
    if (fetch.changed_since && e.modseq <= *fetch.changed_since) continue;
    targets.push_back(i);
  }
  std::vector<bool> seen_now(view.entries().size(), false);
  if (needs.sets_seen && !view.read_only()) {
    std::vector<std::uint32_t> unseen;
    for (std::size_t i : targets)
      if (!(view.entries()[i].flags & store::flag::seen)) unseen.push_back(view.entries()[i].uid);
    if (!unseen.empty()) {
      auto changed = co_await ctx.env.store.store_flags(view.mailbox_id(), std::move(unseen), store::FlagMode::add,
                                                        store::flag::seen, {});
      if (!changed) {
        ctx.store_failed(command, changed.error());
        co_return;
      }
      for (const store::MailEntry& e : *changed) {
        view.update_entry(e);
        if (auto index = view.index_of_uid(e.uid)) seen_now[*index] = true;
      }
    }
  }
  // Messages are read from the store in batches: one trip for up to 64
  // messages or 8 MiB of bytes.
  const store::BatchBound bound{64, needs.bytes ? 8ull << 20 : 0};
  std::string error_code;
  std::size_t next = 0;
  while (next < targets.size()) {
    std::size_t end = targets.size();
    std::vector<store::MessageForFetch> loaded;
    if (needs.message) {
      end = store::batch_end(next, targets.size(), bound,
                             [&](std::size_t k) { return view.entries()[targets[k]].size; });
      std::vector<store::Id> ids;
      for (std::size_t k = next; k < end; ++k) ids.push_back(view.entries()[targets[k]].message_id);
      auto batch = co_await ctx.env.store.messages_for_fetch(std::move(ids), needs.bytes);
      if (!batch) {
        ctx.store_failed(command, batch.error());
        co_return;
      }
      loaded = std::move(*batch);
    }
    for (std::size_t k = next; k < end; ++k) {
      const std::size_t i = targets[k];
      const ViewEntry& entry = view.entries()[i];
      FetchInput input;
      input.seq = static_cast<std::uint32_t>(i + 1);
      input.entry = &entry;
      input.add_uid = command.uid;
      input.add_flags = seen_now[i];
      input.add_modseq = ctx.condstore && (needs.modseq || fetch.changed_since);
      input.utf8 = ctx.utf8;
      input.recent = !ctx.rev2;
      std::optional<mime::MessageStructure> structure;
      if (needs.message) {
        const store::MessageForFetch& message = loaded[k - next];
        if (message.structure.empty()) continue;  // expunged meanwhile
        structure = mime::deserialize(message.structure);
        if (!structure) {
          ctx.no(command, "SERVERBUG", "a stored message structure is unreadable");
          co_return;
        }
        input.data = message.data;
        input.structure = &*structure;
      }
      FetchOutput output = render_fetch(fetch.items, input);
      if (!output.error_code.empty()) error_code = output.error_code;
      ctx.untagged(output.response);
      if (ctx.out.size() >= 256 * 1024 && ctx.channel) {
        const bool written = co_await ctx.channel->write_out();
        if (!written) co_return;
      }
    }
    next = end;
  }
  if (!error_code.empty()) {
    ctx.no(command, error_code,
           error_code == "UNKNOWN-CTE" ? "unknown Content-Transfer-Encoding" : "the part could not be decoded");
    co_return;
  }
  ctx.ok(command, "FETCH completed");
}

}  // namespace tern::imap
