// The IMAP command parser: tag, command name, arguments into a typed
// Command (RFC 9051 6 and 9, with the extensions listed in command.hpp).
// The command table (command_table.hpp) at the end keeps one short parser
// per command; SEARCH and FETCH live in search.cpp and fetch.cpp.
#include <string_view>

#include "core/text.hpp"
#include "imap/protocol/command.hpp"
#include "imap/protocol/command_table.hpp"
#include "imap/protocol/lexer.hpp"
#include "imap/protocol/parse_detail.hpp"

namespace tern::imap {
namespace {

using Parsed = std::optional<CommandBody>;

Parsed no_arguments(Lexer&, CommandBody body) { return body; }

std::optional<std::string> mailbox(Lexer& lx) { return lx.astring(); }

Parsed parse_authenticate(Lexer& lx) {
  command::Authenticate a;
  if (!lx.sp()) return std::nullopt;
  auto mech = lx.atom();
  if (!mech) return std::nullopt;
  a.mechanism = text::to_upper(*mech);
  if (lx.consume(' ')) {
    // RFC 9051 6.2.2: base64 or "=" for an empty initial response.
    if (lx.consume('=')) {
      a.initial_response.emplace(1, '=');
    } else {
      auto ir = lx.atom();
      if (!ir) return std::nullopt;
      a.initial_response = std::move(*ir);
    }
  }
  return a;
}

Parsed parse_login(Lexer& lx) {
  command::Login l;
  if (!lx.sp()) return std::nullopt;
  auto user = lx.astring();
  if (!user || !lx.sp()) return std::nullopt;
  auto pass = lx.astring();
  if (!pass) return std::nullopt;
  l.username = std::move(*user);
  l.password = std::move(*pass);
  return l;
}

Parsed parse_enable(Lexer& lx) {
  command::Enable e;
  while (lx.consume(' ')) {
    auto cap = lx.atom();
    if (!cap) return std::nullopt;
    e.capabilities.push_back(text::to_upper(*cap));
  }
  if (e.capabilities.empty()) {
    lx.fail("ENABLE needs a capability");
    return std::nullopt;
  }
  return e;
}

template <class T>
Parsed parse_one_mailbox(Lexer& lx) {
  if (!lx.sp()) return std::nullopt;
  auto name = mailbox(lx);
  if (!name) return std::nullopt;
  return T{std::move(*name)};
}

// RFC 3502 / RFC 9051 6.3.12: APPEND mailbox 1*(SP [flag-list SP] [date-time SP] literal).
Parsed parse_append(Lexer& lx) {
  command::Append a;
  if (!lx.sp()) return std::nullopt;
  auto name = mailbox(lx);
  if (!name) return std::nullopt;
  a.mailbox = std::move(*name);
  while (lx.consume(' ')) {
    command::AppendMessage m;
    if (lx.peek() == '(') {
      auto flags = lx.flag_list();
      if (!flags || !lx.sp()) return std::nullopt;
      m.flags = std::move(*flags);
    }
    if (lx.peek() == '"') {
      m.internal_date = lx.date_time();
      if (!m.internal_date || !lx.sp()) return std::nullopt;
    }
    // RFC 6855 4: append-data =/ "UTF8" SP "(" literal8 ")".
    const bool utf8_data = lx.consume_word("UTF8");
    if (utf8_data && (!lx.sp() || !lx.open())) return std::nullopt;
    auto data = lx.literal(true, &m.binary, &m.spooled);
    if (!data) return std::nullopt;
    if (utf8_data && !lx.close()) return std::nullopt;
    m.data = std::move(*data);
    a.messages.push_back(std::move(m));
  }
  if (a.messages.empty()) {
    lx.fail("APPEND needs a message literal");
    return std::nullopt;
  }
  return a;
}

Parsed parse_expunge(Lexer& lx, bool uid) {
  command::Expunge e;
  if (uid) {
    if (!lx.sp()) return std::nullopt;
    e.uids = lx.sequence_set();
    if (!e.uids) return std::nullopt;
  }
  return e;
}

Parsed parse_store(Lexer& lx) {
  command::Store s;
  if (!lx.sp()) return std::nullopt;
  auto set = lx.sequence_set();
  if (!set || !lx.sp()) return std::nullopt;
  s.set = std::move(*set);
  if (lx.peek() == '(') {
    // RFC 7162 3.1.3 (RFC 4466 store-modifiers).
    if (!lx.open() || !lx.consume_word("UNCHANGEDSINCE") || !lx.sp()) {
      lx.fail("expected (UNCHANGEDSINCE n)");
      return std::nullopt;
    }
    s.unchanged_since = lx.number64();
    if (!s.unchanged_since || !lx.close() || !lx.sp()) return std::nullopt;
  }
  if (lx.consume('+')) s.mode = command::Store::Mode::add;
  else if (lx.consume('-')) s.mode = command::Store::Mode::remove;
  if (lx.consume_word("FLAGS.SILENT")) {
    s.silent = true;
  } else if (!lx.consume_word("FLAGS")) {
    lx.fail("expected FLAGS, +FLAGS or -FLAGS");
    return std::nullopt;
  }
  if (!lx.sp()) return std::nullopt;
  if (lx.peek() == '(') {
    auto flags = lx.flag_list();
    if (!flags) return std::nullopt;
    s.flags = std::move(*flags);
  } else {
    do {
      auto f = lx.flag();
      if (!f) return std::nullopt;
      s.flags.push_back(std::move(*f));
    } while (lx.consume(' '));
  }
  return s;
}

template <class T>
Parsed parse_copy(Lexer& lx) {
  if (!lx.sp()) return std::nullopt;
  auto set = lx.sequence_set();
  if (!set || !lx.sp()) return std::nullopt;
  auto name = mailbox(lx);
  if (!name) return std::nullopt;
  return T{std::move(*set), std::move(*name)};
}

Parsed parse_id(Lexer& lx) {
  command::Id id;
  if (!lx.sp()) return std::nullopt;
  if (lx.consume_nil()) return id;
  if (!lx.open()) return std::nullopt;
  id.parameters.emplace();
  if (lx.peek() != ')') {
    do {
      auto key = lx.string();
      if (!key || !lx.sp()) return std::nullopt;
      std::optional<std::string> value;
      if (!lx.consume_nil()) {
        value = lx.string();
        if (!value) return std::nullopt;
      }
      id.parameters->emplace_back(std::move(*key), std::move(value));
      // RFC 2971 3.3: at most 30 field-value pairs.
      if (id.parameters->size() > 30) {
        lx.fail("too many ID parameters");
        return std::nullopt;
      }
    } while (lx.consume(' '));
  }
  if (!lx.close()) return std::nullopt;
  return id;
}

Parsed parse_search_command(Lexer& lx) {
  if (!lx.sp()) return std::nullopt;
  auto s = detail::parse_search(lx);
  if (!s) return std::nullopt;
  return std::move(*s);
}

Parsed parse_fetch_command(Lexer& lx, bool uid) {
  if (!lx.sp()) return std::nullopt;
  auto f = detail::parse_fetch(lx, uid);
  if (!f) return std::nullopt;
  return std::move(*f);
}

// Plain forms of FETCH, STORE and SEARCH may not be followed by EXPUNGE
// responses; NOOP and CHECK poll.
constexpr std::uint8_t authed = in_authenticated | in_selected;
constexpr bool has_uid = true, no_uid = false, expunges = true, no_expunges = false, polls = true, waits = false;

const CommandSpec commands[] = {
    {"CAPABILITY", in_any_state, no_uid, expunges, waits, [](Lexer& lx, bool) { return no_arguments(lx, command::Capability{}); }},
    {"NOOP", in_any_state, no_uid, expunges, polls, [](Lexer& lx, bool) { return no_arguments(lx, command::Noop{}); }},
    {"LOGOUT", in_any_state, no_uid, expunges, waits, [](Lexer& lx, bool) { return no_arguments(lx, command::Logout{}); }},
    {"ID", in_any_state, no_uid, expunges, waits, [](Lexer& lx, bool) { return parse_id(lx); }},
    {"STARTTLS", in_not_authenticated, no_uid, expunges, waits, [](Lexer& lx, bool) { return no_arguments(lx, command::StartTls{}); }},
    {"AUTHENTICATE", in_not_authenticated, no_uid, expunges, waits, [](Lexer& lx, bool) { return parse_authenticate(lx); }},
    {"LOGIN", in_not_authenticated, no_uid, expunges, waits, [](Lexer& lx, bool) { return parse_login(lx); }},
    {"ENABLE", authed, no_uid, expunges, waits, [](Lexer& lx, bool) { return parse_enable(lx); }},
    {"SELECT", authed, no_uid, expunges, waits, [](Lexer& lx, bool) { return detail::parse_select(lx, false); }},
    {"EXAMINE", authed, no_uid, expunges, waits, [](Lexer& lx, bool) { return detail::parse_select(lx, true); }},
    {"CREATE", authed, no_uid, expunges, waits, [](Lexer& lx, bool) { return detail::parse_create(lx); }},
    {"DELETE", authed, no_uid, expunges, waits, [](Lexer& lx, bool) { return parse_one_mailbox<command::Delete>(lx); }},
    {"RENAME", authed, no_uid, expunges, waits, [](Lexer& lx, bool) { return detail::parse_rename(lx); }},
    {"SUBSCRIBE", authed, no_uid, expunges, waits, [](Lexer& lx, bool) { return parse_one_mailbox<command::Subscribe>(lx); }},
    {"UNSUBSCRIBE", authed, no_uid, expunges, waits, [](Lexer& lx, bool) { return parse_one_mailbox<command::Unsubscribe>(lx); }},
    {"LIST", authed, no_uid, expunges, waits, [](Lexer& lx, bool) { return detail::parse_list(lx); }},
    {"LSUB", authed, no_uid, expunges, waits, [](Lexer& lx, bool) { return detail::parse_lsub(lx); }},
    {"NAMESPACE", authed, no_uid, expunges, waits, [](Lexer& lx, bool) { return no_arguments(lx, command::Namespace{}); }},
    {"STATUS", authed, no_uid, expunges, waits, [](Lexer& lx, bool) { return detail::parse_status(lx); }},
    {"APPEND", authed, no_uid, expunges, waits, [](Lexer& lx, bool) { return parse_append(lx); }},
    {"IDLE", authed, no_uid, expunges, waits, [](Lexer& lx, bool) { return no_arguments(lx, command::Idle{}); }},
    {"CHECK", in_selected, no_uid, expunges, polls, [](Lexer& lx, bool) { return no_arguments(lx, command::Check{}); }},
    {"CLOSE", in_selected, no_uid, expunges, waits, [](Lexer& lx, bool) { return no_arguments(lx, command::Close{}); }},
    {"UNSELECT", in_selected, no_uid, expunges, waits, [](Lexer& lx, bool) { return no_arguments(lx, command::Unselect{}); }},
    {"EXPUNGE", in_selected, has_uid, expunges, waits, [](Lexer& lx, bool u) { return parse_expunge(lx, u); }},
    {"SEARCH", in_selected, has_uid, no_expunges, waits, [](Lexer& lx, bool) { return parse_search_command(lx); }},
    {"FETCH", in_selected, has_uid, no_expunges, waits, [](Lexer& lx, bool u) { return parse_fetch_command(lx, u); }},
    {"STORE", in_selected, has_uid, no_expunges, waits, [](Lexer& lx, bool) { return parse_store(lx); }},
    {"COPY", in_selected, has_uid, expunges, waits, [](Lexer& lx, bool) { return parse_copy<command::Copy>(lx); }},
    {"MOVE", in_selected, has_uid, expunges, waits, [](Lexer& lx, bool) { return parse_copy<command::Move>(lx); }},
};

}  // namespace

const CommandSpec* find_command(std::string_view name) {
  for (const CommandSpec& spec : commands)
    if (spec.name == name) return &spec;
  return nullptr;
}

std::variant<Command, ParseError> parse_command(std::string_view text, ParseLimits limits,
                                               std::span<const SpooledLiteral> spooled) {
  Lexer lx(text, limits.max_depth, spooled);
  auto tag = lx.tag();
  if (!tag) return ParseError{"", lx.error()};
  if (!lx.sp()) return ParseError{*tag, "missing command"};
  auto word = lx.atom();
  if (!word) return ParseError{*tag, "missing command"};
  Command command;
  command.tag = std::move(*tag);
  command.name = text::to_upper(*word);
  if (command.name == "UID") {
    command.uid = true;
    auto sub = lx.sp() ? lx.atom() : std::nullopt;
    if (!sub) return ParseError{command.tag, "UID needs a command"};
    command.name = text::to_upper(*sub);
  }
  const CommandSpec* entry = find_command(command.name);
  if (entry == nullptr || (command.uid && !entry->uid_form)) {
    return ParseError{command.tag, "unknown command " + (command.uid ? "UID " + command.name : command.name)};
  }
  Parsed body = entry->parse(lx, command.uid);
  if (body) lx.expect_end();
  if (!body || lx.failed()) {
    return ParseError{command.tag, command.name + ": " + (lx.failed() ? lx.error() : "invalid arguments")};
  }
  command.body = std::move(*body);
  command.spec = entry;
  if (command.uid) command.name = "UID " + command.name;
  return command;
}

}  // namespace tern::imap
