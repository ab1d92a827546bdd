// The IMAP session over an in-memory connection: greeting, STARTTLS and its
// injection rule, implicit TLS, LOGIN and AUTHENTICATE through the one login
// and its throttle, autologout, the time limit before login and the stop.
#include "harness.hpp"
#include "imap/session.hpp"
#include "smtp/session.hpp"

namespace tern::session::testing {
namespace {

const SessionRunner imap_runner = [](const SessionEnv& env, std::shared_ptr<net::Connection> c, std::uint64_t id) {
  return imap::run_session(env, std::move(c), id);
};

class ImapSession : public SessionTest {
 protected:
  Client& imap(Protocol protocol = Protocol::imap) { return connect(protocol, imap_runner); }
  // Over imaps, logged in as alice, INBOX selected when `select`.
  Client& logged_in(bool select) {
    Client& c = imap(Protocol::imaps);
    c.expect("\r\n");
    EXPECT_NE(c.command("a LOGIN alice@example.test alice-password", "a ").find("a OK"), std::string::npos);
    if (select) {
      EXPECT_NE(c.command("b SELECT INBOX", "b ").find("b OK"), std::string::npos);
    }
    return c;
  }
};

TEST_F(ImapSession, GreetsWithCapabilitiesAndLogsOut) {
  Client& c = imap();
  const std::string greeting = c.expect("\r\n");
  EXPECT_NE(greeting.find("* OK [CAPABILITY IMAP4rev1"), std::string::npos) << greeting;
  EXPECT_NE(greeting.find("STARTTLS"), std::string::npos) << greeting;
  EXPECT_NE(greeting.find("LOGINDISABLED"), std::string::npos) << greeting;
  const std::string out = c.command("a LOGOUT", "a OK");
  EXPECT_NE(out.find("* BYE"), std::string::npos) << out;
  c.run_to_end();
  EXPECT_TRUE(c.finished());
}

TEST_F(ImapSession, StartTlsThenLogin) {
  Client& c = imap();
  c.expect("\r\n");
  EXPECT_NE(c.command("a LOGIN alice@example.test alice-password", "a ").find("a NO [PRIVACYREQUIRED]"),
            std::string::npos);
  EXPECT_NE(c.command("b STARTTLS", "b ").find("b OK"), std::string::npos);
  c.run_for(50ms);
  EXPECT_TRUE(c.connection().secure());
  EXPECT_NE(c.command("c LOGIN alice@example.test alice-password", "c ").find("c OK [CAPABILITY"),
            std::string::npos);
  EXPECT_NE(c.command("d SELECT INBOX", "d ").find("d OK [READ-WRITE]"), std::string::npos);
}

TEST_F(ImapSession, CommandsPipelinedBehindStartTlsEndTheSession) {
  Client& c = imap();
  c.expect("\r\n");
  c.send("a STARTTLS\r\nb LOGIN alice@example.test alice-password\r\n");
  const std::string out = c.run_to_end();
  EXPECT_NE(out.find("* BYE data after STARTTLS"), std::string::npos) << out;
  EXPECT_EQ(out.find("b OK"), std::string::npos) << out;
  EXPECT_EQ(c.connection().handshakes(), 0u);
}

TEST_F(ImapSession, ClearTextArrivingAfterStartTlsEndsTheSession) {
  Client& c = imap();
  c.expect("\r\n");
  c.send("a STARTTLS\r\n");
  c.send("b LOGIN alice@example.test alice-password\r\n");
  const std::string out = c.run_to_end();
  EXPECT_EQ(out.find("b OK"), std::string::npos) << out;
  EXPECT_EQ(c.connection().handshakes(), 0u);
  EXPECT_TRUE(c.finished());
}

TEST_F(ImapSession, AuthenticatePlainOverImplicitTls) {
  Client& c = imap(Protocol::imaps);
  EXPECT_NE(c.expect("\r\n").find("AUTH=PLAIN"), std::string::npos);
  EXPECT_TRUE(c.connection().secure());
  const std::string out =
      c.command("a AUTHENTICATE PLAIN " + plain_credentials("alice@example.test", "alice-password"), "a ");
  EXPECT_NE(out.find("a OK"), std::string::npos) << out;
}

TEST_F(ImapSession, FailedLoginsAreThrottled) {
  Client& c = imap(Protocol::imaps);
  c.expect("\r\n");
  for (int i = 0; i < 10; ++i)
    EXPECT_NE(c.command("a LOGIN alice@example.test guess", "a ").find("a NO [AUTHENTICATIONFAILED]"),
              std::string::npos);
  EXPECT_NE(c.command("b LOGIN alice@example.test alice-password", "b ").find("b NO [AUTHENTICATIONFAILED]"),
            std::string::npos);
}

TEST_F(ImapSession, IdleClientIsLoggedOut) {
  config_.limits.command_timeout = 1s;
  Client& c = imap();
  c.expect("\r\n");
  const std::string out = c.run_to_end(4000ms);
  EXPECT_NE(out.find("* BYE autologout"), std::string::npos) << out;
  EXPECT_TRUE(c.finished());
}

TEST_F(ImapSession, TimeLimitAppliesOnlyBeforeLogin) {
  config_.limits.session_timeout = 0s;
  Client& c = imap();
  const std::string out = c.run_to_end();
  EXPECT_NE(out.find("* BYE session time limit reached"), std::string::npos) << out;
}

TEST_F(ImapSession, StoppingServerSaysGoodbye) {
  Client& c = logged_in(false);
  c.run_for(50ms);
  stop_server();
  const std::string out = c.run_to_end();
  EXPECT_NE(out.find("* BYE server shutting down"), std::string::npos) << out;
  EXPECT_TRUE(c.finished());
}

TEST_F(ImapSession, StoppingServerEndsIdle) {
  Client& c = logged_in(true);
  EXPECT_NE(c.command("c IDLE", "+ ").find("+ idling"), std::string::npos);
  c.run_for(50ms);
  stop_server();
  const std::string out = c.run_to_end();
  EXPECT_NE(out.find("* BYE server shutting down"), std::string::npos) << out;
}

TEST_F(ImapSession, IdleReportsADeliveryAndEndsOnDone) {
  Client& c = logged_in(true);
  EXPECT_NE(c.command("c IDLE", "+ ").find("+ idling"), std::string::npos);
  Client& mta = connect(Protocol::smtp, [](const SessionEnv& env, std::shared_ptr<net::Connection> conn,
                                           std::uint64_t id) { return smtp::run_session(env, std::move(conn), id); });
  mta.expect("220 ");
  mta.command("HELO client.example", "250");
  mta.command("MAIL FROM:<carol@example.net>", "250");
  mta.command("RCPT TO:<alice@example.test>", "250");
  mta.command("DATA", "354");
  EXPECT_NE(mta.command("Subject: hi\r\n\r\nhello\r\n.", "250 ").find("250 2.0.0"), std::string::npos);
  EXPECT_NE(c.expect("EXISTS").find("* 1 EXISTS"), std::string::npos);
  EXPECT_NE(c.command("DONE", "c ").find("c OK IDLE terminated"), std::string::npos);
  EXPECT_NE(c.command("d NOOP", "d ").find("d OK"), std::string::npos);
}

TEST_F(ImapSession, IdleWantsDone) {
  Client& c = logged_in(true);
  c.command("c IDLE", "+ ");
  EXPECT_NE(c.command("d NOOP", "c ").find("c BAD expected DONE"), std::string::npos);
  EXPECT_NE(c.command("e NOOP", "e ").find("e OK"), std::string::npos);
}

TEST_F(ImapSession, AppendLiteralBeforeLoginIsRefusedBeforeTheContinuation) {
  Client& c = imap(Protocol::imaps);
  c.expect("\r\n");
  const std::string out = c.command("a APPEND INBOX {10}", "a ");
  EXPECT_NE(out.find("a BAD APPEND is not valid in this state"), std::string::npos) << out;
  EXPECT_EQ(out.find("+ "), std::string::npos) << out;
}

}  // namespace
}  // namespace tern::session::testing
