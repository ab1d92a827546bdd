// The IMAP command parser: every command in its usual and extended forms,
// and malformed forms answered with BAD and a reason (with the tag when it
// could be read).
#include <gtest/gtest.h>

#include "helpers.hpp"

namespace tern::imap {
namespace {

using testing::parse_as;
using testing::parse_bad;
using testing::parse_ok;
using namespace std::string_literals;

TEST(ImapParser, CommandsWithoutArguments) {
  EXPECT_TRUE(std::holds_alternative<command::Capability>(parse_ok("a capability\r\n").body));
  EXPECT_TRUE(std::holds_alternative<command::Noop>(parse_ok("a NOOP\r\n").body));
  EXPECT_TRUE(std::holds_alternative<command::Logout>(parse_ok("a LOGOUT\r\n").body));
  EXPECT_TRUE(std::holds_alternative<command::StartTls>(parse_ok("a STARTTLS\r\n").body));
  EXPECT_TRUE(std::holds_alternative<command::Namespace>(parse_ok("a NAMESPACE\r\n").body));
  EXPECT_TRUE(std::holds_alternative<command::Idle>(parse_ok("a IDLE\r\n").body));
  EXPECT_TRUE(std::holds_alternative<command::Check>(parse_ok("a CHECK\r\n").body));
  EXPECT_TRUE(std::holds_alternative<command::Close>(parse_ok("a CLOSE\r\n").body));
  EXPECT_TRUE(std::holds_alternative<command::Unselect>(parse_ok("a UNSELECT\r\n").body));
  EXPECT_FALSE(parse_as<command::Expunge>("a EXPUNGE\r\n").uids);
  const Command c = parse_ok("x.1 noop");  // no CRLF: accepted as the end too
  EXPECT_EQ(c.tag, "x.1");
  EXPECT_EQ(c.name, "NOOP");
}

TEST(ImapParser, AuthenticateAndLogin) {
  auto a = parse_as<command::Authenticate>("a AUTHENTICATE plain\r\n");
  EXPECT_EQ(a.mechanism, "PLAIN");
  EXPECT_FALSE(a.initial_response);
  a = parse_as<command::Authenticate>("a AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\n");
  EXPECT_EQ(a.initial_response, "AGFsaWNlAHNlY3JldA==");
  EXPECT_EQ(parse_as<command::Authenticate>("a AUTHENTICATE PLAIN =\r\n").initial_response, "=");
  auto l = parse_as<command::Login>("a LOGIN alice \"pa ss\\\"w\\\\d\"\r\n");
  EXPECT_EQ(l.username, "alice");
  EXPECT_EQ(l.password, "pa ss\"w\\d");
  l = parse_as<command::Login>("a LOGIN {5}\r\nalice {6+}\r\nsecret\r\n");
  EXPECT_EQ(l.username, "alice");
  EXPECT_EQ(l.password, "secret");
}

TEST(ImapParser, EnableAndId) {
  EXPECT_EQ(parse_as<command::Enable>("a ENABLE utf8=accept CONDSTORE\r\n").capabilities,
            (std::vector<std::string>{"UTF8=ACCEPT", "CONDSTORE"}));
  EXPECT_FALSE(parse_as<command::Id>("a ID NIL\r\n").parameters);
  auto id = parse_as<command::Id>("a ID (\"name\" \"mutt\" \"version\" NIL)\r\n");
  ASSERT_TRUE(id.parameters);
  ASSERT_EQ(id.parameters->size(), 2u);
  EXPECT_EQ((*id.parameters)[0].second, "mutt");
  EXPECT_FALSE((*id.parameters)[1].second);
}

TEST(ImapParser, SelectAndExamine) {
  auto s = parse_as<command::Select>("a SELECT inbox\r\n");
  EXPECT_EQ(s.mailbox, "inbox");
  EXPECT_FALSE(s.read_only);
  EXPECT_TRUE(parse_as<command::Select>("a EXAMINE \"Sent Items\"\r\n").read_only);
  EXPECT_TRUE(parse_as<command::Select>("a SELECT INBOX (CONDSTORE)\r\n").condstore);
  s = parse_as<command::Select>("a SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n");
  ASSERT_TRUE(s.qresync);
  EXPECT_EQ(s.qresync->uidvalidity, 67890007u);
  EXPECT_EQ(s.qresync->modseq, 20050715194045000u);
  EXPECT_EQ(format_sequence_set(*s.qresync->known_uids), "41,43:211,214:541");
  s = parse_as<command::Select>("a SELECT INBOX (QRESYNC (1 2 1:9 (1,3 5,7)))\r\n");
  ASSERT_TRUE(s.qresync && s.qresync->sequence_match);
  EXPECT_EQ(format_sequence_set(s.qresync->sequence_match->second), "5,7");
  EXPECT_FALSE(parse_as<command::Select>("a SELECT INBOX (QRESYNC (1 2))\r\n").qresync->known_uids);
}

TEST(ImapParser, MailboxManagement) {
  EXPECT_EQ(parse_as<command::Create>("a CREATE Archive/2024\r\n").mailbox, "Archive/2024");
  EXPECT_EQ(parse_as<command::Create>("a CREATE Drafts (USE (\\Drafts))\r\n").special_use,
            std::vector<std::string>{"\\Drafts"});
  EXPECT_EQ(parse_as<command::Delete>("a DELETE Old\r\n").mailbox, "Old");
  auto r = parse_as<command::Rename>("a RENAME \"A B\" {1}\r\nC\r\n");
  EXPECT_EQ(r.from, "A B");
  EXPECT_EQ(r.to, "C");
  EXPECT_EQ(parse_as<command::Subscribe>("a SUBSCRIBE Entw&APw-rfe\r\n").mailbox, "Entw&APw-rfe");
  EXPECT_EQ(parse_as<command::Unsubscribe>("a UNSUBSCRIBE x\r\n").mailbox, "x");
}

TEST(ImapParser, ListAndLsub) {
  auto l = parse_as<command::List>("a LIST \"\" *\r\n");
  EXPECT_EQ(l.reference, "");
  EXPECT_EQ(l.patterns, std::vector<std::string>{"*"});
  EXPECT_FALSE(l.extended);
  l = parse_as<command::List>("a LIST \"\" %/foo]\r\n");
  EXPECT_EQ(l.patterns, std::vector<std::string>{"%/foo]"});
  l = parse_as<command::List>(
      "a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (INBOX \"Sent*\") RETURN (CHILDREN SPECIAL-USE STATUS (MESSAGES "
      "UNSEEN))\r\n");
  EXPECT_TRUE(l.extended && l.select_subscribed && l.recursive_match && l.return_children && l.return_special_use);
  EXPECT_EQ(l.patterns, (std::vector<std::string>{"INBOX", "Sent*"}));
  ASSERT_TRUE(l.return_status);
  EXPECT_EQ(*l.return_status, (std::vector<StatusItem>{StatusItem::messages, StatusItem::unseen}));
  l = parse_as<command::List>("a LIST () \"\" % RETURN (SUBSCRIBED)\r\n");
  EXPECT_TRUE(l.return_subscribed);
  EXPECT_TRUE(parse_as<command::List>("a LIST (SPECIAL-USE) \"\" *\r\n").select_special_use);
  auto s = parse_as<command::Lsub>("a LSUB \"\" Lists/%\r\n");
  EXPECT_EQ(s.pattern, "Lists/%");
}

TEST(ImapParser, Status) {
  auto s = parse_as<command::Status>(
      "a STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE RECENT HIGHESTMODSEQ)\r\n");
  EXPECT_EQ(s.items.size(), 8u);
  EXPECT_EQ(s.items.back(), StatusItem::highestmodseq);
}

TEST(ImapParser, Append) {
  auto a = parse_as<command::Append>("a APPEND INBOX {5}\r\nHello\r\n");
  ASSERT_EQ(a.messages.size(), 1u);
  EXPECT_EQ(a.messages[0].data, "Hello");
  a = parse_as<command::Append>("a APPEND Sent (\\Seen $Label) \"01-Jul-2024 12:00:00 +0200\" {2+}\r\nab\r\n");
  EXPECT_EQ(a.messages[0].flags, (std::vector<std::string>{"\\Seen", "$Label"}));
  ASSERT_TRUE(a.messages[0].internal_date);
  EXPECT_EQ(a.messages[0].internal_date->zone_minutes, 120);
  a = parse_as<command::Append>("a APPEND x ~{3}\r\na\0b {1}\r\nc\r\n"s);
  ASSERT_EQ(a.messages.size(), 2u);  // MULTIAPPEND
  EXPECT_TRUE(a.messages[0].binary);
  EXPECT_EQ(a.messages[0].data, std::string("a\0b", 3));
  EXPECT_EQ(a.messages[1].data, "c");
  // RFC 6855 4: UTF8 (literal8).
  a = parse_as<command::Append>("a APPEND INBOX (\\Seen) UTF8 (~{3+}\r\nabc)\r\n");
  ASSERT_EQ(a.messages.size(), 1u);
  EXPECT_EQ(a.messages[0].data, "abc");
  parse_bad("a APPEND INBOX UTF8 ~{3}\r\nabc\r\n");
  parse_bad("a APPEND INBOX UTF8 (~{3}\r\nabc\r\n");
}

TEST(ImapParser, StoreCopyMoveExpunge) {
  auto s = parse_as<command::Store>("a STORE 1:3 +FLAGS.SILENT (\\Deleted)\r\n");
  EXPECT_EQ(s.mode, command::Store::Mode::add);
  EXPECT_TRUE(s.silent);
  EXPECT_EQ(s.flags, std::vector<std::string>{"\\Deleted"});
  s = parse_as<command::Store>("a STORE 2 -FLAGS \\Seen \\Flagged\r\n");
  EXPECT_EQ(s.mode, command::Store::Mode::remove);
  EXPECT_EQ(s.flags.size(), 2u);
  s = parse_as<command::Store>("a STORE 1 (UNCHANGEDSINCE 12345) FLAGS ()\r\n");
  EXPECT_EQ(s.unchanged_since, 12345u);
  EXPECT_TRUE(s.flags.empty());
  const Command uid = parse_ok("a uid copy 1:* Archive\r\n");
  EXPECT_TRUE(uid.uid);
  EXPECT_EQ(uid.name, "UID COPY");
  EXPECT_EQ(std::get<command::Copy>(uid.body).mailbox, "Archive");
  EXPECT_EQ(format_sequence_set(parse_as<command::Move>("a MOVE $ Trash\r\n").set), "$");
  auto e = parse_as<command::Expunge>("a UID EXPUNGE 3000:3002\r\n");
  ASSERT_TRUE(e.uids);
  EXPECT_EQ(format_sequence_set(*e.uids), "3000:3002");
}

TEST(ImapParser, MalformedCommandsGiveAReason) {
  struct Case {
    std::string text;
    std::string tag;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"\r\n", "", "missing or invalid tag"},
      {"+tag NOOP\r\n", "", "missing or invalid tag"},
      {"a\r\n", "a", "missing command"},
      {"a FROB\r\n", "a", "unknown command FROB"},
      {"a UID NOOP\r\n", "a", "unknown command UID NOOP"},
      {"a NOOP extra\r\n", "a", "NOOP: unexpected text after the command"},
      {"a LOGIN alice\r\n", "a", "LOGIN: expected a space"},
      {"a LOGIN \"alice\r\n", "a", "LOGIN: unterminated quoted string"},
      {"a LOGIN \"a\\b\" x\r\n", "a", "LOGIN: invalid escape in quoted string"},
      {"a LOGIN {10}\r\nabc\r\n", "a", "LOGIN: literal shorter than announced"},
      {"a SELECT INBOX (FOO)\r\n", "a", "SELECT: unknown SELECT parameter"},
      {"a STATUS INBOX (BOGUS)\r\n", "a", "STATUS: unknown STATUS item BOGUS"},
      {"a STATUS INBOX MESSAGES\r\n", "a", "STATUS: expected '('"},
      {"a FETCH 0 FLAGS\r\n", "a", "FETCH: invalid sequence set"},
      {"a FETCH 1:x FLAGS\r\n", "a", "FETCH: invalid sequence set"},
      {"a FETCH 1 (FLAGS BOGUS)\r\n", "a", "FETCH: unknown fetch item BOGUS"},
      {"a FETCH 1 BODY[1.MIMEX]\r\n", "a", "FETCH: invalid section"},
      {"a FETCH 1 BODY[MIME]\r\n", "a", "FETCH: invalid section"},
      {"a FETCH 1 BODY.PEEK\r\n", "a", "FETCH: BODY.PEEK needs a section"},
      {"a FETCH 1 BODY[]<5>\r\n", "a", "FETCH: expected '.' in <start.length>"},
      {"a FETCH 1 (FLAGS) (VANISHED)\r\n", "a", "FETCH: VANISHED needs UID FETCH and CHANGEDSINCE"},
      {"a STORE 1 FLAG (\\Seen)\r\n", "a", "STORE: expected FLAGS, +FLAGS or -FLAGS"},
      {"a APPEND INBOX\r\n", "a", "APPEND: APPEND needs a message literal"},
      {"a APPEND INBOX \"1-Foo-2024 00:00:00 +0000\" {1}\r\nx\r\n", "a",
       "APPEND: invalid date-time (expected \"dd-Mon-yyyy hh:mm:ss +zzzz\")"},
      {"a APPEND INBOX \"31-Feb-2024 00:00:00 +0000\" {1}\r\nx\r\n", "a",
       "APPEND: invalid date-time (expected \"dd-Mon-yyyy hh:mm:ss +zzzz\")"},
      {"a LOGIN {1}\r\n\0 x\r\n"s, "a", "LOGIN: NUL in a literal"},
      {"a LOGIN ~{1}\r\nx y\r\n", "a", "LOGIN: expected a space"},
      {"a SEARCH FROB\r\n", "a", "SEARCH: unknown search key FROB"},
      {"a SEARCH BEFORE 2024-07-01\r\n", "a", "SEARCH: invalid date (expected dd-Mon-yyyy)"},
      {"a SEARCH OR SEEN\r\n", "a", "SEARCH: expected a space"},
      {"a SEARCH (SEEN\r\n", "a", "SEARCH: expected ')'"},
      {"a SEARCH LARGER 99999999999999999999\r\n", "a", "SEARCH: number too large"},
      {"a SEARCH RETURN (FIRST) ALL\r\n", "a", "SEARCH: unknown SEARCH return option"},
      {"a LIST (RECURSIVEMATCH) \"\" *\r\n", "a", "LIST: RECURSIVEMATCH needs another selection option"},
      {"a LIST \"\" * RETURN (FOO)\r\n", "a", "LIST: unknown LIST return option"},
      {"a ENABLE\r\n", "a", "ENABLE: ENABLE needs a capability"},
      {"a ID (\"a\")\r\n", "a", "ID: expected a space"},
      {"a CREATE x (USE)\r\n", "a", "CREATE: expected a space"},
  };
  for (const Case& c : cases) {
    const ParseError error = parse_bad(c.text);
    EXPECT_EQ(error.tag, c.tag) << c.text;
    EXPECT_EQ(error.reason, c.reason) << c.text;
  }
}

TEST(ImapParser, OneOfEachCommandThroughTheReaderByteByByte) {
  const std::vector<std::string> commands = {
      "a1 CAPABILITY\r\n", "a2 STARTTLS\r\n", "a3 AUTHENTICATE PLAIN =\r\n", "a4 LOGIN {5}\r\nalice pw\r\n",
      "a5 ENABLE QRESYNC\r\n", "a6 ID NIL\r\n", "a7 SELECT INBOX (CONDSTORE)\r\n", "a8 EXAMINE Sent\r\n",
      "a9 CREATE x\r\n", "b1 DELETE x\r\n", "b2 RENAME x y\r\n", "b3 SUBSCRIBE y\r\n", "b4 UNSUBSCRIBE y\r\n",
      "b5 LIST \"\" %\r\n", "b6 LSUB \"\" *\r\n", "b7 NAMESPACE\r\n", "b8 STATUS y (UIDNEXT)\r\n",
      "b9 APPEND y {3+}\r\nabc\r\n", "c1 IDLE\r\n", "c2 CHECK\r\n", "c3 CLOSE\r\n", "c4 UNSELECT\r\n",
      "c5 EXPUNGE\r\n", "c6 UID EXPUNGE 1:3\r\n", "c7 SEARCH UNSEEN\r\n", "c8 UID SEARCH ALL\r\n",
      "c9 FETCH 1 FAST\r\n", "d1 UID FETCH 1:* FLAGS\r\n", "d2 STORE 1 FLAGS ()\r\n",
      "d3 UID STORE 1 +FLAGS \\Seen\r\n", "d4 COPY 1 y\r\n", "d5 UID COPY 1 y\r\n", "d6 MOVE 1 y\r\n",
      "d7 UID MOVE 1 y\r\n", "d8 NOOP\r\n", "d9 LOGOUT\r\n",
  };
  std::string script;
  for (const std::string& c : commands) script += c;
  const testing::ReaderLog log = testing::read_all(script, 1);
  ASSERT_EQ(log.commands, commands);
  for (const std::string& c : log.commands) parse_ok(c);
}

TEST(ImapParser, NestingIsBounded) {
  std::string deep = "a SEARCH ";
  for (int i = 0; i < 32; ++i) deep += "(";
  deep += "SEEN";
  for (int i = 0; i < 32; ++i) deep += ")";
  parse_ok(deep);
  std::string deeper = "a SEARCH ";
  for (int i = 0; i < 10000; ++i) deeper += "(";
  EXPECT_EQ(parse_bad(deeper).reason, "SEARCH: too deeply nested");
  std::string nots = "a SEARCH ";
  for (int i = 0; i < 5000; ++i) nots += "NOT (";
  EXPECT_EQ(parse_bad(nots).reason, "SEARCH: too deeply nested");
  std::string bare_nots = "a SEARCH ";
  for (int i = 0; i < 100000; ++i) bare_nots += "NOT ";
  EXPECT_EQ(parse_bad(bare_nots + "SEEN").reason, "SEARCH: too deeply nested");
  std::string ors = "a SEARCH ";
  for (int i = 0; i < 100000; ++i) ors += "OR SEEN ";
  EXPECT_EQ(parse_bad(ors + "SEEN").reason, "SEARCH: too deeply nested");
  std::string flags = "a STORE 1 FLAGS ";
  for (int i = 0; i < 40; ++i) flags += "(";
  EXPECT_EQ(parse_bad(flags).reason, "STORE: expected an atom");
}

}  // namespace
}  // namespace tern::imap
