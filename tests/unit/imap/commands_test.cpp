// IMAP commands over an in-memory session: a Context on a real SQLite store
// in a temporary directory, commands parsed, checked against the state and
// dispatched as the session does, responses read from Context::out. No
// sockets: what the network adds is covered by tests/interop/test_imap*.py.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <memory>

#include "auth/authenticator.hpp"
#include "auth/password.hpp"
#include "auth/throttle.hpp"
#include "core/run_blocking.hpp"
#include "imap/commands/commands.hpp"
#include "net/tls.hpp"
#include "store/store.hpp"
#include "support/temp_store.hpp"

namespace tern::imap {
namespace {

namespace fs = std::filesystem;

using tern::testing::cheap_cost;

class ImapCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(store_.open("tern-imap-cmd"));
    config_.hostname = "mail.example.test";
    config_.data_dir = store_.dir();
    auth::AuthenticatorOptions auth_options;
    auth_options.cost = cheap_cost;
    auto authenticator = auth::Authenticator::create(auth_options);
    ASSERT_TRUE(authenticator);
    authenticator_ = std::move(*authenticator);
    ASSERT_TRUE(run_blocking(store_->add_domain("example.test")));
    add_user("alice@example.test", "alice-password");
    add_user("bob@example.test", "bob-password");
  }

  void TearDown() override {
    store_.close();
  }

  void add_user(const std::string& address, const std::string& password) { store_.add_account(address, password); }

  std::unique_ptr<Context> session(bool secure = true) {
    SessionEnv env{config_, Protocol::imaps, *store_, tls_, *authenticator_, throttle_, stopping_};
    return std::make_unique<Context>(env, Peer{"192.0.2.7", false, secure}, ++sessions_);
  }

  static asio::awaitable<int> run_command(Context& ctx, Command command) {
    co_await dispatch(ctx, command);
    co_return 0;
  }

  // Runs one command line as the session would and returns what it wrote.
  std::string exec(Context& ctx, const std::string& line) {
    auto parsed = parse_command(line + "\r\n");
    if (auto* error = std::get_if<ParseError>(&parsed)) return "PARSE-ERROR " + error->reason;
    Command command = std::get<Command>(std::move(parsed));
    if (!allowed_in_state(command, ctx.state)) return "WRONG-STATE";
    run_blocking(run_command(ctx, std::move(command)));
    std::string out = std::move(ctx.out);
    ctx.out.clear();
    return out;
  }

  static asio::awaitable<int> run_sync(Context& ctx, bool allow_expunge) {
    co_await ctx.sync(allow_expunge);
    co_return 0;
  }
  std::string sync(Context& ctx, bool allow_expunge = true) {
    run_blocking(run_sync(ctx, allow_expunge));
    std::string out = std::move(ctx.out);
    ctx.out.clear();
    return out;
  }

  std::unique_ptr<Context> logged_in(const std::string& user, const std::string& password) {
    auto ctx = session();
    std::string out = exec(*ctx, "a LOGIN " + user + " " + password);
    EXPECT_NE(out.find("a OK [CAPABILITY"), std::string::npos) << out;
    return ctx;
  }

  void append(Context& ctx, const std::string& mailbox, const std::string& message, const std::string& flags = "") {
    std::string out = exec(ctx, "ap APPEND " + mailbox + (flags.empty() ? "" : " (" + flags + ")") + " {" +
                                    std::to_string(message.size()) + "+}\r\n" + message);
    EXPECT_NE(out.find("ap OK [APPENDUID"), std::string::npos) << out;
  }

  Config config_;
  tern::testing::TempStore store_;
  net::TlsContextHolder tls_{net::KeyPairPaths{}};
  std::unique_ptr<auth::Authenticator> authenticator_;
  auth::LoginThrottle throttle_;
  std::atomic<bool> stopping_{false};
  std::uint64_t sessions_ = 0;
};

const std::string message_one =
    "From: Carol <carol@example.net>\r\nTo: alice@example.test\r\nSubject: Quarterly report\r\n"
    "Date: Mon, 1 Jul 2024 10:00:00 +0000\r\nMessage-ID: <one@example.net>\r\n\r\nThe numbers are in.\r\n";
