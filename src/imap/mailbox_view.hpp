// The selected mailbox as one session sees it (RFC 9051 5.2, 7.4.1): the
// message sequence numbers, each entry's UID, flags and MODSEQ, and how the
// session catches up with changes others made. Sans-I/O: the session feeds
// store results in and gets the untagged responses to send out.
//
// Message sequence numbers only change when this session tells its client
// about an expunge, and it may not do so during FETCH, STORE or SEARCH
// (RFC 9051 7.4.1): expunges learnt then wait in `pending_expunges_` and the
// entries stay addressable (their FETCH simply finds nothing) until a
// command that may announce them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "imap/protocol/sequence_set.hpp"
#include "store/types.hpp"

namespace tern::imap {

struct ViewEntry {
  std::uint32_t uid = 0;
  std::uint64_t modseq = 0;
  std::uint32_t flags = 0;
  std::vector<std::string> keywords;
  store::Id message_id = 0;
  std::uint64_t size = 0;
  store::UnixTime internal_date = 0;
  bool expunged = false;  // gone from the store, not yet announced
  bool recent = false;    // \Recent to this session (RFC 3501 2.3.2; IMAP4rev1 only)
};

struct ViewOptions {
  bool qresync = false;  // announce expunges as VANISHED (RFC 7162 3.2.10)
  bool condstore = false;  // FETCH responses carry MODSEQ (RFC 7162 3.1.4)
  bool allow_expunge = true;  // false during FETCH, STORE, SEARCH
  bool recent = false;  // an IMAP4rev1 session: \Recent in FLAGS, RECENT after EXISTS
};

class MailboxView {
 public:
  MailboxView() = default;
  MailboxView(const store::Mailbox& mailbox, std::vector<store::MailEntry> entries, bool read_only);

  store::Id mailbox_id() const { return mailbox_id_; }
  const std::string& name() const { return name_; }
  bool read_only() const { return read_only_; }
  std::uint32_t uidvalidity() const { return uidvalidity_; }
  std::uint32_t uidnext() const { return uidnext_; }
  std::uint64_t highestmodseq() const { return highestmodseq_; }
  std::uint32_t exists() const { return static_cast<std::uint32_t>(entries_.size()); }
  const std::vector<ViewEntry>& entries() const { return entries_; }
  ViewEntry& entry(std::size_t index) { return entries_[index]; }
  std::uint32_t max_uid() const { return entries_.empty() ? 0 : entries_.back().uid; }

  // Indexes (0-based; sequence number = index + 1) of the entries a set names,
  // ascending. Sequence numbers beyond EXISTS make the set invalid (nullopt,
  // the command answers BAD, RFC 9051 9 "seq-number"), unless `uid`: UIDs
  // that do not exist are simply not there. `saved` ("$") is resolved from
  // saved_uids().
  std::optional<std::vector<std::size_t>> resolve(const SequenceSet& set, bool uid) const;
  std::optional<std::size_t> index_of_uid(std::uint32_t uid) const;

  // \Recent (RFC 3501 2.3.2): marks the entries above `above` recent to
  // this session. SELECT claims them from the store (claim_recent) so that
  // no later session sees them recent; EXAMINE only looks. Messages that
  // arrive while the mailbox is selected are recent too (apply(), with
  // ViewOptions::recent): whether another session was told first cannot be
  // known without asking the store on every arrival, and RFC 3501 says such
  // messages SHOULD be considered recent.
  void mark_recent_above(std::uint32_t above);
  std::uint32_t recent_count() const;

  // "$" (RFC 5182): the UIDs the last SEARCH RETURN (SAVE) saved.
  const std::vector<std::uint32_t>& saved_uids() const { return saved_uids_; }
  void set_saved_uids(std::vector<std::uint32_t> uids) { saved_uids_ = std::move(uids); }

  // Brings the view up to date with what the store reports changed (the
  // result of changes_since(highestmodseq())), and returns the untagged
  // responses for the client: FETCH for changed flags, EXPUNGE / VANISHED
  // for removed entries (when allowed), EXISTS for new ones.
  std::string apply(const store::MailboxChanges& changes, const ViewOptions& options);
  // Announces expunges held back earlier, when allowed now.
  std::string flush_expunges(const ViewOptions& options);

  // Records an entry's new state after this session's own STORE, so that the
  // next apply() does not report it again.
  void update_entry(const store::MailEntry& entry);
  // Removes entries this session expunged itself and returns the EXPUNGE
  // (or VANISHED) responses, in the order RFC 9051 7.5.1 asks.
  std::string remove_uids(const std::vector<std::uint32_t>& uids, const ViewOptions& options);

 private:
  std::string announce_expunges(const ViewOptions& options);

  store::Id mailbox_id_ = 0;
  std::string name_;
  bool read_only_ = false;
  std::uint32_t uidvalidity_ = 0;
  std::uint32_t uidnext_ = 1;
  std::uint64_t highestmodseq_ = 1;
  std::vector<ViewEntry> entries_;
  std::vector<std::uint32_t> saved_uids_;
};

// "(\Seen \Deleted $Junk)" for store flag bits and keywords; `recent` adds \Recent.
std::string format_flags(std::uint32_t flags, const std::vector<std::string>& keywords, bool recent = false);
std::vector<std::string> flag_names(std::uint32_t flags, const std::vector<std::string>& keywords,
                                    bool recent = false);

// Splits IMAP flag names into store bits and keywords. \Recent and unknown
// system flags ("\Foo") are dropped, as RFC 9051 6.4.6 allows for flags a
// server does not keep; nullopt when a keyword is not a valid atom.
struct SplitFlags {
  std::uint32_t bits = 0;
  std::vector<std::string> keywords;
};
std::optional<SplitFlags> split_flags(const std::vector<std::string>& names);

}  // namespace tern::imap
