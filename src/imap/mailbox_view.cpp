// The selected mailbox of one session. See mailbox_view.hpp.
#include "imap/mailbox_view.hpp"

#include <algorithm>

#include "core/text.hpp"
#include "imap/protocol/lexer.hpp"
#include "imap/protocol/response.hpp"

namespace tern::imap {

MailboxView::MailboxView(const store::Mailbox& mailbox, std::vector<store::MailEntry> entries, bool read_only)
    : mailbox_id_(mailbox.id),
      name_(mailbox.name),
      read_only_(read_only),
      uidvalidity_(mailbox.uidvalidity),
      uidnext_(mailbox.uidnext),
      highestmodseq_(mailbox.highestmodseq) {
  // Room for the messages that arrive while the mailbox is selected: the
  // first one would otherwise double the vector, in every session that has
  // the mailbox open (thousands in IDLE).
  entries_.reserve(entries.size() + entries.size() / 16 + 16);
  for (store::MailEntry& e : entries) {
    // Entries committed after the mailbox row was read may be in the list:
    // UIDNEXT never lags behind them. (HIGHESTMODSEQ stays as read: it is
    // where the next sync starts, which then finds them already known.)
    uidnext_ = std::max(uidnext_, e.uid + 1);
    entries_.push_back(ViewEntry{e.uid, e.modseq, e.flags, std::move(e.keywords), e.message_id, e.size,
                                 e.internal_date, false});
  }
}

std::optional<std::size_t> MailboxView::index_of_uid(std::uint32_t uid) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), uid,
                             [](const ViewEntry& e, std::uint32_t u) { return e.uid < u; });
  if (it == entries_.end() || it->uid != uid) return std::nullopt;
  return static_cast<std::size_t>(it - entries_.begin());
}

