// IMAP commands as typed values: what parse_command() produces from the text
// a CommandReader delivered. Nothing here knows the store or the session
// state; mailbox names are as the client sent them (see mailbox_name.hpp).
//   RFC 9051 6 (commands) and 9 (grammar), RFC 3501 (rev1 forms: LSUB,
//   RECENT, RFC822.*), RFC 4466 (extended syntax), RFC 5258 / RFC 5819 /
//   RFC 6154 (LIST-EXTENDED, LIST-STATUS, SPECIAL-USE), RFC 7162 (CONDSTORE,
//   QRESYNC), RFC 3502 (MULTIAPPEND), RFC 3516 (BINARY), RFC 4731 / RFC 5182
//   (ESEARCH, SEARCHRES), RFC 2971 (ID), RFC 5161 (ENABLE), RFC 6851 (MOVE).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/spool.hpp"
#include "imap/protocol/sequence_set.hpp"
#include "mime/section.hpp"

namespace tern::imap {

struct Date {
  int year = 0;
  int month = 1;  // 1..12
  int day = 1;
  bool operator==(const Date&) const = default;
};

// date-time (RFC 9051 9): "01-Jul-2024 12:00:00 +0000".
struct DateTime {
  Date date;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int zone_minutes = 0;  // east of UTC
  bool operator==(const DateTime&) const = default;
};

enum class StatusItem : std::uint8_t { messages, uidnext, uidvalidity, unseen, deleted, size, recent, highestmodseq };

struct SearchKey {
  enum class Kind : std::uint8_t {
    all_of,  // the children, all of them (the top level and "( ... )")
    all, answered, bcc, before, body, cc, deleted, draft, flagged, from, header, keyword, larger, new_, not_,
    old, on, or_, recent, seen, sentbefore, senton, sentsince, since, smaller, subject, text, to, uid,
    unanswered, undeleted, undraft, unflagged, unkeyword, unseen, sequence_set, modseq,
  };
  Kind kind = Kind::all_of;
  std::string field;           // HEADER field name; KEYWORD/UNKEYWORD flag
  std::string value;           // the string to look for
  std::uint64_t number = 0;    // LARGER, SMALLER, MODSEQ
  Date date;                   // BEFORE, ON, SINCE and the SENT* keys
  SequenceSet set;             // UID and a bare sequence set
  std::vector<SearchKey> children;  // all_of: any number; not_: one; or_: two
};

enum class SearchReturn : std::uint8_t { min, max, all, count, save };

struct FetchItem {
  enum class Kind : std::uint8_t {
    flags, internaldate, rfc822_size, envelope, body, bodystructure, uid, rfc822, rfc822_header, rfc822_text,
    body_section, binary, binary_size, modseq,
  };
  Kind kind = Kind::flags;
  bool peek = false;                   // BODY.PEEK / BINARY.PEEK
  mime::SectionSpec section;           // body_section
  std::vector<std::uint32_t> part;     // binary, binary_size: the part number ("1.2" -> {1, 2})
  std::optional<std::pair<std::uint32_t, std::uint32_t>> partial;  // <start.length>
};

namespace command {
struct Capability {};
struct Noop {};
struct Logout {};
struct StartTls {};
struct Authenticate {
  std::string mechanism;                        // upper-cased
  std::optional<std::string> initial_response;  // base64 as sent; "=" is kept (RFC 4959)
};
struct Login {
  std::string username;
  std::string password;
};
struct Enable {
  std::vector<std::string> capabilities;  // upper-cased
};
struct QresyncParameters {
  std::uint32_t uidvalidity = 0;
  std::uint64_t modseq = 0;
  std::optional<SequenceSet> known_uids;
  std::optional<std::pair<SequenceSet, SequenceSet>> sequence_match;  // (seq-set uid-set)
};
struct Select {
  std::string mailbox;
  bool read_only = false;  // EXAMINE
  bool condstore = false;
  std::optional<QresyncParameters> qresync;
};
struct Create {
  std::string mailbox;
  std::vector<std::string> special_use;  // CREATE ... (USE (\Drafts)), RFC 6154 3
};
struct Delete { std::string mailbox; };
struct Rename {
  std::string from;
  std::string to;
};
struct Subscribe { std::string mailbox; };
struct Unsubscribe { std::string mailbox; };
struct List {
  std::string reference;
  std::vector<std::string> patterns;
  // Selection options (RFC 5258 3.1, RFC 6154 4).
  bool select_subscribed = false;
  bool select_remote = false;
  bool recursive_match = false;
  bool select_special_use = false;
  // Return options (RFC 5258 3.2, RFC 5819, RFC 6154 4).
  bool return_subscribed = false;
  bool return_children = false;
  bool return_special_use = false;
  std::optional<std::vector<StatusItem>> return_status;
  bool extended = false;  // any option or a pattern list was given
};
struct Lsub {
  std::string reference;
  std::string pattern;
};
struct Namespace {};
struct Status {
  std::string mailbox;
  std::vector<StatusItem> items;
};
struct AppendMessage {
  std::vector<std::string> flags;
  std::optional<DateTime> internal_date;
  std::string data;                // the literal, unless spooled
  std::shared_ptr<Spool> spooled;  // a large literal: in a spool, canonical CRLF (CommandReader)
  bool binary = false;             // literal8 (RFC 3516 4.4)
  std::uint64_t size() const { return spooled ? spooled->size() : data.size(); }
};
struct Append {
  std::string mailbox;
  std::vector<AppendMessage> messages;  // more than one: MULTIAPPEND (RFC 3502)
};
struct Idle {};
struct Check {};
struct Close {};
struct Unselect {};
struct Expunge {
  std::optional<SequenceSet> uids;  // UID EXPUNGE (RFC 9051 6.4.9)
};
struct Search {
  std::optional<std::vector<SearchReturn>> return_options;  // present: ESEARCH response (RFC 4731)
  std::optional<std::string> charset;
  SearchKey criteria;  // all_of at the top
};
struct Fetch {
  SequenceSet set;
  std::vector<FetchItem> items;
  std::optional<std::uint64_t> changed_since;  // RFC 7162 3.1.4
  bool vanished = false;                      // RFC 7162 3.2.6 (UID FETCH only)
};
struct Store {
  enum class Mode : std::uint8_t { replace, add, remove };
  SequenceSet set;
  Mode mode = Mode::replace;
  bool silent = false;
  std::vector<std::string> flags;
  std::optional<std::uint64_t> unchanged_since;  // RFC 7162 3.1.3
};
struct Copy {
  SequenceSet set;
  std::string mailbox;
};
struct Move {
  SequenceSet set;
  std::string mailbox;
};
struct Id {
  // nullopt for NIL; a value of nullopt for a NIL value (RFC 2971 3.1).
  std::optional<std::vector<std::pair<std::string, std::optional<std::string>>>> parameters;
};
}  // namespace command

using CommandBody =
    std::variant<command::Capability, command::Noop, command::Logout, command::StartTls, command::Authenticate,
                 command::Login, command::Enable, command::Select, command::Create, command::Delete,
                 command::Rename, command::Subscribe, command::Unsubscribe, command::List, command::Lsub,
                 command::Namespace, command::Status, command::Append, command::Idle, command::Check,
                 command::Close, command::Unselect, command::Expunge, command::Search, command::Fetch,
                 command::Store, command::Copy, command::Move, command::Id>;

struct CommandSpec;  // command_table.hpp

struct Command {
  std::string tag;
  std::string name;  // upper-cased, "UID FETCH" style, for logs and responses
  bool uid = false;  // UID FETCH/STORE/COPY/MOVE/SEARCH/EXPUNGE: numbers are UIDs
  CommandBody body;
  const CommandSpec* spec = nullptr;  // its entry in the command table (set by parse_command)
};

// Why a command was refused: the session answers "tag BAD reason", or
// "* BAD reason" when the tag could not be read (RFC 9051 7.1.5).
struct ParseError {
  std::string tag;  // "" when unreadable
  std::string reason;
};

// A literal the reader put in a spool instead of the command text: the text
// has its announcement ("{n}" CRLF) and not its bytes, which would have
// started at `offset`. Only APPEND's message literals are spooled.
struct SpooledLiteral {
  std::size_t offset = 0;
  std::shared_ptr<Spool> spool;
};

struct ParseLimits {
  unsigned max_depth = 32;  // parentheses (search keys, lists)
};

// Parses one command as CommandReader delivers it (CRLF line endings,
// literals inline). Never throws on any input.
std::variant<Command, ParseError> parse_command(std::string_view text, ParseLimits limits = {},
                                               std::span<const SpooledLiteral> spooled = {});

}  // namespace tern::imap
