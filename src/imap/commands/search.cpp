// SEARCH and UID SEARCH (RFC 9051 6.4.4): every key, evaluated by
// search_eval on the entries and, when the key needs them, the stored
// bytes; ESEARCH (RFC 4731) for RETURN options and rev2 sessions, SAVE
// (RFC 5182), MODSEQ (RFC 7162 3.1.5).
#include <algorithm>

#include "core/text.hpp"
#include "imap/commands/commands.hpp"
#include "imap/protocol/lexer.hpp"
#include "imap/search_eval.hpp"
#include "store/batch.hpp"

namespace tern::imap {
namespace {

bool uses_modseq(const SearchKey& key) {
  if (key.kind == SearchKey::Kind::modseq) return true;
  for (const SearchKey& child : key.children)
    if (uses_modseq(child)) return true;
  return false;
}

}  // namespace

asio::awaitable<void> run(Context& ctx, const Command& command, const command::Search& search) {
  if (search.charset) {
    const std::string charset = text::to_upper(*search.charset);
    if (charset != "UTF-8" && charset != "US-ASCII") {
      ctx.no(command, "BADCHARSET (UTF-8 US-ASCII)", "unsupported charset");
      co_return;
    }
  }
  MailboxView& view = *ctx.view;
  SearchScope scope;
  scope.max_seq = view.exists();
  scope.max_uid = view.max_uid();
  scope.saved_uids = view.saved_uids();
  const bool modseq = uses_modseq(search.criteria);
  if (modseq) ctx.condstore = true;
  const bool with_message = needs_message(search.criteria);
  // Header fields and SENT* dates need only the header sections: the store
  // reads those octets and no structure is decoded.
  const bool headers_only = with_message && !needs_body(search.criteria);
  std::vector<std::uint32_t> found;  // UIDs or sequence numbers
  std::vector<std::uint32_t> found_uids;
  std::uint64_t highest = 0;
  // Bytes in batches: one trip to the store for up to 64 messages or 8 MiB
  // (headers: up to 256 messages, whatever their size).
  const store::BatchBound bound = headers_only ? store::BatchBound{256, 0} : store::BatchBound{64, 8ull << 20};
  const std::size_t total = view.entries().size();
  std::size_t next = 0;
  while (next < total) {
    std::size_t end = total;
    std::vector<store::MessageForFetch> loaded;
    std::vector<std::optional<std::string>> headers;
    if (with_message) {
      end = store::batch_end(next, total, bound, [&](std::size_t i) { return view.entries()[i].size; });
      std::vector<store::Id> ids;
      for (std::size_t i = next; i < end; ++i) ids.push_back(view.entries()[i].message_id);
      if (headers_only) {
        auto batch = co_await ctx.env.store.message_headers(std::move(ids));
        if (!batch) {
          ctx.store_failed(command, batch.error());
          co_return;
        }
        headers = std::move(*batch);
      } else {
        auto batch = co_await ctx.env.store.messages_for_fetch(std::move(ids), true);
        if (!batch) {
          ctx.store_failed(command, batch.error());
          co_return;
        }
        loaded = std::move(*batch);
      }
    }
    for (std::size_t i = next; i < end; ++i) {
      const ViewEntry& e = view.entries()[i];
      if (e.expunged) continue;
      SearchCandidate candidate;
      candidate.seq = static_cast<std::uint32_t>(i + 1);
      candidate.uid = e.uid;
      candidate.modseq = e.modseq;
      candidate.flags = e.flags;
      candidate.keywords = &e.keywords;
      candidate.size = e.size;
      candidate.internal_date = e.internal_date;
      candidate.recent = e.recent;
      std::optional<mime::MessageStructure> structure;
      if (headers_only) {
        const std::optional<std::string>& header = headers[i - next];
        if (!header) continue;  // expunged meanwhile
        candidate.data = *header;
      } else if (with_message) {
        const store::MessageForFetch& message = loaded[i - next];
        if (message.structure.empty()) continue;
        structure = mime::deserialize(message.structure);
        if (!structure) continue;
        candidate.data = message.data;
        candidate.structure = &*structure;
      }
      if (!matches(search.criteria, scope, candidate)) continue;
      found.push_back(command.uid ? e.uid : candidate.seq);
      found_uids.push_back(e.uid);
      highest = std::max(highest, e.modseq);
    }
    next = end;
  }
  const bool esearch = search.return_options.has_value() || ctx.rev2;
  if (!esearch) {
    std::string line = "* SEARCH";
    for (std::uint32_t n : found) {
      line += ' ';
      line += std::to_string(n);
    }
    if (modseq && !found.empty()) line += " (MODSEQ " + std::to_string(highest) + ")";
    ctx.untagged(line + "\r\n");
    ctx.ok(command, "SEARCH completed");
    co_return;
  }
  std::vector<SearchReturn> options = search.return_options.value_or(std::vector<SearchReturn>{});
  if (options.empty()) options.push_back(SearchReturn::all);  // RFC 4731 3.1: () means ALL
  EsearchResult result;
  bool save = false;
  for (SearchReturn option : options) {
    switch (option) {
      case SearchReturn::min:
        if (!found.empty()) result.min = found.front();
        break;
      case SearchReturn::max:
        if (!found.empty()) result.max = found.back();
        break;
      case SearchReturn::count: result.count = static_cast<std::uint32_t>(found.size()); break;
      case SearchReturn::all: result.all = found; break;
      case SearchReturn::save: save = true; break;
    }
  }
  if (save) {
    // RFC 5182 2.1: with MIN or MAX only, only those are saved.
    const bool only_min_max = !result.all && !result.count && (result.min || result.max);
    if (only_min_max && !found_uids.empty()) {
      std::vector<std::uint32_t> kept;
      if (result.min) kept.push_back(found_uids.front());
      if (result.max && found_uids.size() > 1) kept.push_back(found_uids.back());
      view.set_saved_uids(std::move(kept));
    } else {
      view.set_saved_uids(found_uids);
    }
  }
  const bool only_save = options.size() == 1 && save;
  if (!only_save) {
    std::string line = esearch_response(command.tag, command.uid, result);
    if (modseq && !found.empty()) line.insert(line.size() - 2, " MODSEQ " + std::to_string(highest));
    ctx.untagged(line);
  }
  ctx.ok(command, "SEARCH completed");
}

}  // namespace tern::imap
