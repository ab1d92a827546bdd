// FETCH and UID FETCH (RFC 9051 6.4.5; RFC 3516 BINARY; RFC 7162
// CHANGEDSINCE and MODSEQ). Answers come from the structure stored at
// delivery and the stored bytes; BODY[] without PEEK sets \Seen durably
// first, and the response then carries the new FLAGS.
#include "imap/commands/commands.hpp"
#include "imap/fetch_response.hpp"

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
  std::string error_code;
  for (std::size_t i : targets) {
    const ViewEntry& entry = view.entries()[i];
    FetchInput input;
    input.seq = static_cast<std::uint32_t>(i + 1);
    input.entry = &entry;
    input.add_uid = command.uid;
    input.add_flags = seen_now[i];
    input.add_modseq = ctx.condstore && (needs.modseq || fetch.changed_since);
    input.utf8 = ctx.utf8;
    std::optional<mime::MessageStructure> structure;
    store::MessageForFetch message;
    if (needs.bytes) {
      auto loaded = co_await ctx.env.store.message_for_fetch(entry.message_id);
      if (!loaded) {
        if (loaded.error().code == Errc::not_found) continue;  // expunged meanwhile
        ctx.store_failed(command, loaded.error());
        co_return;
      }
      message = std::move(*loaded);
    } else if (needs.message) {
      // ENVELOPE, BODY, BODYSTRUCTURE: the stored structure alone.
      auto loaded = co_await ctx.env.store.message_structure(entry.message_id);
      if (!loaded) {
        if (loaded.error().code == Errc::not_found) continue;
        ctx.store_failed(command, loaded.error());
        co_return;
      }
      message.structure = std::move(*loaded);
    }
    if (needs.message) {
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
    if (ctx.out.size() >= 256 * 1024 && ctx.write_out && !co_await ctx.write_out()) co_return;
  }
  if (!error_code.empty()) {
    ctx.no(command, error_code,
           error_code == "UNKNOWN-CTE" ? "unknown Content-Transfer-Encoding" : "the part could not be decoded");
    co_return;
  }
  ctx.ok(command, "FETCH completed");
}

}  // namespace tern::imap
