// The parsers of the mailbox commands: SELECT/EXAMINE with CONDSTORE and
// QRESYNC (RFC 9051 6.3.2-6.3.3, RFC 7162 3.1.8, 3.2.5), CREATE with USE
// (RFC 6154 3), RENAME, LIST with its extensions (RFC 5258, RFC 5819,
// RFC 6154 4), LSUB (RFC 3501 6.3.9) and STATUS (RFC 9051 6.3.11).
#include "imap/protocol/parse_detail.hpp"

namespace tern::imap::detail {
namespace {

// RFC 7162 3.2.5: QRESYNC (uidvalidity mod-sequence [known-uids [seq-match-data]]).
std::optional<command::QresyncParameters> parse_qresync(Lexer& lx) {
  command::QresyncParameters q;
  if (!lx.sp() || !lx.open()) return std::nullopt;
  auto validity = lx.nz_number();
  if (!validity || !lx.sp()) return std::nullopt;
  auto modseq = lx.number64();
  if (!modseq) return std::nullopt;
  q.uidvalidity = *validity;
  q.modseq = *modseq;
  if (lx.consume(' ')) {
    if (lx.peek() != '(') {
      q.known_uids = lx.sequence_set();
      if (!q.known_uids) return std::nullopt;
      if (!lx.consume(' ')) return lx.close() ? std::optional(q) : std::nullopt;
    }
    if (!lx.open()) return std::nullopt;
    auto seqs = lx.sequence_set();
    if (!seqs || !lx.sp()) return std::nullopt;
    auto uids = lx.sequence_set();
    if (!uids || !lx.close()) return std::nullopt;
    q.sequence_match = std::pair(std::move(*seqs), std::move(*uids));
  }
  if (!lx.close()) return std::nullopt;
  return q;
}

}  // namespace

std::optional<CommandBody> parse_select(Lexer& lx, bool read_only) {
  command::Select s;
  s.read_only = read_only;
  if (!lx.sp()) return std::nullopt;
  auto name = lx.astring();
  if (!name) return std::nullopt;
  s.mailbox = std::move(*name);
  if (lx.consume(' ')) {
    if (!lx.open()) return std::nullopt;
    do {
      if (lx.consume_word("CONDSTORE")) {
        s.condstore = true;
      } else if (lx.consume_word("QRESYNC")) {
        s.qresync = parse_qresync(lx);
        if (!s.qresync) return std::nullopt;
      } else {
        lx.fail("unknown SELECT parameter");
        return std::nullopt;
      }
    } while (lx.consume(' '));
    if (!lx.close()) return std::nullopt;
  }
  return s;
}

std::optional<CommandBody> parse_create(Lexer& lx) {
  command::Create c;
  if (!lx.sp()) return std::nullopt;
  auto name = lx.astring();
  if (!name) return std::nullopt;
  c.mailbox = std::move(*name);
  if (lx.consume(' ')) {
    if (!lx.open()) return std::nullopt;
    if (!lx.consume_word("USE")) {
      lx.fail("unknown CREATE parameter");
      return std::nullopt;
    }
    if (!lx.sp()) return std::nullopt;
    auto uses = lx.flag_list();
    if (!uses || !lx.close()) return std::nullopt;
    c.special_use = std::move(*uses);
  }
  return c;
}

std::optional<CommandBody> parse_rename(Lexer& lx) {
  if (!lx.sp()) return std::nullopt;
  auto from = lx.astring();
  if (!from || !lx.sp()) return std::nullopt;
  auto to = lx.astring();
  if (!to) return std::nullopt;
  return command::Rename{std::move(*from), std::move(*to)};
}

// RFC 5258 3: LIST [(selection)] reference (pattern / (patterns)) [RETURN (options)].
std::optional<CommandBody> parse_list(Lexer& lx) {
  command::List l;
  if (!lx.sp()) return std::nullopt;
  if (lx.peek() == '(') {
    l.extended = true;
    if (!lx.open()) return std::nullopt;
    if (lx.peek() != ')') {
      do {
        if (lx.consume_word("SUBSCRIBED")) l.select_subscribed = true;
        else if (lx.consume_word("REMOTE")) l.select_remote = true;
        else if (lx.consume_word("RECURSIVEMATCH")) l.recursive_match = true;
        else if (lx.consume_word("SPECIAL-USE")) l.select_special_use = true;
        else {
          lx.fail("unknown LIST selection option");
          return std::nullopt;
        }
      } while (lx.consume(' '));
    }
    if (!lx.close()) return std::nullopt;
    // RFC 5258 3.1: RECURSIVEMATCH alone means nothing.
    if (l.recursive_match && !l.select_subscribed && !l.select_special_use) {
      lx.fail("RECURSIVEMATCH needs another selection option");
      return std::nullopt;
    }
    if (!lx.sp()) return std::nullopt;
  }
  auto reference = lx.astring();
  if (!reference || !lx.sp()) return std::nullopt;
  l.reference = std::move(*reference);
  if (lx.peek() == '(') {
    l.extended = true;
    if (!lx.open()) return std::nullopt;
    do {
      auto pattern = lx.list_mailbox();
      if (!pattern) return std::nullopt;
      l.patterns.push_back(std::move(*pattern));
    } while (lx.consume(' '));
    if (!lx.close()) return std::nullopt;
  } else {
    auto pattern = lx.list_mailbox();
    if (!pattern) return std::nullopt;
    l.patterns.push_back(std::move(*pattern));
  }
  if (lx.consume(' ')) {
    if (!lx.consume_word("RETURN") || !lx.sp() || !lx.open()) {
      lx.fail("expected RETURN (...)");
      return std::nullopt;
    }
    l.extended = true;
    if (lx.peek() != ')') {
      do {
        if (lx.consume_word("SUBSCRIBED")) l.return_subscribed = true;
        else if (lx.consume_word("CHILDREN")) l.return_children = true;
        else if (lx.consume_word("SPECIAL-USE")) l.return_special_use = true;
        else if (lx.consume_word("STATUS")) {
          if (!lx.sp()) return std::nullopt;
          l.return_status = parse_status_items(lx);
          if (!l.return_status) return std::nullopt;
        } else {
          lx.fail("unknown LIST return option");
          return std::nullopt;
        }
      } while (lx.consume(' '));
    }
    if (!lx.close()) return std::nullopt;
  }
  return l;
}

std::optional<CommandBody> parse_lsub(Lexer& lx) {
  if (!lx.sp()) return std::nullopt;
  auto reference = lx.astring();
  if (!reference || !lx.sp()) return std::nullopt;
  auto pattern = lx.list_mailbox();
  if (!pattern) return std::nullopt;
  return command::Lsub{std::move(*reference), std::move(*pattern)};
}

std::optional<CommandBody> parse_status(Lexer& lx) {
  if (!lx.sp()) return std::nullopt;
  auto name = lx.astring();
  if (!name || !lx.sp()) return std::nullopt;
  auto items = parse_status_items(lx);
  if (!items) return std::nullopt;
  return command::Status{std::move(*name), std::move(*items)};
}

}  // namespace tern::imap::detail
