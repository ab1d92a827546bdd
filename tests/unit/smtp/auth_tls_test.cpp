// STARTTLS (RFC 3207) and AUTH (RFC 4954) across the three modes: what is
// offered where, the gates before TLS and before AUTH, the SASL exchanges,
// and the discarding of commands pipelined behind STARTTLS.
#include <gtest/gtest.h>

#include "core/base64.hpp"
#include "harness.hpp"

namespace tern::smtp {
namespace {

using testing::Harness;
using testing::default_config;

const std::string plain_ok = base64::encode(std::string("\0alice@example.test\0secret", 26));
const std::string plain_bad = base64::encode(std::string("\0alice@example.test\0wrong", 25));

Harness submission_after_tls() {
  Harness h(default_config(Mode::submission));
  h.feed("EHLO c.example\r\nSTARTTLS\r\n");
  h.feed("EHLO c.example\r\n");  // a new write: what was pipelined behind STARTTLS is dropped
  return h;
}

TEST(SmtpStartTls, UpgradesAndResetsToBeforeEhlo) {
  Harness h;
  h.feed("EHLO c.example\r\nSTARTTLS\r\n");
  EXPECT_EQ(h.tls_starts, 1);
  EXPECT_EQ(h.last(), "220 2.0.0 Ready to start TLS\r\n");
  EXPECT_TRUE(h.flushes.back());
  EXPECT_TRUE(h.protocol.tls_active());
  h.feed("MAIL FROM:<a@example.org>\r\n");  // RFC 3207 4.2: EHLO again first
  EXPECT_EQ(h.last(), "503 5.5.1 Send EHLO or HELO first\r\n");
  h.feed("EHLO c.example\r\n");
  EXPECT_EQ(h.last().find("STARTTLS"), std::string::npos);  // not offered twice
  h.feed("STARTTLS\r\n");
  EXPECT_EQ(h.last(), "503 5.5.1 TLS is already active\r\n");
}

TEST(SmtpStartTls, CommandsPipelinedBehindStarttlsAreDiscarded) {
  Harness h;
  h.complete_tls = false;
  h.feed("EHLO c.example\r\nSTARTTLS\r\nMAIL FROM:<evil@example.org>\r\n");
  h.feed("RCPT TO:<victim@example.test>\r\n");  // still in clear, before the handshake
  EXPECT_EQ(h.codes(), (std::vector<std::string>{"220", "250", "220"}));
  EXPECT_FALSE(h.protocol.wants_input());
  h.protocol.tls_established(TlsInfo{"TLSv1.3", "TLS_AES_128_GCM_SHA256"});
  h.drain();
  EXPECT_EQ(h.replies.size(), 3u);  // nothing from the injected commands
  h.feed("EHLO c.example\r\nMAIL FROM:<a@example.org>\r\n");
  EXPECT_EQ(h.codes().back(), "250");
  EXPECT_TRUE(h.checks.empty());
}

TEST(SmtpStartTls, NotAvailableWithoutCertificate) {
  auto config = default_config();
  config.tls_available = false;
  Harness h(config);
  h.feed("EHLO c.example\r\nSTARTTLS\r\n");
  EXPECT_EQ(h.last(), "454 4.7.0 TLS not available\r\n");
}

TEST(SmtpStartTls, NotInsideATransaction) {
  Harness h;
  h.feed("EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nSTARTTLS\r\n");
  EXPECT_EQ(h.last(), "503 5.5.1 MAIL transaction in progress\r\n");
  EXPECT_EQ(h.tls_starts, 0);
}

TEST(SmtpAuth, NeverOfferedOnPort25) {
  Harness h;
  h.feed("EHLO c.example\r\nSTARTTLS\r\n");
  h.feed("EHLO c.example\r\n");
  EXPECT_EQ(h.codes().back(), "250");
  EXPECT_EQ(h.last().find("AUTH"), std::string::npos);
  h.feed("AUTH PLAIN " + plain_ok + "\r\n");
  EXPECT_EQ(h.last(), "503 5.5.1 Authentication is not enabled on this port\r\n");
  EXPECT_TRUE(h.auths.empty());
}

TEST(SmtpAuth, SubmissionNeedsTlsBeforeAuthAndMail) {
  Harness h(default_config(Mode::submission));
  h.feed("EHLO c.example\r\n");
  EXPECT_EQ(h.last().find("AUTH"), std::string::npos);
  EXPECT_NE(h.last().find("STARTTLS"), std::string::npos);
  h.clear();
  h.feed("AUTH PLAIN " + plain_ok + "\r\nMAIL FROM:<a@example.org>\r\nVRFY x\r\nNOOP\r\n");
  EXPECT_EQ(h.codes(), (std::vector<std::string>{"530", "530", "530", "250"}));
  EXPECT_EQ(h.replies[0], "530 5.7.0 Must issue a STARTTLS command first\r\n");
  EXPECT_TRUE(h.auths.empty());
}

TEST(SmtpAuth, SubmissionBdatBeforeTlsIsRefusedButConsumed) {
  Harness h(default_config(Mode::submission));
  h.feed("EHLO c.example\r\nBDAT 6\r\nQUIT\r\nNOOP\r\n");
  EXPECT_EQ(h.codes(), (std::vector<std::string>{"220", "250", "530", "250"}));
  EXPECT_EQ(h.closes, 0);
}

TEST(SmtpAuth, SubmissionNeedsAuthBeforeMail) {
  Harness h = submission_after_tls();
  EXPECT_NE(h.last().find("250-AUTH PLAIN LOGIN\r\n"), std::string::npos);
  h.feed("MAIL FROM:<alice@example.test>\r\n");
  EXPECT_EQ(h.last(), "530 5.7.0 Authentication required\r\n");
  h.feed("AUTH PLAIN " + plain_ok + "\r\n");
  EXPECT_EQ(h.last(), "235 2.7.0 Authentication successful\r\n");
  EXPECT_EQ(h.protocol.authenticated_user(), "alice@example.test");
  h.feed("MAIL FROM:<alice@example.test>\r\nRCPT TO:<x@elsewhere.example>\r\nDATA\r\nhi\r\n.\r\n");
  ASSERT_EQ(h.delivered.size(), 1u);
  EXPECT_EQ(h.checks[0].auth_user, "alice@example.test");
  EXPECT_EQ(h.delivered[0].envelope.auth_user, "alice@example.test");
  ASSERT_TRUE(h.delivered[0].envelope.tls.has_value());
  EXPECT_EQ(h.delivered[0].envelope.tls->version, "TLSv1.3");
}

TEST(SmtpAuth, PlainWithContinuationAndFailure) {
  Harness h = submission_after_tls();
  h.clear();
  h.feed("AUTH PLAIN\r\n");
  EXPECT_EQ(h.last(), "334 \r\n");
  EXPECT_TRUE(h.flushes.back());
  h.feed(plain_bad + "\r\n");
  EXPECT_EQ(h.last(), "535 5.7.8 Authentication credentials invalid\r\n");
  ASSERT_EQ(h.auths.size(), 1u);
  EXPECT_EQ(h.auths[0].mechanism, "PLAIN");
  EXPECT_EQ(h.auths[0].username, "alice@example.test");
  EXPECT_EQ(h.auths[0].password, "wrong");
  EXPECT_TRUE(h.protocol.authenticated_user().empty());
}

TEST(SmtpAuth, LoginExchange) {
  Harness h = submission_after_tls();
  h.clear();
  h.feed("AUTH LOGIN\r\n");
  EXPECT_EQ(h.last(), "334 VXNlcm5hbWU6\r\n");
  h.feed(base64::encode("alice@example.test") + "\r\n");
  EXPECT_EQ(h.last(), "334 UGFzc3dvcmQ6\r\n");
  h.feed(base64::encode("secret") + "\r\n");
  EXPECT_EQ(h.last(), "235 2.7.0 Authentication successful\r\n");
  ASSERT_EQ(h.auths.size(), 1u);
  EXPECT_EQ(h.auths[0].mechanism, "LOGIN");
}

TEST(SmtpAuth, LoginWithInitialResponse) {
  Harness h = submission_after_tls();
  h.clear();
  h.feed("auth login " + base64::encode("alice@example.test") + "\r\n");
  EXPECT_EQ(h.last(), "334 UGFzc3dvcmQ6\r\n");
  h.feed(base64::encode("secret") + "\r\n");
  EXPECT_EQ(h.codes().back(), "235");
}

TEST(SmtpAuth, CancelBadBase64AndUnknownMechanism) {
  Harness h = submission_after_tls();
  h.clear();
  h.feed("AUTH PLAIN\r\n*\r\nAUTH LOGIN\r\n!!notbase64\r\nAUTH CRAM-MD5\r\nAUTH PLAIN =\r\nAUTH\r\n");
  EXPECT_EQ(h.codes(), (std::vector<std::string>{"334", "501", "334", "501", "504", "501", "501"}));
  EXPECT_EQ(h.replies[1], "501 5.7.0 Authentication cancelled\r\n");
  EXPECT_NE(h.replies[3].find("5.5.2"), std::string::npos);
  EXPECT_EQ(h.replies[4], "504 5.5.4 Unrecognized authentication mechanism\r\n");
  EXPECT_TRUE(h.auths.empty());
  h.feed("NOOP\r\n");  // back to commands
  EXPECT_EQ(h.last(), "250 2.0.0 Ok\r\n");
}

TEST(SmtpAuth, NoProxyLoginsThroughAuthzid) {
  Harness h = submission_after_tls();
  h.feed("AUTH PLAIN " + base64::encode(std::string("bob@example.test\0alice@example.test\0secret", 42)) + "\r\n");
  EXPECT_EQ(h.last(), "535 5.7.8 Authentication credentials invalid\r\n");
  EXPECT_TRUE(h.auths.empty());
  h.feed("AUTH PLAIN " + base64::encode(std::string("alice@example.test\0alice@example.test\0secret", 44)) + "\r\n");
  EXPECT_EQ(h.codes().back(), "235");
}

TEST(SmtpAuth, AlreadyAuthenticatedAndKeptAcrossEhlo) {
  Harness h = submission_after_tls();
  h.feed("AUTH PLAIN " + plain_ok + "\r\nAUTH PLAIN " + plain_ok + "\r\n");
  EXPECT_EQ(h.last(), "503 5.5.1 Already authenticated\r\n");
  EXPECT_EQ(h.auths.size(), 1u);
  h.feed("EHLO c.example\r\nMAIL FROM:<alice@example.test>\r\n");
  EXPECT_EQ(h.last(), "250 2.1.0 Sender ok\r\n");
}

TEST(SmtpAuth, TemporaryFailure) {
  ServerProtocol p(default_config(Mode::submissions), {"192.0.2.1", "", TlsInfo{"TLSv1.3", "X"}});
  p.start();
  p.feed("EHLO c.example\r\nAUTH PLAIN " + plain_ok + "\r\n");
  std::vector<Action> actions;
  while (auto a = p.next()) actions.push_back(std::move(*a));
  ASSERT_TRUE(std::holds_alternative<action::Authenticate>(actions.back()));
  p.auth_unavailable();
  EXPECT_EQ(std::get<action::Reply>(*p.next()).text, "454 4.7.0 Temporary authentication failure, try again later\r\n");
}

TEST(SmtpAuth, SubmissionsOffersAuthAtOnceAndNoStarttls) {
  Harness h(default_config(Mode::submissions), {"192.0.2.1", "", TlsInfo{"TLSv1.3", "X"}});
  h.feed("EHLO c.example\r\n");
  EXPECT_NE(h.last().find("AUTH PLAIN LOGIN"), std::string::npos);
  EXPECT_EQ(h.last().find("STARTTLS"), std::string::npos);
  h.feed("AUTH PLAIN " + plain_ok + "\r\n");
  EXPECT_EQ(h.codes().back(), "235");
}

TEST(SmtpAuth, PlaintextAuthOnlyWhenAllowed) {
  auto config = default_config(Mode::submission);
  config.allow_plaintext_auth = true;
  Harness h(config);
  h.feed("EHLO c.example\r\n");
  EXPECT_NE(h.last().find("AUTH PLAIN LOGIN"), std::string::npos);
  h.feed("AUTH PLAIN " + plain_ok + "\r\n");
  EXPECT_EQ(h.codes().back(), "235");
}

TEST(SmtpAuth, AuthLinesMayBeLongerThanCommands) {
  Harness h = submission_after_tls();
  const std::string long_password(900, 'p');
  h.feed("AUTH PLAIN " + base64::encode(std::string("\0alice@example.test\0", 20) + long_password) + "\r\n");
  ASSERT_EQ(h.auths.size(), 1u);
  EXPECT_EQ(h.auths[0].password, long_password);
  EXPECT_EQ(h.codes().back(), "535");
}

TEST(SmtpAuth, AuthenticatedSenderMustOwnTheAddress) {
  Harness h = submission_after_tls();
  h.feed("AUTH PLAIN " + plain_ok + "\r\n");
  h.clear();
  // Pipelined: the refused MAIL must not let the RCPT/DATA that follow run.
  h.feed("MAIL FROM:<boss@example.test>\r\nRCPT TO:<x@elsewhere.example>\r\nDATA\r\n");
  EXPECT_EQ(h.codes(), (std::vector<std::string>{"553", "503", "503"}));
  EXPECT_EQ(h.replies[0], "553 5.7.1 Sender address not owned by the authenticated user\r\n");
  ASSERT_EQ(h.sender_checks.size(), 1u);
  EXPECT_EQ(h.sender_checks[0].auth_user, "alice@example.test");
  h.clear();
  h.sender_verdict = [](const action::CheckSender&) { return SenderVerdict::temporary_failure; };
  h.feed("MAIL FROM:<alice@example.test>\r\n");
  EXPECT_EQ(h.last(), "451 4.3.0 Temporary lookup failure, try again later\r\n");
  h.sender_verdict = [](const action::CheckSender&) { return SenderVerdict::accept; };
  h.feed("MAIL FROM:<alice@example.test>\r\nRCPT TO:<x@elsewhere.example>\r\n");
  EXPECT_EQ(h.codes().back(), "250");
  h.feed("RSET\r\nMAIL FROM:<>\r\n");  // the null reverse-path needs no check
  EXPECT_EQ(h.last(), "250 2.1.0 Sender ok\r\n");
  EXPECT_EQ(h.sender_checks.size(), 3u);
}


}  // namespace
}  // namespace tern::smtp