std::optional<std::vector<std::size_t>> MailboxView::resolve(const SequenceSet& set, bool uid) const {
  std::vector<std::size_t> out;
  if (set.saved) {
    for (std::uint32_t u : saved_uids_)
      if (auto index = index_of_uid(u)) out.push_back(*index);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }
  const std::uint32_t count = exists();
  for (const SequenceRange& range : set.ranges) {
    if (uid) {
      const std::uint32_t largest = max_uid();
      std::uint32_t a = range.first == star ? largest : range.first;
      std::uint32_t b = range.last == star ? largest : range.last;
      if (a > b) std::swap(a, b);
      auto lo = std::lower_bound(entries_.begin(), entries_.end(), a,
                                 [](const ViewEntry& e, std::uint32_t u) { return e.uid < u; });
      for (auto it = lo; it != entries_.end() && it->uid <= b; ++it)
        out.push_back(static_cast<std::size_t>(it - entries_.begin()));
    } else {
      if ((range.first != star && range.first > count) || (range.last != star && range.last > count))
        return std::nullopt;
      if (count == 0) continue;
      std::uint32_t a = range.first == star ? count : range.first;
      std::uint32_t b = range.last == star ? count : range.last;
      if (a > b) std::swap(a, b);
      for (std::uint32_t n = a; n <= b; ++n) out.push_back(n - 1);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

namespace {

std::string fetch_flags_line(std::size_t index, const ViewEntry& entry, const ViewOptions& options) {
  std::string line = "* " + std::to_string(index + 1) + " FETCH (UID " + std::to_string(entry.uid) + " FLAGS " +
                     format_flags(entry.flags, entry.keywords, options.recent && entry.recent);
  if (options.condstore) line += " MODSEQ (" + std::to_string(entry.modseq) + ")";
  line += ")\r\n";
  return line;
}

}  // namespace

std::string MailboxView::apply(const store::MailboxChanges& changes, const ViewOptions& options) {
  std::string out;
  std::uint32_t added = 0;
  for (const store::MailEntry& changed : changes.changed) {
    if (auto index = index_of_uid(changed.uid)) {
      ViewEntry& entry = entries_[*index];
      if (entry.expunged) continue;
      const bool differs = entry.flags != changed.flags || entry.keywords != changed.keywords;
      const bool newer = changed.modseq > entry.modseq;
      entry.modseq = std::max(entry.modseq, changed.modseq);
      if (differs) {
        entry.flags = changed.flags;
        entry.keywords = changed.keywords;
      }
      if (differs || (newer && options.condstore)) out += fetch_flags_line(*index, entry, options);
      continue;
    }
    if (changed.uid > max_uid()) {
      entries_.push_back(ViewEntry{changed.uid, changed.modseq, changed.flags, changed.keywords, changed.message_id,
                                   changed.size, changed.internal_date, false, options.recent && !read_only_});
      ++added;
    }
  }
  for (std::uint32_t uid : changes.vanished)
    if (auto index = index_of_uid(uid)) entries_[*index].expunged = true;
  highestmodseq_ = std::max(highestmodseq_, changes.highestmodseq);
  uidnext_ = std::max(uidnext_, changes.uidnext);
  if (options.allow_expunge) out += announce_expunges(options);
  // EXISTS after the expunges, counted as the client now sees the mailbox.
  if (added > 0) out += "* " + std::to_string(exists()) + " EXISTS\r\n";
  if (added > 0 && options.recent) out += "* " + std::to_string(recent_count()) + " RECENT\r\n";
  return out;
}

void MailboxView::mark_recent_above(std::uint32_t above) {
  for (ViewEntry& e : entries_)
    if (e.uid > above) e.recent = true;
}

std::uint32_t MailboxView::recent_count() const {
  std::uint32_t n = 0;
  for (const ViewEntry& e : entries_)
    if (e.recent && !e.expunged) ++n;
  return n;
}

std::string MailboxView::flush_expunges(const ViewOptions& options) {
  if (!options.allow_expunge) return {};
  return announce_expunges(options);
}

void MailboxView::update_entry(const store::MailEntry& changed) {
  auto index = index_of_uid(changed.uid);
  if (!index) return;
  ViewEntry& entry = entries_[*index];
  entry.flags = changed.flags;
  entry.keywords = changed.keywords;
  entry.modseq = std::max(entry.modseq, changed.modseq);
}

std::string MailboxView::remove_uids(const std::vector<std::uint32_t>& uids, const ViewOptions& options) {
  for (std::uint32_t uid : uids)
    if (auto index = index_of_uid(uid)) entries_[*index].expunged = true;
  ViewOptions allowed = options;
  allowed.allow_expunge = true;
  return announce_expunges(allowed);
}

std::string MailboxView::announce_expunges(const ViewOptions& options) {
  std::string out;
  std::vector<std::uint32_t> gone;
  // Highest sequence number first: each announced number is still valid
  // when the client reads it (RFC 9051 7.5.1).
  for (std::size_t i = entries_.size(); i-- > 0;) {
    if (!entries_[i].expunged) continue;
    if (options.qresync) gone.push_back(entries_[i].uid);
    else out += "* " + std::to_string(i + 1) + " EXPUNGE\r\n";
  }
  if (options.qresync && !gone.empty()) out += "* VANISHED " + compact_sequence_set(gone) + "\r\n";
  std::erase_if(entries_, [](const ViewEntry& e) { return e.expunged; });
  std::erase_if(saved_uids_, [this](std::uint32_t uid) { return !index_of_uid(uid); });
  return out;
}

std::vector<std::string> flag_names(std::uint32_t flags, const std::vector<std::string>& keywords, bool recent) {
  std::vector<std::string> names;
  if (flags & store::flag::seen) names.emplace_back("\\Seen");
  if (flags & store::flag::answered) names.emplace_back("\\Answered");
  if (flags & store::flag::flagged) names.emplace_back("\\Flagged");
  if (flags & store::flag::deleted) names.emplace_back("\\Deleted");
  if (flags & store::flag::draft) names.emplace_back("\\Draft");
  if (recent) names.emplace_back("\\Recent");
  names.insert(names.end(), keywords.begin(), keywords.end());
  return names;
}

std::string format_flags(std::uint32_t flags, const std::vector<std::string>& keywords, bool recent) {
  return format_flag_list(flag_names(flags, keywords, recent));
}

std::optional<SplitFlags> split_flags(const std::vector<std::string>& names) {
  SplitFlags out;
  for (const std::string& name : names) {
    if (name.empty()) return std::nullopt;
    if (name[0] == '\\') {
      const std::string upper = text::to_upper(name);
      if (upper == "\\SEEN") out.bits |= store::flag::seen;
      else if (upper == "\\ANSWERED") out.bits |= store::flag::answered;
      else if (upper == "\\FLAGGED") out.bits |= store::flag::flagged;
      else if (upper == "\\DELETED") out.bits |= store::flag::deleted;
      else if (upper == "\\DRAFT") out.bits |= store::flag::draft;
      continue;  // \Recent and unknown system flags are not kept
    }
    for (char c : name)
      if (!is_atom_char(c)) return std::nullopt;
    bool seen = false;
    for (const std::string& k : out.keywords)
      if (text::iequals(k, name)) seen = true;
    if (!seen) out.keywords.push_back(name);
  }
  return out;
}

}  // namespace tern::imap
