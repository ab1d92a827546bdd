// The SQLite schema, as an ordered list of migrations. Never edit a released
// step: append a new one.
//
// Blobs are kept once in `messages` however many mailbox entries and queue
// entries refer to them; the triggers on `entries` and `queue_entries` delete
// a message as soon as its last reference goes, whichever path removed it
// (expunge, queue removal, or a cascade from a removed account).
#include "store/sqlite/schema.hpp"

#include <fmt/format.h>

#include <array>

namespace tern::store::sqlite {

namespace {

constexpr std::string_view initial_schema = R"sql(
CREATE TABLE counters (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE domains (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created INTEGER NOT NULL
);

CREATE TABLE accounts (
  id INTEGER PRIMARY KEY,
  domain_id INTEGER NOT NULL REFERENCES domains(id),
  address TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  created INTEGER NOT NULL
);
CREATE INDEX accounts_by_domain ON accounts(domain_id);

CREATE TABLE aliases (
  id INTEGER PRIMARY KEY,
  domain_id INTEGER NOT NULL REFERENCES domains(id),
  address TEXT NOT NULL UNIQUE,
  created INTEGER NOT NULL
);
CREATE INDEX aliases_by_domain ON aliases(domain_id);

CREATE TABLE alias_targets (
  alias_id INTEGER NOT NULL REFERENCES aliases(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  target TEXT NOT NULL,
  PRIMARY KEY (alias_id, position)
) WITHOUT ROWID;

CREATE TABLE mailboxes (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  uidvalidity INTEGER NOT NULL,
  uidnext INTEGER NOT NULL DEFAULT 1,
  highestmodseq INTEGER NOT NULL DEFAULT 1,
  subscribed INTEGER NOT NULL DEFAULT 1,
  special_use TEXT NOT NULL DEFAULT '',
  UNIQUE (account_id, name)
);

CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  size INTEGER NOT NULL,
  internal_date INTEGER NOT NULL,
  header_size INTEGER NOT NULL,
  date INTEGER NOT NULL,
  subject TEXT NOT NULL,
  from_field TEXT NOT NULL,
  sender TEXT NOT NULL,
  reply_to TEXT NOT NULL,
  to_field TEXT NOT NULL,
  cc TEXT NOT NULL,
  bcc TEXT NOT NULL,
  in_reply_to TEXT NOT NULL,
  message_id_field TEXT NOT NULL,
  data BLOB NOT NULL  -- last, so reading the other columns never touches the blob's pages
);

CREATE TABLE entries (
  mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  uid INTEGER NOT NULL,
  modseq INTEGER NOT NULL,
  flags INTEGER NOT NULL DEFAULT 0,
  keywords TEXT NOT NULL DEFAULT '',
  message_id INTEGER NOT NULL REFERENCES messages(id),
  PRIMARY KEY (mailbox_id, uid)
) WITHOUT ROWID;
CREATE INDEX entries_by_message ON entries(message_id);
CREATE INDEX entries_by_modseq ON entries(mailbox_id, modseq);

CREATE TABLE queue_entries (
  id INTEGER PRIMARY KEY,
  message_id INTEGER NOT NULL REFERENCES messages(id),
  sender TEXT NOT NULL,
  envid TEXT NOT NULL DEFAULT '',
  ret TEXT NOT NULL DEFAULT '',
  smtputf8 INTEGER NOT NULL DEFAULT 0,
  eight_bit INTEGER NOT NULL DEFAULT 0,
  auth_user TEXT NOT NULL DEFAULT '',
  created INTEGER NOT NULL,
  next_attempt INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX queue_entries_by_next_attempt ON queue_entries(next_attempt);
CREATE INDEX queue_entries_by_message ON queue_entries(message_id);

CREATE TABLE queue_recipients (
  queue_id INTEGER NOT NULL REFERENCES queue_entries(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  address TEXT NOT NULL,
  orcpt TEXT NOT NULL DEFAULT '',
  notify INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
  last_reply TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (queue_id, position)
) WITHOUT ROWID;

CREATE TRIGGER entries_release_message AFTER DELETE ON entries
BEGIN
  DELETE FROM messages WHERE id = OLD.message_id
    AND NOT EXISTS (SELECT 1 FROM entries WHERE message_id = OLD.message_id)
    AND NOT EXISTS (SELECT 1 FROM queue_entries WHERE message_id = OLD.message_id);
END;

CREATE TRIGGER queue_entries_release_message AFTER DELETE ON queue_entries
BEGIN
  DELETE FROM messages WHERE id = OLD.message_id
    AND NOT EXISTS (SELECT 1 FROM entries WHERE message_id = OLD.message_id)
    AND NOT EXISTS (SELECT 1 FROM queue_entries WHERE message_id = OLD.message_id);
END;
)sql";

// Queue leases (several delivery workers or nodes never take the same entry;
// a crashed one's lease runs out) and the once-only delay warning.
constexpr std::string_view queue_leases = R"sql(
ALTER TABLE queue_entries ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE queue_entries ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE queue_entries ADD COLUMN warned INTEGER NOT NULL DEFAULT 0;
)sql";

// IMAP: the MIME structure of each message, in its own table rather than a
// column of `messages` because a column added now would sit after the blob,
// and reading it would walk the blob's overflow pages. Messages stored before
// have no row; the store computes their structure when asked (messages.cpp).
// Also the UIDs
// expunged with their MODSEQ for QRESYNC (RFC 7162 3.2.10). `vanished_floor`
// is the highest MODSEQ whose expunges were pruned: below it the vanished
// list of a mailbox is incomplete.
constexpr std::string_view imap_support = R"sql(
CREATE TABLE message_structures (
  message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
  structure BLOB NOT NULL
);
ALTER TABLE mailboxes ADD COLUMN vanished_floor INTEGER NOT NULL DEFAULT 0;
CREATE TABLE vanished (
  mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  uid INTEGER NOT NULL,
  modseq INTEGER NOT NULL,
  PRIMARY KEY (mailbox_id, uid)
) WITHOUT ROWID;
CREATE INDEX vanished_by_modseq ON vanished(mailbox_id, modseq);
)sql";

// IMAP \Recent (RFC 3501 2.3.2): the highest UID already reported as recent.
// Mailboxes that exist when it is added start with nothing recent.
constexpr std::string_view recent_flag = R"sql(
ALTER TABLE mailboxes ADD COLUMN recent_uid INTEGER NOT NULL DEFAULT 0;
UPDATE mailboxes SET recent_uid = uidnext - 1;
)sql";

// DKIM key pairs per domain (store/types.hpp DkimKey).
constexpr std::string_view dkim_keys = R"sql(
CREATE TABLE dkim_keys (
  id INTEGER PRIMARY KEY,
  domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
  selector TEXT NOT NULL,
  algorithm TEXT NOT NULL,
  private_key TEXT NOT NULL,
  state TEXT NOT NULL,
  created INTEGER NOT NULL,
  changed INTEGER NOT NULL,
  UNIQUE (domain_id, selector)
);
)sql";

