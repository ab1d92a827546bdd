// The entities of the store, as plain values. Nothing here knows which
// back end holds them: identifiers are opaque 64-bit integers and times are
// seconds since the Unix epoch (UTC).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/dsn.hpp"
#include "core/spool.hpp"
#include "core/unix_time.hpp"
#include "mime/message_meta.hpp"

namespace tern::store {

using Id = std::int64_t;
using UnixTime = ::tern::UnixTime;  // seconds since the Unix epoch (UTC), core/unix_time.hpp

struct Domain {
  Id id = 0;
  std::string name;  // lower case, A-labels for IDNA names
  UnixTime created = 0;
};

// A DKIM key pair of a local domain (RFC 6376 3.6.1: the public half is
// published at SELECTOR._domainkey.DOMAIN). Mail is signed with the active
// keys; a pending key is published but not yet used, so that rotation never
// signs with a key that verifiers cannot find yet; a retired key signs no
// more, but stays published for the mail still in flight.
enum class DkimKeyState { pending, active, retired };
const char* dkim_key_state_name(DkimKeyState state);

struct DkimKey {
  Id id = 0;
  std::string domain;       // lower case, A-labels
  std::string selector;
  std::string algorithm;    // "ed25519" | "rsa"
  std::string private_key;  // PKCS #8 PEM
  DkimKeyState state = DkimKeyState::active;
  UnixTime created = 0;
  UnixTime changed = 0;     // when it took its state
};

struct Account {
  Id id = 0;
  Id domain_id = 0;
  std::string address;        // local@domain, domain lower case
  std::string password_hash;  // "$argon2id$..." or "{SHA512-CRYPT}$6$..." / "$6$..."
  UnixTime created = 0;
};

// An alias maps one address, or "@domain" for a catch-all, to targets that are
// local accounts, other aliases or remote addresses.
struct Alias {
  Id id = 0;
  std::string address;
  std::vector<std::string> targets;
};

// The system flags of RFC 9051 2.3.2 as bits; \Recent is per session and not stored.
namespace flag {
inline constexpr std::uint32_t seen = 1u << 0;
inline constexpr std::uint32_t answered = 1u << 1;
inline constexpr std::uint32_t flagged = 1u << 2;
inline constexpr std::uint32_t deleted = 1u << 3;
inline constexpr std::uint32_t draft = 1u << 4;
}  // namespace flag

struct Mailbox {
  Id id = 0;
  Id account_id = 0;
  std::string name;                 // "INBOX", "Sent", hierarchy separator "/"
  std::uint32_t uidvalidity = 0;
  std::uint32_t uidnext = 1;
  std::uint64_t highestmodseq = 1;
  bool subscribed = true;
  std::string special_use;          // RFC 6154 attribute ("\\Sent") or empty
  std::uint32_t message_count = 0;  // entries currently in the mailbox
  // \Recent (RFC 3501 2.3.2): the highest UID some session has already been
  // told is recent; the entries above it are recent to the next one.
  std::uint32_t recent_uid = 0;
};

// The header summary kept beside each message (defined in mime, which computes it).
using MessageMeta = mime::MessageMeta;

// A message to be stored: immutable bytes in canonical form (CRLF line
// endings, mime::canonicalize_line_endings), their meta and their structure
// (mime::serialize(mime::analyze_message(data))). Build it with
// store::prepare_message; a back end computes a missing structure itself.
struct NewMessage {
  std::string data;  // the bytes, unless `mapped` holds them
  // A large message: the spool file mapped behind its trace fields
  // (store::prepare_spooled), read by the store in bounded pieces.
  std::shared_ptr<const MappedText> mapped;
  std::string_view bytes() const { return mapped ? mapped->view() : std::string_view(data); }
  UnixTime internal_date = 0;
  MessageMeta meta;
  std::string structure;
};

// What FETCH needs of one message: its bytes and its serialized structure.
struct MessageForFetch {
  std::string data;
  std::string structure;  // mime::serialize form
};

// STATUS (RFC 9051 6.3.11, RFC 7162 3.1.2), counted by the database.
struct MailboxStatus {
  std::uint32_t messages = 0;
  std::uint32_t unseen = 0;   // entries without \Seen
  std::uint32_t deleted = 0;  // entries with \Deleted (RFC 9051 DELETED)
  std::uint64_t size = 0;     // octets of all entries (RFC 8438 SIZE)
  std::uint32_t recent = 0;   // entries above Mailbox::recent_uid (\Recent, RFC 3501)
  std::uint32_t uidnext = 1;
  std::uint32_t uidvalidity = 0;
  std::uint64_t highestmodseq = 1;
};

// One entry copied or moved: its UID in the source and in the target (COPYUID, RFC 4315).
struct UidMapping {
  std::uint32_t from_uid = 0;
  std::uint32_t to_uid = 0;
};

// One message in one mailbox.
struct MailEntry {
  Id mailbox_id = 0;
  std::uint32_t uid = 0;
  std::uint64_t modseq = 0;
  std::uint32_t flags = 0;
  std::vector<std::string> keywords;
  Id message_id = 0;
  std::uint64_t size = 0;
  UnixTime internal_date = 0;
};

// What happened to a mailbox after a MODSEQ (RFC 7162 3.2.5, 3.2.10).
struct MailboxChanges {
  std::vector<MailEntry> changed;       // entries added or changed, in UID order
  std::vector<std::uint32_t> vanished;  // UIDs expunged, ascending
  // False when expunges older than the MODSEQ asked for were pruned: then
  // `vanished` may lack some UIDs and the caller compares its own UID list.
  bool vanished_complete = true;
  std::uint64_t highestmodseq = 1;
  std::uint32_t uidnext = 1;
};

// ---- queue (store and forward) ----

// RFC 3461 NOTIFY as bits (core/dsn.hpp); none means NOTIFY=NEVER was given.
namespace notify = ::tern::dsn::notify;

enum class RecipientState { pending, delivered, failed };

struct QueueRecipient {
  std::string address;
  std::string orcpt;             // RFC 3461 ORCPT, "" when not given
  std::uint8_t notify = 0;       // bits of notify::, 0 when not given
  RecipientState state = RecipientState::pending;
  std::string last_reply;        // the last SMTP reply or error for this recipient
};

struct OutboundSpec {
  std::string sender;            // the reverse-path, "" for the null sender <>
  std::vector<QueueRecipient> recipients;
  std::string envid;             // RFC 3461 ENVID
  std::string ret;               // RFC 3461 RET: "FULL", "HDRS" or ""
  bool smtputf8 = false;         // the message needs SMTPUTF8
  bool eight_bit = false;        // BODY=8BITMIME
  std::string auth_user;         // who submitted it, "" for relayed mail
};

struct QueueEntry {
  Id id = 0;
  Id message_id = 0;
  OutboundSpec spec;
  UnixTime created = 0;
  UnixTime next_attempt = 0;
  std::uint32_t attempts = 0;
  std::string last_error;
  std::uint64_t size = 0;
  bool warned = false;           // a delay warning (RFC 3464 Action: delayed) has been sent
  std::string lease_owner;       // the node delivering it now, "" when nobody is
  UnixTime lease_until = 0;      // the lease ends then (a crashed node's lease runs out)
};

// ---- delivery: one message to local mailboxes and/or the queue, atomically ----

struct LocalTarget {
  Id account_id = 0;
  std::string mailbox = "INBOX";
  std::uint32_t flags = 0;
};

struct Delivery {
  NewMessage message;
  std::vector<LocalTarget> local;
  std::optional<OutboundSpec> outbound;
};

struct Placement {
  Id mailbox_id = 0;
  std::uint32_t uid = 0;
};

struct DeliveryResult {
  Id message_id = 0;
  std::vector<Placement> placed;
  std::optional<Id> queue_id;
};

// The outcome of one delivery attempt of a leased queue entry, recorded in
// one transaction together with the notices (bounces, delay warnings) it
// caused: a crash either keeps the attempt unrecorded (the entry is
// delivered again: at-least-once) or records it with its notices.
struct QueueAttempt {
  Id id = 0;
  std::string owner;                       // must hold the entry's lease
  std::vector<QueueRecipient> recipients;  // every recipient, in queue order, with its new state and reply
  std::uint32_t attempts = 0;
  UnixTime next_attempt = 0;
  std::string last_error;
  bool warned = false;
  std::vector<Delivery> notices;           // stored as by Store::deliver, in the same transaction
};

// Where an address leads (RFC 5321 3.6: aliases expanded, catch-all last).
struct Resolution {
  bool local_domain = false;           // the domain is one of ours
  std::vector<Id> accounts;            // local accounts that receive it
  std::vector<std::string> external;   // remote addresses it is forwarded to
  bool found() const { return !accounts.empty() || !external.empty(); }
};

enum class FlagMode { replace, add, remove };

}  // namespace tern::store
