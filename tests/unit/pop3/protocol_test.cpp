// POP3 ServerProtocol: every command in every state, replies and error paths.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace tern::pop3 {
namespace {

using testing::default_config;
using testing::Harness;
using testing::plain_response;
using namespace std::literals;

bool starts_with(const std::string& text, std::string_view prefix) { return text.rfind(prefix, 0) == 0; }

TEST(Pop3Protocol, Greets) {
  Harness h;
  EXPECT_EQ(h.take(), "+OK mail.example.test POP3 ready\r\n");
  EXPECT_EQ(h.protocol.state(), ServerProtocol::State::authorization);
}

TEST(Pop3Protocol, CapaBeforeTlsOnPort110HidesLogin) {
  Harness h(default_config(Mode::pop3, false));
  h.take();
  h.feed("CAPA\r\n");
  EXPECT_EQ(h.take(),
            "+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n"
            "STLS\r\nIMPLEMENTATION tern\r\n.\r\n");
}

TEST(Pop3Protocol, CapaAfterStlsOffersLoginNotStls) {
  Harness h(default_config(Mode::pop3, false));
  h.feed("STLS\r\n");
  EXPECT_EQ(h.tls_starts, 1);
  h.take();
  h.feed("CAPA\r\n");
  EXPECT_EQ(h.take(),
            "+OK Capability list follows\r\nTOP\r\nUIDL\r\nUSER\r\nSASL PLAIN\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n"
            "PIPELINING\r\nIMPLEMENTATION tern\r\n.\r\n");
}

TEST(Pop3Protocol, CapaOnPop3sAndAfterLogin) {
  Harness h(default_config(Mode::pop3s, false));
  h.take();
  h.feed("capa\r\n");
  const std::string before = h.take();
  EXPECT_NE(before.find("USER\r\nSASL PLAIN\r\n"), std::string::npos);
  EXPECT_EQ(before.find("STLS"), std::string::npos);
  h.login();
  h.feed("CAPA\r\n");
  const std::string after = h.take();
  EXPECT_EQ(after.find("USER"), std::string::npos);
  EXPECT_NE(after.find("UIDL\r\n"), std::string::npos);
  EXPECT_TRUE(after.ends_with("\r\n.\r\n"));
  h.feed("CAPA extra\r\n");
  EXPECT_TRUE(starts_with(h.take(), "-ERR"));
}

TEST(Pop3Protocol, UserPassLogsIn) {
  Harness h;
  h.take();
  h.feed("USER alice@example.test\r\n");
  EXPECT_EQ(h.take(), "+OK Send PASS\r\n");
  h.feed("PASS secret\r\n");
  EXPECT_EQ(h.take(), "+OK Logged in, maildrop has 3 messages (89 octets)\r\n");
  ASSERT_EQ(h.auths.size(), 1u);
  EXPECT_EQ(h.auths[0].mechanism, "USER");
  EXPECT_EQ(h.protocol.state(), ServerProtocol::State::transaction);
}

TEST(Pop3Protocol, PasswordKeepsSpaces) {
  Harness h;
  h.feed("USER bob@example.test\r\nPASS  two words \r\n");
  ASSERT_EQ(h.auths.size(), 1u);
  EXPECT_EQ(h.auths[0].password, " two words ");
}

TEST(Pop3Protocol, LoginRefusedWithoutTlsOnPort110) {
  Harness h(default_config(Mode::pop3, false));
  h.take();
  for (const char* command : {"USER alice@example.test\r\n", "PASS secret\r\n", "AUTH PLAIN\r\n"}) {
    h.feed(command);
    EXPECT_TRUE(starts_with(h.take(), "-ERR [AUTH] Plaintext authentication disallowed")) << command;
  }
  EXPECT_TRUE(h.auths.empty());
}

TEST(Pop3Protocol, StlsThenLogin) {
  Harness h(default_config(Mode::pop3, false));
  h.take();
  h.feed("STLS\r\n");
  EXPECT_EQ(h.take(), "+OK Begin TLS negotiation\r\n");
  EXPECT_TRUE(h.protocol.tls_active());
  h.login();
  EXPECT_EQ(h.protocol.state(), ServerProtocol::State::transaction);
}

TEST(Pop3Protocol, BytesPipelinedBehindStlsAreDiscarded) {
  Harness h(default_config(Mode::pop3, false));
  h.complete_tls_later = true;
  h.take();
  h.feed("STLS\r\nUSER alice@example.test\r\nPASS secret\r\n");
  EXPECT_EQ(h.take(), "+OK Begin TLS negotiation\r\n");
  h.feed("NOOP\r\n");  // still in clear, before the handshake
  h.protocol.tls_established(TlsInfo{"TLSv1.3", "x"});
  h.drain();
  EXPECT_EQ(h.take(), "");
  EXPECT_TRUE(h.auths.empty());
  h.feed("CAPA\r\n");
  EXPECT_TRUE(starts_with(h.take(), "+OK Capability"));
}

TEST(Pop3Protocol, StlsRefusals) {
  Harness tls(default_config(Mode::pop3s));
  tls.take();
  tls.feed("STLS\r\n");
  EXPECT_EQ(tls.take(), "-ERR TLS is already active\r\n");
  auto config = default_config(Mode::pop3, false);
  config.tls_available = false;
  Harness none(config);
  none.take();
  none.feed("STLS\r\n");
  EXPECT_EQ(none.take(), "-ERR [SYS/TEMP] TLS not available\r\n");
  none.feed("STLS now\r\n");
  EXPECT_EQ(none.take(), "-ERR Syntax: STLS\r\n");
  Harness after;
  after.login();
  after.feed("STLS\r\n");
  EXPECT_EQ(after.take(), "-ERR Not valid after login\r\n");
}

TEST(Pop3Protocol, WrongPasswordIsAuthError) {
  Harness h;
  h.take();
  h.feed("USER alice@example.test\r\nPASS wrong\r\n");
  EXPECT_EQ(h.take(), "+OK Send PASS\r\n-ERR [AUTH] Authentication failed\r\n");
  // RFC 1939 7: USER must come again.
  h.feed("PASS secret\r\n");
  EXPECT_EQ(h.take(), "-ERR Send USER first\r\n");
  EXPECT_EQ(h.protocol.state(), ServerProtocol::State::authorization);
}

TEST(Pop3Protocol, InUseAndUnavailable) {
  Harness h;
  h.take();
  h.feed("USER busy@example.test\r\nPASS x\r\n");
  EXPECT_EQ(h.take(), "+OK Send PASS\r\n-ERR [IN-USE] Maildrop is locked by another session\r\n");
  h.feed("USER down@example.test\r\nPASS x\r\n");
  EXPECT_EQ(h.take(), "+OK Send PASS\r\n-ERR [SYS/TEMP] Temporary failure, try again later\r\n");
  EXPECT_EQ(h.protocol.state(), ServerProtocol::State::authorization);
}

TEST(Pop3Protocol, UserAndPassSyntax) {
  Harness h;
  h.take();
  h.feed("USER\r\nPASS\r\nUSER a@b\r\nPASS\r\n");
  EXPECT_EQ(h.take(), "-ERR Syntax: USER name\r\n-ERR Send USER first\r\n+OK Send PASS\r\n-ERR Syntax: PASS password\r\n");
}

TEST(Pop3Protocol, AuthPlainWithInitialResponse) {
  Harness h;
  h.take();
  h.feed("AUTH PLAIN " + plain_response("alice@example.test", "secret") + "\r\n");
  EXPECT_EQ(h.take(), "+OK Logged in, maildrop has 3 messages (89 octets)\r\n");
  ASSERT_EQ(h.auths.size(), 1u);
  EXPECT_EQ(h.auths[0].mechanism, "PLAIN");
  EXPECT_EQ(h.auths[0].username, "alice@example.test");
}

TEST(Pop3Protocol, AuthPlainWithContinuation) {
  Harness h;
  h.take();
  h.feed("auth plain\r\n");
  EXPECT_EQ(h.take(), "+ \r\n");
  h.feed(plain_response("alice@example.test", "wrong") + "\r\n");
  EXPECT_EQ(h.take(), "-ERR [AUTH] Authentication failed\r\n");
  h.feed("AUTH PLAIN\r\n*\r\n");
  EXPECT_EQ(h.take(), "+ \r\n-ERR Authentication cancelled\r\n");
  h.feed("AUTH PLAIN\r\n!!!\r\n");
  EXPECT_EQ(h.take(), "+ \r\n-ERR Malformed SASL response\r\n");
  h.feed("AUTH PLAIN " + base64::encode("bob\0alice@example.test\0secret"sv) + "\r\n");
  EXPECT_EQ(h.take(), "-ERR [AUTH] Authorization identity not permitted\r\n");
  h.feed("AUTH PLAIN =\r\n");
  EXPECT_EQ(h.take(), "-ERR Malformed SASL response\r\n");
}

TEST(Pop3Protocol, AuthMechanismListAndUnsupported) {
  Harness h;
  h.take();
  h.feed("AUTH\r\n");
  EXPECT_EQ(h.take(), "+OK Supported mechanisms follow\r\nPLAIN\r\n.\r\n");
  h.feed("AUTH LOGIN\r\nAUTH CRAM-MD5\r\nAUTH PLAIN a b\r\n");
  EXPECT_EQ(h.take(),
            "-ERR Unsupported authentication mechanism\r\n-ERR Unsupported authentication mechanism\r\n"
            "-ERR Syntax: AUTH mechanism [initial-response]\r\n");
}

TEST(Pop3Protocol, TransactionCommandsRefusedBeforeLogin) {
  for (const char* command : {"STAT", "LIST", "LIST 1", "RETR 1", "DELE 1", "NOOP", "RSET", "TOP 1 0", "UIDL", "UIDL 1"}) {
    Harness h;
    h.take();
    h.feed(std::string(command) + "\r\n");
    EXPECT_EQ(h.take(), "-ERR Not valid before login\r\n") << command;
  }
}

TEST(Pop3Protocol, AuthorizationCommandsRefusedAfterLogin) {
  for (const char* command : {"USER a@b", "PASS x", "AUTH PLAIN", "AUTH", "STLS"}) {
    Harness h;
    h.login();
    h.feed(std::string(command) + "\r\n");
    EXPECT_EQ(h.take(), "-ERR Not valid after login\r\n") << command;
    EXPECT_EQ(h.protocol.state(), ServerProtocol::State::transaction);
  }
}

TEST(Pop3Protocol, StatListUidl) {
  Harness h;
  h.login();
  h.feed("STAT\r\n");
  EXPECT_EQ(h.take(), "+OK 3 89\r\n");
  h.feed("LIST\r\n");
  EXPECT_EQ(h.take(), "+OK maildrop has 3 messages (89 octets)\r\n1 30\r\n2 42\r\n3 17\r\n.\r\n");
  h.feed("LIST 2\r\n");
  EXPECT_EQ(h.take(), "+OK 2 42\r\n");
  h.feed("UIDL\r\n");
  EXPECT_EQ(h.take(),
            "+OK Unique-ID listing follows\r\n1 0000000400001234\r\n2 0000000700001234\r\n3 0000000900001234\r\n.\r\n");
  h.feed("UIDL 3\r\n");
  EXPECT_EQ(h.take(), "+OK 3 0000000900001234\r\n");
  h.feed("STAT 1\r\n");
  EXPECT_EQ(h.take(), "-ERR Syntax: STAT\r\n");
}

TEST(Pop3Protocol, MessageNumberErrors) {
  Harness h;
  h.login();
  h.feed("LIST 0\r\nLIST 4\r\nLIST x\r\nRETR\r\nRETR -1\r\nUIDL 99999999999999999999999\r\nDELE 1 2\r\n");
  EXPECT_EQ(h.take(),
            "-ERR No such message\r\n-ERR No such message\r\n-ERR Syntax: message number expected\r\n"
            "-ERR Syntax: message number expected\r\n-ERR Syntax: message number expected\r\n"
            "-ERR No such message\r\n-ERR Syntax: message number expected\r\n");
}

TEST(Pop3Protocol, RetrSendsDotStuffedMessage) {
  Harness h;
  h.login();
  h.feed("RETR 2\r\n");
  EXPECT_EQ(h.take(),
            "+OK 54 octets\r\nSubject: two\r\nFrom: a@b\r\n\r\nline 1\r\n..dot line\r\nline 3\r\n.\r\n");
  EXPECT_EQ(h.loads, std::vector<std::uint32_t>{7});
}

TEST(Pop3Protocol, RetrOfBareLfMessageSendsCrlf) {
  Harness h;
  h.messages[104] = "Subject: lf\n\n.first\nlast without newline";
  h.login();
  h.feed("RETR 1\r\n");
  EXPECT_EQ(h.take(), "+OK 43 octets\r\nSubject: lf\r\n\r\n..first\r\nlast without newline\r\n.\r\n");
}

TEST(Pop3Protocol, RetrOfRemovedMessage) {
  Harness h;
  h.messages.erase(109);
  h.login();
  h.feed("RETR 3\r\nNOOP\r\n");
  EXPECT_EQ(h.take(), "-ERR Message was removed by another session\r\n+OK\r\n");
}

TEST(Pop3Protocol, Top) {
  Harness h;
  h.login();
  h.feed("TOP 2 0\r\n");
  EXPECT_EQ(h.take(), "+OK Top of message follows\r\nSubject: two\r\nFrom: a@b\r\n\r\n.\r\n");
  h.feed("TOP 2 2\r\n");
  EXPECT_EQ(h.take(), "+OK Top of message follows\r\nSubject: two\r\nFrom: a@b\r\n\r\nline 1\r\n..dot line\r\n.\r\n");
  h.feed("TOP 2 100\r\n");
  EXPECT_TRUE(h.take().ends_with("line 3\r\n.\r\n"));
  h.feed("TOP 2\r\nTOP\r\nTOP 2 x\r\nTOP 9 1\r\n");
  EXPECT_EQ(h.take(),
            "-ERR Syntax: TOP message lines\r\n-ERR Syntax: TOP message lines\r\n-ERR Syntax: TOP message lines\r\n"
            "-ERR No such message\r\n");
}

TEST(Pop3Protocol, DeleMarksAndRsetUnmarks) {
  Harness h;
  h.login();
  h.feed("DELE 2\r\n");
  EXPECT_EQ(h.take(), "+OK Message 2 deleted\r\n");
  h.feed("STAT\r\nLIST\r\nUIDL\r\nLIST 2\r\nRETR 2\r\nTOP 2 0\r\nDELE 2\r\nUIDL 2\r\n");
  EXPECT_EQ(h.take(),
            "+OK 2 47\r\n+OK maildrop has 2 messages (47 octets)\r\n1 30\r\n3 17\r\n.\r\n"
            "+OK Unique-ID listing follows\r\n1 0000000400001234\r\n3 0000000900001234\r\n.\r\n"
            "-ERR Message 2 already deleted\r\n-ERR Message 2 already deleted\r\n-ERR Message 2 already deleted\r\n"
            "-ERR Message 2 already deleted\r\n-ERR Message 2 already deleted\r\n");
  h.feed("RSET\r\n");
  EXPECT_EQ(h.take(), "+OK maildrop has 3 messages (89 octets)\r\n");
  h.feed("STAT\r\nRSET x\r\n");
  EXPECT_EQ(h.take(), "+OK 3 89\r\n-ERR Syntax: RSET\r\n");
}

TEST(Pop3Protocol, NoopAnswersOk) {
  Harness h;
  h.login();
  h.feed("NOOP\r\nnoop\r\nNOOP x\r\n");
  EXPECT_EQ(h.take(), "+OK\r\n+OK\r\n-ERR Syntax: NOOP\r\n");
}

TEST(Pop3Protocol, QuitBeforeLogin) {
  Harness h;
  h.take();
  h.feed("QUIT\r\nNOOP\r\n");
  EXPECT_EQ(h.take(), "+OK mail.example.test POP3 signing off\r\n");
  EXPECT_EQ(h.closes, 1);
  EXPECT_TRUE(h.protocol.closed());
}

TEST(Pop3Protocol, QuitWithoutDeletionsExpungesNothing) {
  Harness h;
  h.login();
  h.feed("DELE 1\r\nRSET\r\nQUIT\r\n");
  EXPECT_TRUE(h.take().ends_with("+OK mail.example.test POP3 signing off\r\n"));
  EXPECT_TRUE(h.expunged.empty());
  EXPECT_EQ(h.closes, 1);
}

TEST(Pop3Protocol, QuitExpungesMarkedMessagesBeforeOk) {
  Harness h;
  h.login();
  h.feed("DELE 1\r\nDELE 3\r\n");
  h.take();
  h.feed("QUIT\r\n");
  ASSERT_EQ(h.expunged.size(), 1u);
  EXPECT_EQ(h.expunged[0], (std::vector<std::uint32_t>{4, 9}));
  EXPECT_EQ(h.take(), "+OK mail.example.test POP3 signing off (2 messages deleted)\r\n");
  EXPECT_EQ(h.closes, 1);
}

TEST(Pop3Protocol, QuitWaitsForTheStore) {
  Harness h(default_config(Mode::pop3, true));
  h.login();
  h.feed("DELE 1\r\n");
  h.take();
  h.protocol.feed("QUIT\r\n");
  auto action = h.protocol.next();
  ASSERT_TRUE(action && std::holds_alternative<action::Expunge>(*action));
  EXPECT_FALSE(h.protocol.next());  // no "+OK" before the expunge completes
  EXPECT_FALSE(h.protocol.idle());
  h.protocol.update_done(make_error(Errc::io, "disk"));
  h.drain();
  EXPECT_EQ(h.take(), "-ERR [SYS/TEMP] Some deleted messages not removed\r\n");
  EXPECT_EQ(h.closes, 1);
}

TEST(Pop3Protocol, UnknownEmptyAndNulCommands) {
  Harness h;
  h.take();
  h.feed("APOP alice 0123456789abcdef\r\n\r\nXTND\r\nNO\0OP\r\n"sv);
  EXPECT_EQ(h.take(),
            "-ERR Unknown command\r\n-ERR Empty command\r\n-ERR Unknown command\r\n"
            "-ERR NUL characters are not allowed\r\n");
  EXPECT_FALSE(h.protocol.closed());
}

TEST(Pop3Protocol, OverlongLineIsRefusedAndSkipped) {
  Harness h;
  h.take();
  // 255 octets plus CRLF is the limit (RFC 2449 4).
  h.feed("USER " + std::string(250, 'a') + "\r\n");
  EXPECT_EQ(h.take(), "+OK Send PASS\r\n");
  h.feed("USER " + std::string(251, 'a') + "\r\n");
  EXPECT_EQ(h.take(), "-ERR Line too long\r\n");
  // Longer than any buffer: refused once, the rest up to LF is never read as commands.
  h.feed("NOOP " + std::string(1000, 'x'));
  EXPECT_EQ(h.take(), "-ERR Line too long\r\n");
  h.feed(std::string(1000, 'x') + "\r\nQUIT\r\n");
  EXPECT_EQ(h.take(), "+OK mail.example.test POP3 signing off\r\n");
}

TEST(Pop3Protocol, LongAuthLinesAreAllowed) {
  Harness h;
  h.take();
  h.feed("AUTH PLAIN " + plain_response("alice@example.test", std::string(300, 'p')) + "\r\n");
  EXPECT_EQ(h.take(), "-ERR [AUTH] Authentication failed\r\n");
  ASSERT_EQ(h.auths.size(), 1u);
}

TEST(Pop3Protocol, TooManyBadCommandsClose) {
  Harness h;
  h.take();
  for (int i = 0; i < 9; ++i) h.feed("BOGUS\r\n");
  EXPECT_FALSE(h.protocol.closed());
  h.feed("BOGUS\r\nNOOP\r\n");
  const std::string out = h.take();
  EXPECT_TRUE(out.ends_with("-ERR Unknown command\r\n-ERR Too many bad commands, closing connection\r\n"));
  EXPECT_EQ(h.closes, 1);
  EXPECT_TRUE(h.protocol.closed());
}

TEST(Pop3Protocol, FailedLoginsCountAsErrors) {
  Harness h;
  h.take();
  for (int i = 0; i < 10; ++i) h.feed("USER alice@example.test\r\nPASS wrong\r\n");
  EXPECT_TRUE(h.take().ends_with("-ERR Too many bad commands, closing connection\r\n"));
  EXPECT_EQ(h.closes, 1);
}

TEST(Pop3Protocol, TimeoutClosesSilentlyAndDeletesNothing) {
  Harness h;
  h.login();
  h.feed("DELE 1\r\n");
  h.take();
  h.protocol.timed_out();
  h.drain();
  EXPECT_EQ(h.take(), "");
  EXPECT_EQ(h.closes, 1);
  EXPECT_TRUE(h.expunged.empty());
}

TEST(Pop3Protocol, ShutdownSaysSysTemp) {
  Harness h;
  h.login();
  h.feed("DELE 1\r\n");
  h.take();
  h.protocol.shutting_down();
  h.drain();
  EXPECT_EQ(h.take(), "-ERR [SYS/TEMP] Server shutting down\r\n");
  EXPECT_TRUE(h.expunged.empty());
  EXPECT_EQ(h.closes, 1);
}

TEST(Pop3Protocol, EvictionSaysSysTempAndDeletesNothing) {
  Harness h;
  h.feed("USER alice@example.test\r\n");
  h.take();
  h.protocol.evicted();
  h.drain();
  EXPECT_EQ(h.take(), "-ERR [SYS/TEMP] Too many connections, idle ones are closed; try again later\r\n");
  EXPECT_TRUE(h.expunged.empty());
  EXPECT_EQ(h.closes, 1);
}

TEST(Pop3Protocol, IdleOnlyBetweenCommands) {
  Harness h;
  h.login();
  EXPECT_TRUE(h.protocol.idle());
  h.protocol.feed("NOO");
  EXPECT_FALSE(h.protocol.idle());
  h.feed("P\r\n");
  EXPECT_TRUE(h.protocol.idle());
}

TEST(Pop3Protocol, PipelinedCommandsAnswerInOrder) {
  Harness h;
  h.take();
  h.feed("CAPA\r\nUSER alice@example.test\r\nPASS secret\r\nSTAT\r\nRETR 1\r\nLIST 1\r\nTOP 3 0\r\nDELE 3\r\nQUIT\r\n");
  const std::string out = h.take();
  const std::string expected_tail =
      "+OK Logged in, maildrop has 3 messages (89 octets)\r\n+OK 3 89\r\n+OK 26 octets\r\nSubject: one\r\n\r\n"
      "body one\r\n.\r\n+OK 1 30\r\n+OK Top of message follows\r\nSubject: three\r\n\r\n.\r\n"
      "+OK Message 3 deleted\r\n+OK mail.example.test POP3 signing off (1 messages deleted)\r\n";
  EXPECT_TRUE(out.ends_with(expected_tail)) << out;
  EXPECT_EQ(h.expunged, (std::vector<std::vector<std::uint32_t>>{{9}}));
}

TEST(Pop3Protocol, UniqueIdFormat) {
  EXPECT_EQ(unique_id(1, 2), "0000000200000001");
  EXPECT_EQ(unique_id(0xFFFFFFFF, 0xABCDEF12), "ABCDEF12FFFFFFFF");
}

}  // namespace
}  // namespace tern::pop3
