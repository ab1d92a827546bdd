// ServerProtocol: every command, its replies and its error paths.
#include <gtest/gtest.h>

#include "harness.hpp"
#include "store/types.hpp"

namespace tern::smtp {
namespace {

using testing::Harness;
using testing::default_config;

const std::string ehlo = "EHLO client.example.net\r\n";

TEST(SmtpProtocol, GreetsWith220AndHostname) {
  Harness h;
  ASSERT_EQ(h.replies.size(), 1u);
  EXPECT_EQ(h.replies[0], "220 mail.example.test ESMTP ready\r\n");
  EXPECT_TRUE(h.flushes[0]);
}

TEST(SmtpProtocol, ClientSpeakingBeforeGreetingIsRefused) {
  Harness h(default_config(), {}, false);
  h.feed("EHLO early\r\n");
  EXPECT_TRUE(h.replies.empty());
  h.protocol.start();
  h.drain();
  ASSERT_EQ(h.codes(), std::vector<std::string>{"554"});
  EXPECT_NE(h.last().find("5.7.0"), std::string::npos);
  EXPECT_EQ(h.closes, 1);
  EXPECT_TRUE(h.protocol.closed());
}

TEST(SmtpProtocol, ExplicitEarlyTalkerHook) {
  Harness h(default_config(), {}, false);
  h.protocol.client_spoke_early();
  h.drain();
  EXPECT_EQ(h.codes(), std::vector<std::string>{"554"});
  EXPECT_EQ(h.closes, 1);
}

TEST(SmtpProtocol, EhloListsExtensionsOnPort25) {
  Harness h;
  h.clear();
  h.feed(ehlo);
  ASSERT_EQ(h.replies.size(), 1u);
  const std::string& r = h.last();
  EXPECT_EQ(r.rfind("250-mail.example.test\r\n", 0), 0u);
  for (const char* line : {"250-SIZE 10000\r\n", "250-8BITMIME\r\n", "250-SMTPUTF8\r\n", "250-PIPELINING\r\n",
                           "250-CHUNKING\r\n", "250-DSN\r\n", "250-ENHANCEDSTATUSCODES\r\n", "250-STARTTLS\r\n"})
    EXPECT_NE(r.find(line), std::string::npos) << line;
  EXPECT_EQ(r.find("AUTH"), std::string::npos);  // never on port 25
  EXPECT_TRUE(r.size() >= 10 && r.substr(r.size() - 10) == "250 HELP\r\n");
  EXPECT_TRUE(h.flushes.back());
}

TEST(SmtpProtocol, EhloWithoutTlsAvailableOmitsStarttls) {
  auto config = default_config();
  config.tls_available = false;
  Harness h(config);
  h.feed(ehlo);
  EXPECT_EQ(h.last().find("STARTTLS"), std::string::npos);
}

TEST(SmtpProtocol, HeloAnswersWithHostnameOnly) {
  Harness h;
  h.feed("HELO client.example.net\r\n");
  EXPECT_EQ(h.last(), "250 mail.example.test\r\n");
}

TEST(SmtpProtocol, EhloAndHeloNeedAnArgument) {
  Harness h;
  h.feed("EHLO\r\nHELO\r\nEHLO two words\r\n");
  EXPECT_EQ(h.codes(), (std::vector<std::string>{"220", "501", "501", "501"}));
  EXPECT_NE(h.replies[1].find("5.5.4"), std::string::npos);
}

TEST(SmtpProtocol, SimpleCommands) {
  Harness h;
  h.feed(ehlo);
  h.clear();
  h.feed("NOOP\r\nNOOP anything\r\nRSET\r\nVRFY alice\r\nEXPN staff\r\nHELP\r\n");
  ASSERT_EQ(h.codes(), (std::vector<std::string>{"250", "250", "250", "252", "502", "214"}));
  EXPECT_EQ(h.replies[0], "250 2.0.0 Ok\r\n");
  EXPECT_NE(h.replies[3].find("2.5.0"), std::string::npos);
  EXPECT_NE(h.replies[4].find("5.5.1"), std::string::npos);
  EXPECT_EQ(h.replies[5].rfind("214-2.0.0 ", 0), 0u);  // multi-line, code on every line
  EXPECT_NE(h.replies[5].find("\r\n214 2.0.0 "), std::string::npos);
}

TEST(SmtpProtocol, SyntaxErrorsInSimpleCommands) {
  Harness h;
  h.feed(ehlo);
  h.clear();
  h.feed("RSET now\r\nVRFY\r\nQUIT now\r\nSTARTTLS please\r\n");
  EXPECT_EQ(h.codes(), (std::vector<std::string>{"501", "501", "501", "501"}));
  EXPECT_EQ(h.closes, 0);
}

TEST(SmtpProtocol, QuitSays221AndCloses) {
  Harness h;
  h.feed("QUIT\r\nNOOP\r\n");
  EXPECT_EQ(h.last(), "221 2.0.0 mail.example.test Bye\r\n");
  EXPECT_EQ(h.closes, 1);
  EXPECT_TRUE(h.protocol.closed());
  EXPECT_FALSE(h.protocol.wants_input());
  h.feed("NOOP\r\n");
  EXPECT_EQ(h.replies.size(), 2u);  // nothing after QUIT
}

TEST(SmtpProtocol, UnknownAndEmptyCommands) {
  Harness h;
  h.feed("FOO bar\r\n\r\n");
  EXPECT_EQ(h.codes(), (std::vector<std::string>{"220", "500", "500"}));
  EXPECT_NE(h.replies[1].find("5.5.2"), std::string::npos);
}

TEST(SmtpProtocol, CommandsAreCaseInsensitiveAndAcceptBareLf) {
  Harness h;
  h.feed("ehlo x.example\nnoop\n");
  EXPECT_EQ(h.codes(), (std::vector<std::string>{"220", "250", "250"}));
}

TEST(SmtpProtocol, NulInCommandIsRefused) {
  Harness h;
  h.feed(std::string("NO\0OP\r\n", 7));
  EXPECT_EQ(h.codes(), (std::vector<std::string>{"220", "500"}));
  EXPECT_NE(h.last().find("NUL"), std::string::npos);
  h.feed("NOOP\r\n");
  EXPECT_EQ(h.codes().back(), "250");
}

TEST(SmtpProtocol, OverlongCommandIsRefusedAndItsRestNeverRead) {
  Harness h;
  h.feed(ehlo);
  h.clear();
  // Over 600 octets, ending in what would be a command if the excess were re-read.
  std::string evil = "NOOP " + std::string(600, 'x') + "QUIT\r\nRSET\r\n";
  h.feed(evil);
  ASSERT_EQ(h.codes(), (std::vector<std::string>{"500", "250"}));
  EXPECT_NE(h.replies[0].find("Line too long"), std::string::npos);
  EXPECT_EQ(h.closes, 0);
}

TEST(SmtpProtocol, OverlongCommandByteByByte) {
  Harness h;
  std::string evil = "NOOP " + std::string(1000, 'x') + " QUIT\r\nNOOP\r\n";
  for (char c : evil) h.feed(std::string_view(&c, 1));
  EXPECT_EQ(h.codes(), (std::vector<std::string>{"220", "500", "250"}));
  EXPECT_EQ(h.closes, 0);
}

TEST(SmtpProtocol, LineOf512OctetsIsAcceptedAnd513Refused) {
  Harness h;
  std::string ok = "NOOP " + std::string(512 - 7, 'x') + "\r\n";
  ASSERT_EQ(ok.size(), 512u);
  h.feed(ok);
  std::string too_long = "NOOP " + std::string(513 - 7, 'x') + "\r\n";
  h.feed(too_long);
  EXPECT_EQ(h.codes(), (std::vector<std::string>{"220", "250", "500"}));
}

TEST(SmtpProtocol, WrongSequenceGets503) {
  Harness h;
  h.feed("MAIL FROM:<a@example.org>\r\n");  // before EHLO
  h.feed(ehlo);
  h.clear();
  h.feed("RCPT TO:<bob@example.test>\r\nDATA\r\nBDAT 0 LAST\r\n"
         "MAIL FROM:<a@example.org>\r\nMAIL FROM:<a@example.org>\r\nDATA\r\n");
  EXPECT_EQ(h.codes(), (std::vector<std::string>{"503", "503", "503", "250", "503", "554"}));
  EXPECT_NE(h.replies[0].find("5.5.1"), std::string::npos);
  EXPECT_NE(h.replies[4].find("Nested"), std::string::npos);
  EXPECT_NE(h.replies[5].find("No valid recipients"), std::string::npos);
}

TEST(SmtpProtocol, MailBeforeEhloIs503) {
  Harness h;
  h.feed("MAIL FROM:<a@example.org>\r\n");
  EXPECT_EQ(h.last(), "503 5.5.1 Send EHLO or HELO first\r\n");
}

TEST(SmtpProtocol, FullTransactionDeliversEnvelopeAndMessage) {
  Harness h;
  h.feed(ehlo);
  h.feed("MAIL FROM:<alice@example.org> SIZE=100 BODY=8BITMIME RET=HDRS ENVID=abc+2Bdef\r\n");
  h.feed("RCPT TO:<bob@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob+40example.test\r\n");
  h.feed("DATA\r\n");
  EXPECT_EQ(h.last(), "354 End data with <CR><LF>.<CR><LF>\r\n");
  h.feed("Subject: hi\r\n\r\n..dot\r\nbody\r\n.\r\n");
  ASSERT_EQ(h.delivered.size(), 1u);
  EXPECT_EQ(h.last(), "250 2.0.0 Ok: queued as Q1\r\n");
  const Envelope& e = h.delivered[0].envelope;
  EXPECT_EQ(h.delivered[0].message, "Subject: hi\r\n\r\n.dot\r\nbody\r\n");
  EXPECT_EQ(e.reverse_path(), "alice@example.org");
  ASSERT_EQ(e.recipients.size(), 1u);
  EXPECT_EQ(e.recipients[0].address.str(), "bob@example.test");
  EXPECT_EQ(e.recipients[0].orcpt, "rfc822;bob@example.test");
  EXPECT_EQ(e.recipients[0].notify, store::notify::success | store::notify::failure);
  EXPECT_EQ(e.body, BodyType::eight_bit_mime);
  EXPECT_EQ(e.ret, Ret::headers);
  EXPECT_EQ(e.envid, "abc+def");
  EXPECT_EQ(e.declared_size, 100u);
  EXPECT_EQ(e.helo, "client.example.net");
  EXPECT_TRUE(e.esmtp);
  EXPECT_FALSE(e.chunking);
  EXPECT_EQ(e.peer_address, "192.0.2.7");
  EXPECT_EQ(e.peer_name, "client.example.net");
  // The transaction is over: a new one may start at once.
  h.feed("MAIL FROM:<>\r\n");
  EXPECT_EQ(h.last(), "250 2.1.0 Sender ok\r\n");
}

TEST(SmtpProtocol, EmptyMessageIsDelivered) {
  Harness h;
  h.feed(ehlo + "MAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n.\r\n");
  ASSERT_EQ(h.delivered.size(), 1u);
  EXPECT_EQ(h.delivered[0].message, "");
  EXPECT_FALSE(h.delivered[0].envelope.sender.has_value());
}

TEST(SmtpProtocol, DeliveryFailuresBecomeReplies) {
  Harness h;
  h.delivery_outcome = make_error(Errc::io, "disk full");
  h.feed(ehlo + "MAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nx\r\n.\r\n");
  EXPECT_EQ(h.last(), "451 4.3.0 Local error in processing, try again later\r\n");
  h.delivery_outcome = make_error(Errc::invalid, "virus\r\nfound");
  h.feed("MAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nx\r\n.\r\n");
  EXPECT_EQ(h.last(), "554 5.6.0 Message refused: virus??found\r\n");
  h.delivery_outcome = make_error(Errc::denied, "From: <bob@example.test> is not an address of alice@example.test");
  h.feed("MAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nx\r\n.\r\n");
  EXPECT_EQ(h.last(), "553 5.7.1 From: <bob@example.test> is not an address of alice@example.test\r\n");
  h.delivery_outcome = std::string();
  h.feed("MAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nx\r\n.\r\n");
  EXPECT_EQ(h.last(), "250 2.0.0 Ok: message accepted\r\n");
}

TEST(SmtpProtocol, RecipientVerdictsBecomeReplies) {
  Harness h;
  h.verdict = [](const action::CheckRecipient& c) {
    if (c.address.local == "nobody") return RecipientVerdict::unknown_user;
    if (c.address.domain == "elsewhere.example") return RecipientVerdict::relay_denied;
    if (c.address.local == "a%b") return RecipientVerdict::not_allowed;
    if (c.address.local == "later") return RecipientVerdict::temporary_failure;
    return RecipientVerdict::accept;
  };
  h.feed(ehlo + "MAIL FROM:<a@example.org>\r\n");
  h.clear();
  h.feed("RCPT TO:<nobody@example.test>\r\nRCPT TO:<x@elsewhere.example>\r\nRCPT TO:<a%b@example.test>\r\n"
         "RCPT TO:<later@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n");
  ASSERT_EQ(h.codes(), (std::vector<std::string>{"550", "554", "550", "451", "250", "354"}));
  EXPECT_NE(h.replies[0].find("5.1.1"), std::string::npos);
  EXPECT_NE(h.replies[1].find("5.7.1"), std::string::npos);
  EXPECT_NE(h.replies[2].find("5.7.1"), std::string::npos);
  EXPECT_NE(h.replies[3].find("4.3.0"), std::string::npos);
  EXPECT_EQ(h.checks.size(), 5u);
}

TEST(SmtpProtocol, DuplicateRecipientIsNotCheckedTwice) {
  Harness h;
  h.feed(ehlo + "MAIL FROM:<a@example.org>\r\nRCPT TO:<bob@example.test>\r\nRCPT TO:<BOB@Example.TEST>\r\n");
  EXPECT_EQ(h.codes().back(), "250");
  EXPECT_EQ(h.checks.size(), 1u);
  h.feed("DATA\r\nx\r\n.\r\n");
  ASSERT_EQ(h.delivered.size(), 1u);
  EXPECT_EQ(h.delivered[0].envelope.recipients.size(), 1u);
}

TEST(SmtpProtocol, TooManyRecipients) {
  auto config = default_config();
  config.max_recipients = 3;
  Harness h(config);
  h.feed(ehlo + "MAIL FROM:<a@example.org>\r\n");
  h.clear();
  for (int i = 0; i < 5; ++i) h.feed("RCPT TO:<user" + std::to_string(i) + "@example.test>\r\n");
  EXPECT_EQ(h.codes(), (std::vector<std::string>{"250", "250", "250", "452", "452"}));
  EXPECT_EQ(h.last(), "452 4.5.3 Too many recipients\r\n");
  EXPECT_EQ(h.closes, 0);
}

TEST(SmtpProtocol, PostmasterWithoutDomainIsAccepted) {
  auto config = default_config();
  config.postmaster_domain = "example.test";
  Harness h(config);
  h.feed(ehlo + "MAIL FROM:<a@example.org>\r\nRCPT TO:<Postmaster>\r\n");
  ASSERT_EQ(h.checks.size(), 1u);
  EXPECT_TRUE(h.checks[0].postmaster);
  EXPECT_EQ(h.checks[0].address.str(), "postmaster@example.test");
  EXPECT_EQ(h.codes().back(), "250");
}

TEST(SmtpProtocol, MessageSizeLimits) {
  Harness h;  // max 10000
  h.feed(ehlo + "MAIL FROM:<a@example.org> SIZE=10001\r\n");
  EXPECT_EQ(h.last(), "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
  h.feed("MAIL FROM:<a@example.org> SIZE=9000\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n");
  std::string line(98, 'x');
  line += "\r\n";
  for (int i = 0; i < 120; ++i) h.feed(line);  // 12000 octets
  EXPECT_EQ(h.codes().back(), "354");          // still reading to the end of data
  h.feed(".\r\nNOOP\r\n");
  EXPECT_TRUE(h.delivered.empty());
  EXPECT_EQ(h.replies[h.replies.size() - 2], "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
  EXPECT_EQ(h.last(), "250 2.0.0 Ok\r\n");
}

TEST(SmtpProtocol, OverlongTextLineRefusesTheMessage) {
  Harness h;
  h.feed(ehlo + "MAIL FROM:<a@example.org>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n");
  h.feed(std::string(999, 'y') + "\r\n.\r\n");  // 1001 octets with CRLF
  EXPECT_TRUE(h.delivered.empty());
  EXPECT_EQ(h.last(), "550 5.6.0 Message refused: a line is longer than 1000 octets\r\n");
  h.feed("MAIL FROM:<a@example.org>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n");
  h.feed(std::string(998, 'y') + "\r\n.\r\n");  // exactly 1000
  EXPECT_EQ(h.delivered.size(), 1u);
}

TEST(SmtpProtocol, TooManyErrorsCloseWith421) {
  auto config = default_config();
  config.max_errors = 3;
  Harness h(config);
  h.feed("BAD1\r\nBAD2\r\nBAD3\r\nNOOP\r\n");
  EXPECT_EQ(h.codes(), (std::vector<std::string>{"220", "500", "500", "500", "421"}));
  EXPECT_NE(h.last().find("4.7.0"), std::string::npos);
  EXPECT_EQ(h.closes, 1);
  EXPECT_TRUE(h.flushes.back());
}

TEST(SmtpProtocol, TimeoutAndShutdownClose) {
  Harness a;
  a.protocol.timed_out();
  a.drain();
  EXPECT_EQ(a.last(), "421 4.4.2 mail.example.test Timeout exceeded, closing connection\r\n");
  EXPECT_EQ(a.closes, 1);
  Harness b;
  b.protocol.shutting_down();
  b.drain();
  EXPECT_EQ(b.codes().back(), "421");
  EXPECT_EQ(b.closes, 1);
  Harness c;
  c.protocol.evicted();
  c.drain();
  EXPECT_EQ(c.last(), "421 4.7.0 mail.example.test Too many connections, idle ones are closed; try again later\r\n");
  EXPECT_EQ(c.closes, 1);
}

TEST(SmtpProtocol, AnswerNotAskedForIsABug) {
  Harness h;
  EXPECT_THROW(h.protocol.recipient_checked(RecipientVerdict::accept), std::logic_error);
  EXPECT_THROW(h.protocol.delivery_done(std::string("x")), std::logic_error);
  EXPECT_THROW(h.protocol.auth_result(true, "x"), std::logic_error);
  EXPECT_THROW(h.protocol.tls_established({}), std::logic_error);
}

TEST(SmtpProtocol, CommandsWaitWhileAnActionIsOutstanding) {
  ServerProtocol p(default_config(), {});
  p.start();
  while (p.next()) {
  }
  p.feed(ehlo + "MAIL FROM:<a@example.org>\r\nRCPT TO:<bob@example.test>\r\nNOOP\r\n");
  std::vector<Action> actions;
  while (auto a = p.next()) actions.push_back(std::move(*a));
  ASSERT_EQ(actions.size(), 3u);  // EHLO reply, MAIL reply, CheckRecipient; NOOP waits
  EXPECT_TRUE(std::holds_alternative<action::CheckRecipient>(actions[2]));
  EXPECT_FALSE(p.wants_input());
  p.recipient_checked(RecipientVerdict::accept);
  std::vector<std::string> texts;
  while (auto a = p.next()) texts.push_back(std::get<action::Reply>(*a).text);
  EXPECT_EQ(texts, (std::vector<std::string>{"250 2.1.5 Recipient ok\r\n", "250 2.0.0 Ok\r\n"}));
  EXPECT_TRUE(p.wants_input());
}

}  // namespace
}  // namespace tern::smtp
