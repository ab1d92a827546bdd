// The POP3 session over an in-memory connection: greeting, STLS and its
// injection rule, implicit TLS, USER/PASS and AUTH through the one login and
// its throttle, the maildrop, deadlines and the graceful stop.
#include "harness.hpp"
#include "pop3/session.hpp"

namespace tern::session::testing {
namespace {

const SessionRunner pop3_runner = [](const SessionEnv& env, std::shared_ptr<net::Connection> c, std::uint64_t id) {
  return pop3::run_session(env, std::move(c), id);
};

class Pop3Session : public SessionTest {
 protected:
  Client& pop3(Protocol protocol = Protocol::pop3) { return connect(protocol, pop3_runner); }
  Client& logged_in() {
    Client& c = pop3(Protocol::pop3s);
    c.expect("\r\n");
    EXPECT_NE(c.command("USER alice@example.test", "\r\n").find("+OK"), std::string::npos);
    EXPECT_NE(c.command("PASS alice-password", "\r\n").find("+OK"), std::string::npos);
    return c;
  }
};

TEST_F(Pop3Session, GreetsListsCapabilitiesAndQuits) {
  Client& c = pop3();
  EXPECT_NE(c.expect("\r\n").find("+OK mail.example.test POP3 ready"), std::string::npos);
  const std::string capa = c.command("CAPA", "\r\n.\r\n");
  EXPECT_NE(capa.find("STLS"), std::string::npos) << capa;
  EXPECT_NE(c.command("QUIT", "\r\n").find("+OK"), std::string::npos);
  c.run_to_end();
  EXPECT_TRUE(c.finished());
}

TEST_F(Pop3Session, StlsUpgradesAndDropsPipelinedCommands) {
  Client& c = pop3();
  c.expect("\r\n");
  c.send("STLS\r\nUSER alice@example.test\r\n");
  EXPECT_NE(c.expect("\r\n").find("+OK Begin TLS"), std::string::npos);
  c.run_for(50ms);
  EXPECT_TRUE(c.connection().secure());
  // The USER sent in clear was dropped: PASS has no user to go with.
  EXPECT_NE(c.command("PASS alice-password", "\r\n").find("-ERR"), std::string::npos);
}

TEST_F(Pop3Session, ClearTextWaitingBehindStlsEndsTheSession) {
  Client& c = pop3();
  c.expect("\r\n");
  c.send("STLS\r\n");
  c.send("USER alice@example.test\r\n");
  c.run_to_end();
  EXPECT_TRUE(c.finished());
  EXPECT_EQ(c.connection().handshakes(), 0u);
}

TEST_F(Pop3Session, PasswordsNeedTls) {
  Client& c = pop3();
  c.expect("\r\n");
  EXPECT_NE(c.command("USER alice@example.test", "\r\n").find("-ERR"), std::string::npos);
}

TEST_F(Pop3Session, LoginOverImplicitTlsShowsTheMaildrop) {
  Client& c = logged_in();
  EXPECT_TRUE(c.connection().secure());
  EXPECT_NE(c.command("STAT", "\r\n").find("+OK 0 0"), std::string::npos);
  EXPECT_NE(c.command("QUIT", "\r\n").find("+OK"), std::string::npos);
}

TEST_F(Pop3Session, SaslPlainLogin) {
  Client& c = pop3(Protocol::pop3s);
  c.expect("\r\n");
  const std::string out =
      c.command("AUTH PLAIN " + plain_credentials("alice@example.test", "alice-password"), "\r\n");
  EXPECT_NE(out.find("+OK"), std::string::npos) << out;
}

TEST_F(Pop3Session, WrongPasswordAndThrottle) {
  // Five failures in each of two sessions (a session ends after ten errors):
  // the address is then blocked for every session.
  for (int session = 0; session < 2; ++session) {
    Client& c = pop3(Protocol::pop3s);
    c.expect("\r\n");
    for (int i = 0; i < 5; ++i) {
      c.command("USER alice@example.test", "\r\n");
      EXPECT_NE(c.command("PASS guess", "\r\n").find("-ERR [AUTH]"), std::string::npos);
    }
  }
  Client& c = pop3(Protocol::pop3s);
  c.expect("\r\n");
  c.command("USER alice@example.test", "\r\n");
  EXPECT_NE(c.command("PASS alice-password", "\r\n").find("-ERR [AUTH]"), std::string::npos);
}

TEST_F(Pop3Session, SecondSessionFindsTheMaildropLocked) {
  Client& first = logged_in();
  (void)first;
  Client& c = pop3(Protocol::pop3s);
  c.expect("\r\n");
  c.command("USER alice@example.test", "\r\n");
  EXPECT_NE(c.command("PASS alice-password", "\r\n").find("-ERR [IN-USE]"), std::string::npos);
}

TEST_F(Pop3Session, IdleClientIsLoggedOutSilently) {
  config_.limits.command_timeout = 1s;
  Client& c = pop3();
  c.expect("\r\n");
  EXPECT_EQ(c.run_to_end(4000ms), "");
  EXPECT_TRUE(c.finished());
}

TEST_F(Pop3Session, StoppingServerSaysGoodbye) {
  Client& c = logged_in();
  c.run_for(50ms);
  stop_server();
  const std::string out = c.run_to_end();
  EXPECT_NE(out.find("-ERR [SYS/TEMP] Server shutting down"), std::string::npos) << out;
  EXPECT_TRUE(c.finished());
}

}  // namespace
}  // namespace tern::session::testing