constexpr std::array<Migration, 5> all_migrations{{
    {"initial schema: directory, mailboxes, messages, queue", initial_schema},
    {"queue leases and delay warnings", queue_leases},
    {"message structure and expunged UIDs for IMAP", imap_support},
    {"IMAP \\Recent", recent_flag},
    {"DKIM keys", dkim_keys},
}};

}  // namespace

std::span<const Migration> migrations() { return all_migrations; }

std::int64_t latest_schema_version() { return static_cast<std::int64_t>(all_migrations.size()); }

Result<std::int64_t> migrate(Connection& db, std::span<const Migration> steps) {
  const auto known = static_cast<std::int64_t>(steps.size());
  TERN_TRY_ASSIGN(auto current, db.scalar("PRAGMA user_version"));
  std::int64_t version = current.value_or(0);
  if (version > known) {
    return make_error(Errc::invalid,
                      fmt::format("the database has schema version {}, newer than the {} this tern knows; "
                                  "it was written by a newer tern, which must be used instead",
                                  version, known));
  }
  for (; version < known; ++version) {
    const Migration& step = steps[static_cast<std::size_t>(version)];
    // IMMEDIATE: a second process opening the same database at the same time
    // waits here instead of applying the same step twice.
    TERN_TRY(db.exec("BEGIN IMMEDIATE"));
    TERN_TRY_ASSIGN(auto recheck, db.scalar("PRAGMA user_version"));
    if (recheck.value_or(0) != version) {
      TERN_TRY(db.exec("ROLLBACK"));
      return migrate(db, steps);  // someone else migrated meanwhile: start over from their version
    }
    auto applied = db.exec(step.sql);
    if (applied) applied = db.exec(fmt::format("PRAGMA user_version = {}", version + 1));
    if (applied) applied = db.exec("COMMIT");
    if (!applied) {
      if (db.in_transaction()) (void)db.exec("ROLLBACK");
      return make_error(applied.error().code, fmt::format("schema migration {} ({}) failed: {}", version + 1,
                                                          step.description, applied.error().message));
    }
  }
  return version;
}

}  // namespace tern::store::sqlite
