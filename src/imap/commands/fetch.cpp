// FETCH and UID FETCH (RFC 9051 6.4.5; RFC 3516 BINARY; RFC 7162
// CHANGEDSINCE and MODSEQ). Answers come from the structure stored at
// delivery and the stored bytes; BODY[] without PEEK sets \Seen durably
// first, and the response then carries the new FLAGS.
#include <algorithm>

#include "core/log.hpp"
#include "imap/commands/commands.hpp"
#include "imap/fetch_response.hpp"
#include "store/batch.hpp"

namespace tern::imap {
namespace {

constexpr std::uint64_t stream_octets = 1024 * 1024;  // larger messages are sent a piece at a time

enum class Streamed { sent, not_streamable, failed };

// What render_fetch needs besides the message, for the entry at `index`.
FetchInput input_for(const Context& ctx, const Command& command, const command::Fetch& fetch,
                     const FetchNeeds& needs, std::size_t index, bool seen_now) {
  FetchInput input;
  input.seq = static_cast<std::uint32_t>(index + 1);
  input.entry = &ctx.view->entries()[index];
  input.add_uid = command.uid;
  input.add_flags = seen_now;
  input.add_modseq = ctx.condstore && (needs.modseq || fetch.changed_since);
  input.utf8 = ctx.utf8;
  input.recent = !ctx.rev2;
  return input;
}

// One large message: its structure and its header from the store, the
// response with splices, and each splice's octets read and written a piece
// at a time. A store failure after a literal was announced can only end the
// connection: the client must never take a cut literal for the message.
asio::awaitable<Streamed> fetch_streamed(Context& ctx, const Command& command, const command::Fetch& fetch,
                                         const FetchNeeds& needs, std::size_t index, bool seen_now) {
  const ViewEntry& entry = ctx.view->entries()[index];
  std::vector<store::Id> ids(1, entry.message_id);
  auto loaded = co_await ctx.env.store.messages_for_fetch(std::move(ids), false);
  if (!loaded) {
    ctx.store_failed(command, loaded.error());
    co_return Streamed::failed;
  }
  if (loaded->empty() || loaded->front().structure.empty()) co_return Streamed::sent;  // expunged meanwhile
  auto structure = mime::deserialize(loaded->front().structure);
  if (!structure) {
    ctx.no(command, "SERVERBUG", "a stored message structure is unreadable");
    co_return Streamed::failed;
  }
  const std::uint64_t header_size = structure->parts.empty() ? 0 : structure->parts[0].header_size;
  if (header_size > stream_octets) co_return Streamed::not_streamable;
  auto header = co_await ctx.env.store.read_message_part(entry.message_id, 0, static_cast<std::size_t>(header_size));
  if (!header) {
    if (header.error().code == Errc::not_found) co_return Streamed::sent;
    ctx.store_failed(command, header.error());
    co_return Streamed::failed;
  }
  FetchInput input = input_for(ctx, command, fetch, needs, index, seen_now);
  input.data = *header;
  input.structure = &*structure;
  input.streamed = true;
  const FetchOutput output = render_fetch(fetch.items, input);
  std::size_t pos = 0;
  for (const Splice& splice : output.splices) {
    ctx.out.append(output.response, pos, splice.at - pos);
    pos = splice.at;
    for (std::uint64_t done = 0; done < splice.length;) {
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(stream_octets, splice.length - done));
      auto piece = co_await ctx.env.store.read_message_part(entry.message_id, splice.offset + done, want);
      if (!piece || piece->size() != want) {
        std::string why = "the message is shorter than its structure";
        if (!piece) why = piece.error().message;
        log::error("session={} event=store_error op=read_message_part uid={} error={}", ctx.id, entry.uid,
                   log::kv(why));
        ctx.state = SessionState::logout;
        co_return Streamed::failed;
      }
      if (splice.replace_nul) std::replace(piece->begin(), piece->end(), '\0', static_cast<char>(0x80));
      ctx.out += *piece;
      done += want;
      if (ctx.out.size() >= 256 * 1024 && ctx.channel) {
        const bool written = co_await ctx.channel->write_out();
        if (!written) {
          ctx.state = SessionState::logout;
          co_return Streamed::failed;
        }
      }
    }
  }
  ctx.out.append(output.response, pos);
  co_return Streamed::sent;
}

}  // namespace

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
  // messages or 8 MiB of bytes. A message larger than stream_octets is sent
  // on its own without holding it: its structure and header are read, and
  // the literals that reach past the header are filled piece by piece.
  const store::BatchBound bound{64, needs.bytes ? 8ull << 20 : 0};
  const bool can_stream = needs.bytes && streamable(fetch.items);
  auto streams = [&](std::size_t k) { return can_stream && view.entries()[targets[k]].size > stream_octets; };
  std::string error_code;
  std::size_t next = 0;
  while (next < targets.size()) {
    if (streams(next)) {
      const std::size_t i = targets[next];
      const auto streamed = co_await fetch_streamed(ctx, command, fetch, needs, i, seen_now[i]);
      if (streamed == Streamed::failed) co_return;
      if (streamed == Streamed::sent) {
        ++next;
        continue;
      }
      // Streamed::not_streamable: a header too large to hold; read whole below.
    }
    std::size_t end = targets.size();
    std::vector<store::MessageForFetch> loaded;
    if (needs.message) {
      end = store::batch_end(next, targets.size(), bound,
                             [&](std::size_t k) { return view.entries()[targets[k]].size; });
      for (std::size_t k = next + 1; k < end; ++k) {
        if (streams(k)) {
          end = k;
          break;
        }
      }
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
      FetchInput input = input_for(ctx, command, fetch, needs, i, seen_now[i]);
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
