// The SMTP session over an in-memory connection: the engine's greeting,
// STARTTLS and its injection rule, implicit TLS, the one login and its
// throttle, deadlines, the session limit and the graceful stop.
#include "harness.hpp"
#include "smtp/session.hpp"

namespace tern::session::testing {
namespace {

const SessionRunner smtp_runner = [](const SessionEnv& env, std::shared_ptr<net::Connection> c, std::uint64_t id) {
  return smtp::run_session(env, std::move(c), id);
};

class SmtpSession : public SessionTest {
 protected:
  Client& smtp(Protocol protocol = Protocol::smtp, std::string_view before = {}) {
    return connect(protocol, smtp_runner, before);
  }
  // A submission session, after STARTTLS and EHLO.
  Client& submission_over_tls() {
    Client& c = smtp(Protocol::submission);
    EXPECT_NE(c.expect("220 ").find("220 mail.example.test"), std::string::npos);
    EXPECT_NE(c.command("EHLO client.example", "250 ").find("STARTTLS"), std::string::npos);
    EXPECT_NE(c.command("STARTTLS", "220 ").find("220 2.0.0"), std::string::npos);
    EXPECT_NE(c.command("EHLO client.example", "250 ").find("AUTH PLAIN LOGIN"), std::string::npos);
    return c;
  }
};

TEST_F(SmtpSession, GreetsAndSaysGoodbye) {
  Client& c = smtp();
  EXPECT_NE(c.expect("\r\n").find("220 mail.example.test"), std::string::npos);
  const std::string ehlo = c.command("EHLO client.example", "250 ");
  EXPECT_NE(ehlo.find("250-mail.example.test"), std::string::npos) << ehlo;
  EXPECT_NE(ehlo.find("STARTTLS"), std::string::npos) << ehlo;
  EXPECT_NE(c.command("QUIT", "221").find("221 2.0.0"), std::string::npos);
  c.run_to_end();
  EXPECT_TRUE(c.finished());
  EXPECT_FALSE(c.failed());
}

TEST_F(SmtpSession, DeliversToALocalMailbox) {
  Client& c = smtp();
  c.expect("220 ");
  c.command("EHLO client.example", "250 ");
  EXPECT_NE(c.command("MAIL FROM:<carol@example.net>", "\r\n").find("250"), std::string::npos);
  EXPECT_NE(c.command("RCPT TO:<alice@example.test>", "\r\n").find("250"), std::string::npos);
  EXPECT_NE(c.command("RCPT TO:<nobody@example.test>", "\r\n").find("550"), std::string::npos);
  EXPECT_NE(c.command("RCPT TO:<someone@elsewhere.example>", "\r\n").find("554 5.7.1"), std::string::npos);
  EXPECT_NE(c.command("DATA", "354").find("354"), std::string::npos);
  const std::string done = c.command("Subject: hi\r\n\r\nhello\r\n.", "250 ");
  EXPECT_NE(done.find("250 2.0.0"), std::string::npos) << done;
  auto account = run_blocking(store_->find_account("alice@example.test"));
  ASSERT_TRUE(account && *account);
  auto inbox = run_blocking(store_->find_mailbox((*account)->id, "INBOX"));
  ASSERT_TRUE(inbox && *inbox);
  auto entries = run_blocking(store_->list_entries((*inbox)->id));
  ASSERT_TRUE(entries);
  EXPECT_EQ(entries->size(), 1u);
}

TEST_F(SmtpSession, ClientThatSpeaksBeforeTheGreetingIsRefused) {
  Client& c = smtp(Protocol::smtp, "EHLO eager.example\r\n");
  const std::string out = c.run_to_end();
  EXPECT_NE(out.find("554 5.7.0"), std::string::npos) << out;
  EXPECT_EQ(out.find("220 "), std::string::npos) << out;
  EXPECT_TRUE(c.finished());
}

TEST_F(SmtpSession, StartTlsUpgradesAndForgetsTheClearTextState) {
  Client& c = submission_over_tls();
  EXPECT_TRUE(c.connection().secure());
  EXPECT_EQ(c.connection().handshakes(), 1u);
  // TLS is active: STARTTLS is not offered again.
  EXPECT_NE(c.command("STARTTLS", "\r\n").find("503 5.5.1"), std::string::npos);
}

TEST_F(SmtpSession, CommandsPipelinedBehindStartTlsAreNeverRead) {
  Client& c = smtp();
  c.expect("220 ");
  c.command("EHLO client.example", "250 ");
  c.send("STARTTLS\r\nMAIL FROM:<injected@origin.example>\r\n");
  EXPECT_NE(c.expect("220 ").find("220 2.0.0"), std::string::npos);
  // Over TLS, the client must say EHLO again (RFC 3207 4.2): the injected
  // MAIL was dropped, so MAIL now is out of sequence.
  EXPECT_NE(c.command("MAIL FROM:<a@origin.example>", "\r\n").find("503 5.5.1"), std::string::npos);
}

TEST_F(SmtpSession, ClearTextWaitingBehindStartTlsEndsTheSession) {
  Client& c = smtp();
  c.expect("220 ");
  c.command("EHLO client.example", "250 ");
  // The STARTTLS line is fed to the core and answered; the rest comes in a
  // second segment before the handshake: the engine ends the session.
  c.send("STARTTLS\r\n");
  c.send("RSET\r\n");
  const std::string out = c.run_to_end();
  EXPECT_TRUE(c.finished());
  EXPECT_EQ(c.connection().handshakes(), 0u) << out;
}

TEST_F(SmtpSession, FailedHandshakeEndsTheSession) {
  Client& c = smtp();
  c.expect("220 ");
  c.command("EHLO client.example", "250 ");
  c.connection().fail_next_handshake();
  c.send("STARTTLS\r\n");
  c.run_to_end();
  EXPECT_TRUE(c.finished());
  EXPECT_FALSE(c.connection().secure());
}

TEST_F(SmtpSession, ImplicitTlsHandshakesBeforeTheGreeting) {
  Client& c = smtp(Protocol::submissions);
  EXPECT_NE(c.expect("220 ").find("220 mail.example.test"), std::string::npos);
  EXPECT_TRUE(c.connection().secure());
  EXPECT_NE(c.command("EHLO client.example", "250 ").find("AUTH PLAIN LOGIN"), std::string::npos);
}

TEST_F(SmtpSession, ImplicitTlsFailureSaysNothing) {
  auto env = std::make_unique<SessionEnv>(
      SessionEnv{config_, Protocol::submissions, *store_, *tls_, *authenticator_, throttle_, stopping_, nullptr});
  auto connection = std::make_shared<net::MemoryConnection>(io_.get_executor());
  connection->fail_next_handshake();
  clients_.push_back(std::make_unique<Client>(io_, std::move(env), connection));
  clients_.back()->start(smtp_runner, 99);
  EXPECT_EQ(clients_.back()->run_to_end(), "");
  EXPECT_TRUE(clients_.back()->finished());
}

TEST_F(SmtpSession, AuthNeedsTlsOnSubmission) {
  Client& c = smtp(Protocol::submission);
  c.expect("220 ");
  EXPECT_EQ(c.command("EHLO client.example", "250 ").find("AUTH "), std::string::npos);
  const std::string out = c.command("AUTH PLAIN " + plain_credentials("alice@example.test", "alice-password"), "\r\n");
  EXPECT_NE(out.find("530 5.7.0"), std::string::npos) << out;
}

TEST_F(SmtpSession, LoginSucceedsAndFails) {
  Client& c = submission_over_tls();
  EXPECT_NE(c.command("AUTH PLAIN " + plain_credentials("alice@example.test", "wrong"), "\r\n").find("535 5.7.8"),
            std::string::npos);
  EXPECT_NE(c.command("AUTH PLAIN " + plain_credentials("alice@example.test", "alice-password"), "\r\n")
                .find("235 2.7.0"),
            std::string::npos);
}

TEST_F(SmtpSession, ThrottledAddressIsRefusedEvenWithTheRightPassword) {
  Client& c = submission_over_tls();
  for (int i = 0; i < 10; ++i)
    EXPECT_NE(c.command("AUTH PLAIN " + plain_credentials("alice@example.test", "guess"), "\r\n").find("535"),
              std::string::npos);
  // The same address from another session: still blocked.
  Client& d = submission_over_tls();
  EXPECT_NE(d.command("AUTH PLAIN " + plain_credentials("alice@example.test", "alice-password"), "\r\n")
                .find("535"),
            std::string::npos);
}

TEST_F(SmtpSession, UnknownNamesCountAgainstTheAddressButNoAccount) {
  // What the login tells the throttle: a name that is no account is counted
  // for the address only, a wrong password for the address and the account.
  Client& c = submission_over_tls();
  EXPECT_NE(c.command("AUTH PLAIN " + plain_credentials("alice@example.test", "guess"), "\r\n").find("535"),
            std::string::npos);
  EXPECT_EQ(throttle_.user_entries(), 1u);
  for (int i = 0; i < 8; ++i)
    EXPECT_NE(c.command("AUTH PLAIN " + plain_credentials("nobody" + std::to_string(i) + "@example.test", "guess"),
                        "\r\n")
                  .find("535 5.7.8"),
              std::string::npos);
  EXPECT_EQ(throttle_.user_entries(), 1u);  // alice only
  Client& d = submission_over_tls();
  EXPECT_NE(d.command("AUTH PLAIN " + plain_credentials("nobody@example.test", "guess"), "\r\n").find("535"),
            std::string::npos);
  // Ten failures from this address: blocked, the right password included.
  EXPECT_NE(d.command("AUTH PLAIN " + plain_credentials("alice@example.test", "alice-password"), "\r\n")
                .find("535"),
            std::string::npos);
  EXPECT_EQ(throttle_.check("198.51.100.1", "nobody@example.test").status, auth::AdmissionStatus::admitted);
  throttle_.record_unavailable("198.51.100.1", "nobody@example.test");
}

TEST_F(SmtpSession, IdleClientTimesOut) {
  config_.limits.command_timeout = 1s;
  Client& c = smtp();
  c.expect("220 ");
  const std::string out = c.run_to_end(4000ms);
  EXPECT_NE(out.find("421 4.4.2"), std::string::npos) << out;
  EXPECT_TRUE(c.finished());
}

TEST_F(SmtpSession, SessionTimeLimitEndsTheSession) {
  config_.limits.session_timeout = 0s;
  Client& c = smtp();
  const std::string out = c.run_to_end();
  EXPECT_NE(out.find("220 "), std::string::npos) << out;
  EXPECT_NE(out.find("421 4.4.2"), std::string::npos) << out;
}

TEST_F(SmtpSession, OverlongLineIsRefusedAndTheSessionGoesOn) {
  Client& c = smtp();
  c.expect("220 ");
  EXPECT_NE(c.command("HELO " + std::string(5000, 'h'), "\r\n").find("500 5.5.2"), std::string::npos);
  EXPECT_NE(c.command("NOOP", "\r\n").find("250"), std::string::npos);
}

TEST_F(SmtpSession, StoppingServerSaysGoodbyeToIdleSessions) {
  Client& c = smtp();
  c.expect("220 ");
  c.run_for(50ms);
  ASSERT_TRUE(c.connection().idle());
  stop_server();
  const std::string out = c.run_to_end();
  EXPECT_NE(out.find("421 4.3.2"), std::string::npos) << out;
  EXPECT_TRUE(c.finished());
}

TEST_F(SmtpSession, StoppingServerLetsATransactionFinish) {
  Client& c = smtp();
  c.expect("220 ");
  c.command("EHLO client.example", "250 ");
  c.command("MAIL FROM:<carol@example.net>", "\r\n");
  c.command("RCPT TO:<alice@example.test>", "\r\n");
  c.command("DATA", "354");
  stop_server();
  c.run_for(100ms);
  EXPECT_FALSE(c.finished());
  const std::string out = c.command("Subject: late\r\n\r\nstill delivered\r\n.", "421");
  EXPECT_NE(out.find("250 2.0.0"), std::string::npos) << out;
  EXPECT_NE(out.find("421 4.3.2"), std::string::npos) << out;
}

TEST_F(SmtpSession, ClientThatGoesAwayEndsTheSession) {
  Client& c = smtp();
  c.expect("220 ");
  c.close_input();
  c.run_to_end();
  EXPECT_TRUE(c.finished());
  EXPECT_FALSE(c.failed());
}

// The messages in alice's INBOX, as stored.
std::vector<std::string> alice_messages(store::Store& store) {
  std::vector<std::string> out;
  auto account = run_blocking(store.find_account("alice@example.test"));
  if (!account || !*account) return out;
  auto inbox = run_blocking(store.find_mailbox((*account)->id, "INBOX"));
  if (!inbox || !*inbox) return out;
  auto entries = run_blocking(store.list_entries((*inbox)->id));
  if (!entries) return out;
  for (const auto& e : *entries) {
    auto text = run_blocking(store.read_message(e.message_id));
    if (text) out.push_back(*text);
  }
  return out;
}

TEST_F(SmtpSession, SubmissionRefusesAFromAddressTheAccountDoesNotOwn) {
  Client& c = submission_over_tls();
  c.command("AUTH PLAIN " + plain_credentials("alice@example.test", "alice-password"), "235 ");
  auto send = [&](const std::string& from) {
    c.command("MAIL FROM:<alice@example.test>", "250 ");
    c.command("RCPT TO:<alice@example.test>", "250 ");
    c.command("DATA", "354 ");
    return c.command("From: " + from + "\r\nSubject: s\r\n\r\nhi\r\n.", "\r\n");
  };
  const std::string refused = send("Bob <bob@example.test>");
  EXPECT_NE(refused.find("553 5.7.1 From: <bob@example.test> is not an address of alice@example.test"),
            std::string::npos)
      << refused;
  EXPECT_TRUE(alice_messages(*store_).empty());
  EXPECT_NE(send("Alice <ALICE@example.test>").find("250 2.0.0"), std::string::npos);
  EXPECT_EQ(alice_messages(*store_).size(), 1u);
}

TEST_F(SmtpSession, InboundMailGetsAuthenticationResultsAndLosesForgedOnes) {
  Client& c = smtp();
  c.expect("220 ");
  c.command("EHLO client.example", "250 ");
  c.command("MAIL FROM:<carol@example.net>", "250 ");
  c.command("RCPT TO:<alice@example.test>", "250 ");
  c.command("DATA", "354 ");
  const std::string done = c.command(
      "Authentication-Results: Mail.Example.Test; dkim=pass header.d=bank.example\r\n"
      "Authentication-Results: other.example; spf=pass\r\n"
      "DKIM-Signature: v=1; a=rsa-sha256; d=example.net; s=sel; h=from; bh=AAAA; b=AAAA\r\n"
      "From: carol@example.net\r\n\r\nhello\r\n.",
      "\r\n");
  EXPECT_NE(done.find("250 2.0.0"), std::string::npos) << done;
  auto stored = alice_messages(*store_);
  ASSERT_EQ(stored.size(), 1u);
  const std::string& m = stored[0];
  EXPECT_EQ(m.find("bank.example"), std::string::npos) << m;
  EXPECT_NE(m.find("Authentication-Results: other.example; spf=pass\r\n"), std::string::npos) << m;
  // No resolver in this environment: the key lookup is a temporary failure.
  EXPECT_NE(m.find("Authentication-Results: mail.example.test;\r\n\tdkim=temperror (key lookup failed for now) "
                   "header.d=example.net"),
            std::string::npos)
      << m;
  EXPECT_TRUE(m.ends_with("From: carol@example.net\r\n\r\nhello\r\n")) << m;
}

}  // namespace
}  // namespace tern::session::testing