const std::string message_two =
    "From: Dave <dave@example.org>\r\nTo: alice@example.test\r\nSubject: Lunch?\r\n"
    "Date: Tue, 2 Jul 2024 12:00:00 +0000\r\n\r\nNoon at the usual place.\r\n";

TEST_F(ImapCommands, PasswordsOnlyOverTls) {
  auto ctx = session(false);
  std::string caps = exec(*ctx, "c CAPABILITY");
  EXPECT_NE(caps.find("LOGINDISABLED"), std::string::npos) << caps;
  EXPECT_EQ(caps.find("AUTH=PLAIN"), std::string::npos) << caps;
  EXPECT_NE(exec(*ctx, "a LOGIN alice@example.test alice-password").find("a NO [PRIVACYREQUIRED]"),
            std::string::npos);
  EXPECT_NE(exec(*ctx, "b AUTHENTICATE PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABhbGljZS1wYXNzd29yZA==")
                .find("b NO [PRIVACYREQUIRED]"),
            std::string::npos);
  EXPECT_EQ(ctx->state, SessionState::not_authenticated);
}

TEST_F(ImapCommands, LoginAndAuthenticate) {
  auto ctx = session();
  EXPECT_NE(exec(*ctx, "a LOGIN alice@example.test wrong").find("a NO [AUTHENTICATIONFAILED]"), std::string::npos);
  EXPECT_EQ(ctx->state, SessionState::not_authenticated);
  // SASL-IR: "\0alice@example.test\0alice-password".
  std::string out = exec(*ctx, "b AUTHENTICATE PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABhbGljZS1wYXNzd29yZA==");
  EXPECT_NE(out.find("b OK [CAPABILITY"), std::string::npos) << out;
  EXPECT_EQ(ctx->state, SessionState::authenticated);
  EXPECT_EQ(exec(*ctx, "c LOGIN alice@example.test alice-password"), "WRONG-STATE");
}

TEST_F(ImapCommands, StateIsChecked) {
  auto ctx = session();
  EXPECT_EQ(exec(*ctx, "a SELECT INBOX"), "WRONG-STATE");
  EXPECT_EQ(exec(*ctx, "a FETCH 1 FLAGS"), "WRONG-STATE");
  auto alice = logged_in("alice@example.test", "alice-password");
  EXPECT_EQ(exec(*alice, "b FETCH 1 FLAGS"), "WRONG-STATE");
  EXPECT_EQ(exec(*alice, "b EXPUNGE"), "WRONG-STATE");
  EXPECT_NE(exec(*alice, "c NOOP").find("c OK"), std::string::npos);
}

