// SELECT and EXAMINE (RFC 9051 6.3.2, 6.3.3; RFC 3501 6.3.1 for rev1's
// RECENT and UNSEEN; RFC 7162 3.1.2 HIGHESTMODSEQ and the CONDSTORE
// parameter, 3.2.5 the QRESYNC parameter). A failed SELECT leaves no
// mailbox selected.
#include <algorithm>

#include "core/log.hpp"
#include "imap/commands/commands.hpp"
#include "imap/protocol/lexer.hpp"

namespace tern::imap {

std::string resync_responses(const MailboxView& view, const store::MailboxChanges& changes,
                             const std::optional<SequenceSet>& known_uids) {
  std::string out;
  const std::uint32_t largest = view.uidnext() > 0 ? view.uidnext() - 1 : 0;
  auto known = [&](std::uint32_t uid) { return !known_uids || contains(*known_uids, uid, largest); };
  std::vector<std::uint32_t> vanished;
  if (changes.vanished_complete) {
    for (std::uint32_t uid : changes.vanished)
      if (known(uid) && !view.index_of_uid(uid)) vanished.push_back(uid);
  } else if (known_uids) {
    // Older expunges were forgotten: every known UID that is not here.
    for (const SequenceRange& range : known_uids->ranges) {
      std::uint32_t a = range.first == star ? largest : range.first;
      std::uint32_t b = range.last == star ? largest : range.last;
      if (a > b) std::swap(a, b);
      b = std::min(b, largest);
      for (std::uint32_t uid = a; uid <= b && vanished.size() < 1000000; ++uid)
        if (!view.index_of_uid(uid)) vanished.push_back(uid);
    }
  } else {
    // Every UID below UIDNEXT that is not here, as ranges of the gaps.
    std::uint32_t next = 1;
    std::string gaps;
    auto add_gap = [&](std::uint32_t from, std::uint32_t to) {
      if (from > to) return;
      if (!gaps.empty()) gaps += ',';
      gaps += from == to ? std::to_string(from) : std::to_string(from) + ":" + std::to_string(to);
    };
    for (const ViewEntry& e : view.entries()) {
      add_gap(next, e.uid - 1);
      next = e.uid + 1;
    }
    add_gap(next, largest);
    if (!gaps.empty()) out += "* VANISHED (EARLIER) " + gaps + "\r\n";
  }
  if (!vanished.empty()) out += "* VANISHED (EARLIER) " + compact_sequence_set(vanished) + "\r\n";
  for (const store::MailEntry& changed : changes.changed) {
    auto index = view.index_of_uid(changed.uid);
    if (!index) continue;
    const ViewEntry& e = view.entries()[*index];
    out += "* " + std::to_string(*index + 1) + " FETCH (UID " + std::to_string(e.uid) + " FLAGS " +
           format_flags(e.flags, e.keywords, e.recent) + " MODSEQ (" + std::to_string(e.modseq) + "))\r\n";
  }
  return out;
}

asio::awaitable<void> run(Context& ctx, const Command& command, const command::Select& select) {
  if (ctx.view) {
    ctx.view.reset();
    ctx.state = SessionState::authenticated;
    ctx.untagged("* OK [CLOSED] previous mailbox closed\r\n");
  }
  auto name = ctx.mailbox_in(select.mailbox);
  if (!name) {
    ctx.bad(command, "invalid mailbox name");
    co_return;
  }
  if (select.qresync && !ctx.qresync) {
    ctx.bad(command, "QRESYNC is not enabled");  // RFC 7162 3.2.5
    co_return;
  }
  auto mailbox = co_await ctx.existing_mailbox(command, *name, "NONEXISTENT");
  if (!mailbox) co_return;
  auto entries = co_await ctx.env.store.list_entries(mailbox->id);
  if (!entries) {
    ctx.store_failed(command, entries.error());
    co_return;
  }
  // The mailbox as it was when the entries were read: a change committed
  // since then is reported by the next sync.
  store::Mailbox state = *mailbox;
  if (select.condstore) ctx.condstore = true;
  ctx.view.emplace(state, std::move(*entries), select.read_only);
  if (!ctx.rev2) {
    // \Recent (RFC 3501 2.3.2): SELECT takes what no session has been told
    // of yet; EXAMINE only looks.
    std::uint32_t above = state.recent_uid;
    if (!select.read_only && ctx.view->uidnext() > 1) {
      auto claimed = co_await ctx.env.store.claim_recent(state.id, ctx.view->uidnext() - 1);
      if (claimed) above = *claimed;
      else log::warn("session={} event=store_error op=claim_recent error={}", ctx.id,
                     log::kv(claimed.error().message));
    }
    ctx.view->mark_recent_above(above);
  }
  const MailboxView& view = *ctx.view;

  std::vector<std::string> keywords;
  std::uint32_t first_unseen = 0;
  for (std::size_t i = 0; i < view.entries().size(); ++i) {
    const ViewEntry& e = view.entries()[i];
    if (!first_unseen && !(e.flags & store::flag::seen)) first_unseen = static_cast<std::uint32_t>(i + 1);
    for (const std::string& k : e.keywords)
      if (std::find(keywords.begin(), keywords.end(), k) == keywords.end() && keywords.size() < 256)
        keywords.push_back(k);
  }
  const std::string flags = format_flags(0x1f, keywords);
  ctx.untagged("* " + std::to_string(view.exists()) + " EXISTS\r\n");
  if (!ctx.rev2) {
    ctx.untagged("* " + std::to_string(view.recent_count()) + " RECENT\r\n");
    if (first_unseen) ctx.untagged("* OK [UNSEEN " + std::to_string(first_unseen) + "] first unseen\r\n");
  }
  ctx.untagged("* OK [UIDVALIDITY " + std::to_string(view.uidvalidity()) + "] UIDs valid\r\n");
  ctx.untagged("* OK [UIDNEXT " + std::to_string(view.uidnext()) + "] predicted next UID\r\n");
  ctx.untagged("* FLAGS " + flags + "\r\n");
  if (select.read_only) {
    ctx.untagged("* OK [PERMANENTFLAGS ()] read-only mailbox\r\n");
  } else {
    std::string permanent = flags;
    permanent.insert(permanent.size() - 1, " \\*");
    ctx.untagged("* OK [PERMANENTFLAGS " + permanent + "] flags permitted\r\n");
  }
  if (ctx.condstore)
    ctx.untagged("* OK [HIGHESTMODSEQ " + std::to_string(view.highestmodseq()) + "] highest\r\n");
  if (ctx.rev2) ctx.untagged("* LIST () \"/\" " + ctx.mailbox_out(view.name()) + "\r\n");
  if (select.qresync && select.qresync->uidvalidity == view.uidvalidity()) {
    // RFC 7162 3.2.5.1: what changed since the client's MODSEQ.
    auto changes = co_await ctx.env.store.changes_since(ctx.account->id, view.mailbox_id(), select.qresync->modseq);
    if (!changes) {
      ctx.view.reset();
      ctx.store_failed(command, changes.error());
      co_return;
    }
    ctx.untagged(resync_responses(*ctx.view, *changes, select.qresync->known_uids));
  }
  ctx.state = SessionState::selected;
  ctx.reply(command, Status::ok, select.read_only ? "READ-ONLY" : "READ-WRITE",
            select.read_only ? "EXAMINE completed" : "SELECT completed");
}

}  // namespace tern::imap
