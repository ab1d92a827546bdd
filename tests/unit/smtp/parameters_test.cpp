// MAIL / RCPT argument parsing: paths, ESMTP parameters, xtext, relay tricks.
#include <gtest/gtest.h>

#include "harness.hpp"
#include "smtp/protocol/parameters.hpp"
#include "smtp/protocol/policy.hpp"
#include "store/types.hpp"

namespace tern::smtp {
namespace {

using testing::Harness;

MailArguments mail_ok(std::string_view text) {
  auto r = parse_mail_arguments(text);
  if (auto* refusal = std::get_if<Refusal>(&r)) ADD_FAILURE() << text << ": " << refusal->text;
  return std::holds_alternative<MailArguments>(r) ? std::get<MailArguments>(r) : MailArguments{};
}

Refusal mail_refused(std::string_view text) {
  auto r = parse_mail_arguments(text);
  if (!std::holds_alternative<Refusal>(r)) ADD_FAILURE() << text << " was accepted";
  return std::holds_alternative<Refusal>(r) ? std::get<Refusal>(r) : Refusal{};
}

Refusal rcpt_refused(std::string_view text, bool smtputf8 = false) {
  auto r = parse_rcpt_arguments(text, smtputf8, "example.test");
  if (!std::holds_alternative<Refusal>(r)) ADD_FAILURE() << text << " was accepted";
  return std::holds_alternative<Refusal>(r) ? std::get<Refusal>(r) : Refusal{};
}

TEST(SmtpParameters, MailPaths) {
  EXPECT_FALSE(mail_ok("FROM:<>").sender.has_value());
  EXPECT_EQ(mail_ok("from:<Alice@Example.ORG>").sender->domain, "example.org");
  EXPECT_EQ(mail_ok("FROM: <a@example.org>").sender->local, "a");  // lenient about the space
  EXPECT_EQ(mail_ok("FROM:<@relay.example,@b.example:a@example.org>").sender->str(), "a@example.org");
  EXPECT_EQ(mail_ok("FROM:<\"odd>name\"@example.org>").sender->local, "odd>name");
  EXPECT_EQ(mail_refused("FROM:a@example.org").code, 501u);
  EXPECT_EQ(mail_refused("TO:<a@example.org>").code, 501u);
  EXPECT_EQ(mail_refused("FROM:<a@example.org").code, 501u);
  EXPECT_EQ(mail_refused("FROM:<a@example.org>junk").code, 501u);
  Refusal bad = mail_refused("FROM:<not an address>");
  EXPECT_EQ(bad.code, 501u);
  EXPECT_EQ(bad.enhanced, "5.1.7");
}

TEST(SmtpParameters, MailParameters) {
  MailArguments m = mail_ok("FROM:<a@example.org> size=42 BODY=7BIT RET=FULL ENVID=x+2By AUTH=<>");
  EXPECT_EQ(m.size, 42u);
  EXPECT_EQ(m.body, BodyType::seven_bit);
  EXPECT_EQ(m.ret, Ret::full);
  EXPECT_EQ(m.envid, "x+y");
  EXPECT_EQ(mail_ok("FROM:<a@example.org> SIZE=99999999999999999999").size,
            std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(mail_refused("FROM:<a@example.org> BODY=BINARYMIME").code, 555u);
  EXPECT_EQ(mail_refused("FROM:<a@example.org> BODY=9BIT").code, 501u);
  EXPECT_EQ(mail_refused("FROM:<a@example.org> SIZE=abc").code, 501u);
  EXPECT_EQ(mail_refused("FROM:<a@example.org> SIZE").code, 501u);
  EXPECT_EQ(mail_refused("FROM:<a@example.org> RET=ALL").code, 501u);
  EXPECT_EQ(mail_refused("FROM:<a@example.org> ENVID=a+zz").code, 501u);
  EXPECT_EQ(mail_refused("FROM:<a@example.org> ENVID=" + std::string(101, 'e')).code, 501u);
  EXPECT_EQ(mail_refused("FROM:<a@example.org> SMTPUTF8=yes").code, 501u);
  EXPECT_EQ(mail_refused("FROM:<a@example.org> SIZE=1 SIZE=2").code, 501u);
  Refusal unknown = mail_refused("FROM:<a@example.org> XFOO=1");
  EXPECT_EQ(unknown.code, 555u);
  EXPECT_EQ(unknown.enhanced, "5.5.4");
  EXPECT_EQ(mail_refused("FROM:<a@example.org> =x").code, 501u);
}

TEST(SmtpParameters, Utf8NeedsSmtputf8) {
  EXPECT_EQ(mail_refused("FROM:<j\xc3\xb6rg@example.org>").code, 553u);
  MailArguments m = mail_ok("FROM:<j\xc3\xb6rg@example.org> SMTPUTF8");
  EXPECT_TRUE(m.smtputf8);
  EXPECT_EQ(m.sender->local, "j\xc3\xb6rg");
  EXPECT_EQ(rcpt_refused("TO:<j\xc3\xb6rg@example.test>").enhanced, "5.6.7");
  EXPECT_TRUE(std::holds_alternative<Recipient>(parse_rcpt_arguments("TO:<j\xc3\xb6rg@example.test>", true, "x.test")));
}

TEST(SmtpParameters, RcptParameters) {
  auto r = parse_rcpt_arguments("to:<b@example.test> NOTIFY=never ORCPT=rfc822;b+2Bx@example.test", false, "example.test");
  ASSERT_TRUE(std::holds_alternative<Recipient>(r));
  const Recipient& rcpt = std::get<Recipient>(r);
  EXPECT_EQ(rcpt.notify, store::notify::never);
  EXPECT_EQ(rcpt.orcpt, "rfc822;b+x@example.test");
  EXPECT_FALSE(rcpt.postmaster);
  EXPECT_EQ(rcpt_refused("TO:<b@example.test> NOTIFY=NEVER,SUCCESS").code, 501u);
  EXPECT_EQ(rcpt_refused("TO:<b@example.test> NOTIFY=SOMETIMES").code, 501u);
  EXPECT_EQ(rcpt_refused("TO:<b@example.test> NOTIFY=").code, 501u);
  EXPECT_EQ(rcpt_refused("TO:<b@example.test> ORCPT=b@example.test").code, 501u);
  EXPECT_EQ(rcpt_refused("TO:<b@example.test> ORCPT=rfc822;").code, 501u);
  EXPECT_EQ(rcpt_refused("TO:<b@example.test> SIZE=1").code, 555u);
  EXPECT_EQ(rcpt_refused("TO:<>").enhanced, "5.1.3");
  EXPECT_EQ(rcpt_refused("FROM:<b@example.test>").code, 501u);
  EXPECT_EQ(rcpt_refused("TO:<b@localhost>").enhanced, "5.1.3");
}

TEST(SmtpParameters, SourceRoutesInRcptAreRefused) {
  Refusal r = rcpt_refused("TO:<@relay.example:victim@elsewhere.example>");
  EXPECT_EQ(r.code, 553u);
  EXPECT_NE(r.text.find("Source route"), std::string::npos);
}

TEST(SmtpParameters, BarePostmaster) {
  auto r = parse_rcpt_arguments("TO:<POSTMASTER>", false, "example.test");
  ASSERT_TRUE(std::holds_alternative<Recipient>(r));
  EXPECT_TRUE(std::get<Recipient>(r).postmaster);
  EXPECT_EQ(std::get<Recipient>(r).address.str(), "postmaster@example.test");
}

TEST(SmtpParameters, Xtext) {
  EXPECT_EQ(xtext_decode("a+2Bb+3Dc+20"), "a+b=c ");
  EXPECT_FALSE(xtext_decode("a+2").has_value());
  EXPECT_FALSE(xtext_decode("a+").has_value());
  EXPECT_FALSE(xtext_decode("a=b").has_value());
  EXPECT_FALSE(xtext_decode("a b").has_value());
  EXPECT_EQ(xtext_encode("a+b=c \x01"), "a+2Bb+3Dc+20+01");
  EXPECT_EQ(xtext_decode(xtext_encode("r\xc3\xa9sum\xc3\xa9+=")), "r\xc3\xa9sum\xc3\xa9+=");
}

TEST(SmtpParameters, RelayTricks) {
  EXPECT_TRUE(looks_like_relay_trick(address::Address{"user%elsewhere.example", "example.test"}));
  EXPECT_TRUE(looks_like_relay_trick(address::Address{"elsewhere!user", "example.test"}));
  EXPECT_TRUE(looks_like_relay_trick(address::Address{"user@elsewhere.example", "example.test"}));
  EXPECT_FALSE(looks_like_relay_trick(address::Address{"first.last+tag", "example.test"}));
  auto r = parse_rcpt_arguments("TO:<\"user@elsewhere.example\"@example.test>", false, "example.test");
  ASSERT_TRUE(std::holds_alternative<Recipient>(r));
  EXPECT_TRUE(looks_like_relay_trick(std::get<Recipient>(r).address));
}

TEST(SmtpParameters, ProtocolRepliesCarryParserRefusals) {
  Harness h;
  h.feed("EHLO c.example\r\nMAIL FROM:<a@example.org> XFOO\r\nMAIL FROM:<a@example.org>\r\n"
         "RCPT TO:<@a.example:b@c.example>\r\nRCPT TO:<b@example.test> XBAR=1\r\n");
  EXPECT_EQ(h.codes(), (std::vector<std::string>{"220", "250", "555", "250", "553", "555"}));
  EXPECT_EQ(h.replies[2], "555 5.5.4 Unsupported parameter XFOO\r\n");
  EXPECT_TRUE(h.checks.empty());
}

}  // namespace
}  // namespace tern::smtp