TEST_F(ImapCommands, SelectAppendFetchStoreSearchExpunge) {
  auto ctx = logged_in("alice@example.test", "alice-password");
  append(*ctx, "INBOX", message_one);
  append(*ctx, "INBOX", message_two, "\\Flagged $Work");
  std::string out = exec(*ctx, "s SELECT INBOX");
  EXPECT_NE(out.find("* 2 EXISTS\r\n* 2 RECENT\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("* OK [UIDVALIDITY "), std::string::npos);
  EXPECT_NE(out.find("* OK [UIDNEXT 3]"), std::string::npos);
  EXPECT_NE(out.find("$Work"), std::string::npos);
  EXPECT_NE(out.find("s OK [READ-WRITE]"), std::string::npos);

  out = exec(*ctx, "f FETCH 1:* (UID FLAGS RFC822.SIZE)");
  EXPECT_NE(out.find("* 1 FETCH (UID 1 FLAGS (\\Recent) RFC822.SIZE " + std::to_string(message_one.size()) + ")"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("* 2 FETCH (UID 2 FLAGS (\\Flagged \\Recent $Work)"), std::string::npos) << out;

  out = exec(*ctx, "g FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)] ENVELOPE)");
  EXPECT_NE(out.find("BODY[HEADER.FIELDS (SUBJECT)] {29}\r\nSubject: Quarterly report\r\n\r\n"), std::string::npos)
      << out;
  EXPECT_NE(out.find("\"Quarterly report\""), std::string::npos);
  EXPECT_EQ(out.find("\\Seen"), std::string::npos);  // PEEK sets nothing

  out = exec(*ctx, "h FETCH 2 BODY[TEXT]<0.4>");
  EXPECT_NE(out.find("BODY[TEXT]<0> {4}\r\nNoon"), std::string::npos) << out;
  EXPECT_NE(out.find("FLAGS (\\Seen \\Flagged \\Recent $Work)"), std::string::npos) << out;  // \Seen set and reported

  EXPECT_NE(exec(*ctx, "i SEARCH UNSEEN").find("* SEARCH 1\r\n"), std::string::npos);
  EXPECT_NE(exec(*ctx, "j UID SEARCH SUBJECT lunch").find("* SEARCH 2\r\n"), std::string::npos);
  EXPECT_NE(exec(*ctx, "k SEARCH RETURN (COUNT MIN) ALL").find("* ESEARCH (TAG \"k\") MIN 1 COUNT 2\r\n"),
            std::string::npos);

  out = exec(*ctx, "l STORE 1 +FLAGS (\\Deleted)");
  EXPECT_NE(out.find("* 1 FETCH (FLAGS (\\Deleted \\Recent))"), std::string::npos) << out;
  EXPECT_EQ(exec(*ctx, "m STORE 2 +FLAGS.SILENT (\\Answered)"), "m OK STORE completed\r\n");

  out = exec(*ctx, "n EXPUNGE");
  EXPECT_NE(out.find("* 1 EXPUNGE\r\nn OK"), std::string::npos) << out;
  out = exec(*ctx, "o FETCH 1 (UID FLAGS)");
  EXPECT_NE(out.find("* 1 FETCH (UID 2 FLAGS (\\Seen \\Answered \\Flagged \\Recent $Work))"), std::string::npos) << out;
  EXPECT_NE(exec(*ctx, "p FETCH 2 FLAGS").find("p BAD"), std::string::npos);  // beyond EXISTS
}

TEST_F(ImapCommands, ExamineIsReadOnly) {
  auto ctx = logged_in("alice@example.test", "alice-password");
  append(*ctx, "INBOX", message_one);
  EXPECT_NE(exec(*ctx, "a EXAMINE INBOX").find("a OK [READ-ONLY]"), std::string::npos);
  EXPECT_NE(exec(*ctx, "b STORE 1 +FLAGS (\\Seen)").find("b NO [READ-ONLY]"), std::string::npos);
  EXPECT_NE(exec(*ctx, "c EXPUNGE").find("c NO [READ-ONLY]"), std::string::npos);
  // BODY[] under EXAMINE does not set \Seen.
  EXPECT_EQ(exec(*ctx, "d FETCH 1 BODY[]").find("\\Seen"), std::string::npos);
}

TEST_F(ImapCommands, CopyMoveWithUids) {
  auto ctx = logged_in("alice@example.test", "alice-password");
  append(*ctx, "INBOX", message_one);
  append(*ctx, "INBOX", message_two);
  exec(*ctx, "s SELECT INBOX");
  EXPECT_NE(exec(*ctx, "a COPY 1:2 Archive").find("a OK [COPYUID "), std::string::npos);
  EXPECT_NE(exec(*ctx, "b COPY 1 Nowhere").find("b NO [TRYCREATE]"), std::string::npos);
  std::string out = exec(*ctx, "c UID MOVE 1 Trash");
  EXPECT_NE(out.find("* OK [COPYUID "), std::string::npos) << out;
  EXPECT_NE(out.find("* 1 EXPUNGE\r\n"), std::string::npos) << out;
  EXPECT_NE(exec(*ctx, "d STATUS Archive (MESSAGES)").find("* STATUS Archive (MESSAGES 2)"), std::string::npos);
  EXPECT_NE(exec(*ctx, "e STATUS INBOX (MESSAGES UIDNEXT)").find("(MESSAGES 1 UIDNEXT 3)"), std::string::npos);
}

TEST_F(ImapCommands, Folders) {
  auto ctx = logged_in("alice@example.test", "alice-password");
  EXPECT_NE(exec(*ctx, "a CREATE Projects/2024/").find("a OK"), std::string::npos);
  EXPECT_NE(exec(*ctx, "b CREATE Projects").find("b NO [ALREADYEXISTS]"), std::string::npos);
  EXPECT_NE(exec(*ctx, "c CREATE INBOX").find("c NO [ALREADYEXISTS]"), std::string::npos);
  EXPECT_NE(exec(*ctx, "d CREATE a//b").find("d NO [CANNOT]"), std::string::npos);
  EXPECT_NE(exec(*ctx, "e CREATE Entw&APw-rfe").find("e OK"), std::string::npos);
  std::string out = exec(*ctx, "f LIST \"\" \"*\"");
  EXPECT_NE(out.find("* LIST (\\HasChildren) \"/\" Projects\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("* LIST (\\HasNoChildren) \"/\" Projects/2024\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("Entw&APw-rfe"), std::string::npos) << out;
  EXPECT_EQ(out.find("* LIST (\\HasNoChildren) \"/\" INBOX\r\n"), 0u) << out;  // INBOX first
  EXPECT_EQ(exec(*ctx, "g LIST \"\" %").find("Projects/2024"), std::string::npos);
  EXPECT_NE(exec(*ctx, "h DELETE Projects").find("h NO [HASCHILDREN]"), std::string::npos);
  EXPECT_NE(exec(*ctx, "i RENAME Projects Work").find("i OK"), std::string::npos);
  out = exec(*ctx, "j LIST \"\" Work/*");
  EXPECT_NE(out.find("Work/2024"), std::string::npos) << out;
  EXPECT_NE(exec(*ctx, "k DELETE INBOX").find("k NO"), std::string::npos);
  EXPECT_NE(exec(*ctx, "l UNSUBSCRIBE Work").find("l OK"), std::string::npos);
  out = exec(*ctx, "m LSUB \"\" *");
  EXPECT_EQ(out.find("\"/\" Work\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("Work/2024"), std::string::npos) << out;
  out = exec(*ctx, "n LIST (SPECIAL-USE) \"\" * RETURN (STATUS (MESSAGES))");
  EXPECT_NE(out.find("\\Trash) \"/\" Trash\r\n* STATUS Trash (MESSAGES 0)\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("Work"), std::string::npos) << out;
  EXPECT_EQ(exec(*ctx, "o LIST \"\" \"\""), "* LIST (\\Noselect) \"/\" \"\"\r\no OK LIST completed\r\n");
}

TEST_F(ImapCommands, OtherSessionsChangesArrive) {
  auto a = logged_in("alice@example.test", "alice-password");
  auto b = logged_in("alice@example.test", "alice-password");
  append(*a, "INBOX", message_one);
  append(*a, "INBOX", message_two);
  exec(*a, "s SELECT INBOX");
  exec(*b, "s SELECT INBOX");
  exec(*a, "x STORE 2 +FLAGS (\\Flagged)");
  EXPECT_EQ(sync(*b), "* 2 FETCH (UID 2 FLAGS (\\Flagged))\r\n");
  append(*a, "INBOX", message_one);
  // A arrived first, so only the new message is \Recent to B (RFC 3501 2.3.2).
  EXPECT_EQ(sync(*b), "* 3 EXISTS\r\n* 1 RECENT\r\n");
  exec(*a, "y STORE 1 +FLAGS.SILENT (\\Deleted)");
  exec(*a, "z EXPUNGE");
  // While B is in a FETCH the expunge waits; sequence numbers stay.
  EXPECT_EQ(sync(*b, false), "");
  EXPECT_NE(exec(*b, "f FETCH 3 UID").find("* 3 FETCH (UID 3)"), std::string::npos);
  EXPECT_EQ(sync(*b, true), "* 1 EXPUNGE\r\n");
  EXPECT_NE(exec(*b, "g FETCH 2 UID").find("* 2 FETCH (UID 3)"), std::string::npos);
}

TEST_F(ImapCommands, UsersAreIsolated) {
  auto alice = logged_in("alice@example.test", "alice-password");
  auto bob = logged_in("bob@example.test", "bob-password");
  exec(*alice, "a CREATE Secret");
  append(*alice, "Secret", message_one);
  EXPECT_NE(exec(*bob, "b SELECT Secret").find("b NO [NONEXISTENT]"), std::string::npos);
  EXPECT_NE(exec(*bob, "c STATUS Secret (MESSAGES)").find("c NO [NONEXISTENT]"), std::string::npos);
  EXPECT_NE(exec(*bob, "d APPEND Secret {3+}\r\nx\r\n").find("d NO [TRYCREATE]"), std::string::npos);
  EXPECT_EQ(exec(*bob, "e LIST \"\" *").find("Secret"), std::string::npos);
  EXPECT_NE(exec(*bob, "f DELETE Secret").find("f NO [NONEXISTENT]"), std::string::npos);
  EXPECT_NE(exec(*bob, "g RENAME Secret Mine").find("g NO [NONEXISTENT]"), std::string::npos);
  exec(*bob, "h SELECT INBOX");
  append(*bob, "INBOX", message_two);
  EXPECT_EQ(sync(*bob), "* 1 EXISTS\r\n* 1 RECENT\r\n");
  EXPECT_NE(exec(*bob, "j COPY 1 Secret").find("j NO [TRYCREATE]"), std::string::npos);
  EXPECT_NE(exec(*alice, "k STATUS Secret (MESSAGES)").find("(MESSAGES 1)"), std::string::npos);
}

TEST_F(ImapCommands, EnableAndCondstore) {
  auto ctx = logged_in("alice@example.test", "alice-password");
  append(*ctx, "INBOX", message_one);
  EXPECT_EQ(exec(*ctx, "a ENABLE CONDSTORE UTF8=ACCEPT X-UNKNOWN"),
            "* ENABLED CONDSTORE UTF8=ACCEPT\r\na OK ENABLE completed\r\n");
  std::string out = exec(*ctx, "b SELECT INBOX");
  EXPECT_NE(out.find("* OK [HIGHESTMODSEQ "), std::string::npos) << out;
  out = exec(*ctx, "c FETCH 1 (FLAGS MODSEQ)");
  EXPECT_NE(out.find("MODSEQ ("), std::string::npos) << out;
  out = exec(*ctx, "d STORE 1 (UNCHANGEDSINCE 1) +FLAGS (\\Seen)");
  EXPECT_NE(out.find("d OK [MODIFIED 1]"), std::string::npos) << out;
}

TEST_F(ImapCommands, Qresync) {
  auto ctx = logged_in("alice@example.test", "alice-password");
  append(*ctx, "INBOX", message_one);
  append(*ctx, "INBOX", message_two);
  append(*ctx, "INBOX", message_one);
  EXPECT_NE(exec(*ctx, "a SELECT INBOX (QRESYNC (1 1))").find("a BAD"), std::string::npos);  // not enabled
  EXPECT_EQ(exec(*ctx, "b ENABLE QRESYNC"), "* ENABLED QRESYNC\r\nb OK ENABLE completed\r\n");
  std::string out = exec(*ctx, "c SELECT INBOX");
  const auto at = out.find("[UIDVALIDITY ") + 13;
  const std::string uidvalidity = out.substr(at, out.find(']', at) - at);
  const auto hm = out.find("[HIGHESTMODSEQ ") + 15;
  const std::string modseq = out.substr(hm, out.find(']', hm) - hm);
  exec(*ctx, "d STORE 2 +FLAGS (\\Seen)");
  exec(*ctx, "e STORE 1 +FLAGS.SILENT (\\Deleted)");
  EXPECT_EQ(exec(*ctx, "f EXPUNGE"), "* VANISHED 1\r\nf OK EXPUNGE completed\r\n");
  // A client that knew the mailbox at `modseq` learns both changes at SELECT.
  auto other = logged_in("alice@example.test", "alice-password");
  exec(*other, "g ENABLE QRESYNC");
  out = exec(*other, "h SELECT INBOX (QRESYNC (" + uidvalidity + " " + modseq + " 1:3))");
  EXPECT_NE(out.find("* VANISHED (EARLIER) 1\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("* 1 FETCH (UID 2 FLAGS (\\Seen) MODSEQ ("), std::string::npos) << out;
  EXPECT_EQ(out.find("UID 3 FLAGS"), std::string::npos) << out;
  // A wrong UIDVALIDITY: a plain SELECT.
  out = exec(*other, "i SELECT INBOX (QRESYNC (1 " + modseq + "))");
  EXPECT_EQ(out.find("VANISHED"), std::string::npos) << out;
  out = exec(*other, "j UID FETCH 1:* (FLAGS) (CHANGEDSINCE " + modseq + " VANISHED)");
  EXPECT_NE(out.find("* VANISHED (EARLIER) 1\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("UID 2"), std::string::npos) << out;
}

}  // namespace
}  // namespace tern::imap
