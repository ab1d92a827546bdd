// The delivery planner: relay verdicts, routing to local targets and the
// queue, trace fields, and the plans for delivery status notices.
#include <gtest/gtest.h>

#include <map>

#include "delivery/planner.hpp"

namespace tern::delivery {
namespace {

using smtp::RecipientVerdict;

constexpr std::int64_t when = 1678788000;  // Tue, 14 Mar 2023 10:00:00 +0000
const std::string body = "Subject: hi\r\n\r\nhello\r\n";

store::Resolution local(std::vector<store::Id> accounts, std::vector<std::string> external = {}) {
  return store::Resolution{true, std::move(accounts), std::move(external)};
}
store::Resolution remote() { return store::Resolution{false, {}, {}}; }

address::Address addr(std::string local_part, std::string domain) {
  return address::Address{std::move(local_part), std::move(domain)};
}

smtp::Envelope envelope(std::vector<address::Address> rcpts) {
  smtp::Envelope e;
  e.sender = addr("alice", "example.org");
  for (auto& a : rcpts) e.recipients.push_back(smtp::Recipient{std::move(a), "", 0, false});
  e.helo = "client.example.net";
  e.esmtp = true;
  e.peer_address = "192.0.2.7";
  e.peer_name = "client.example.net";
  return e;
}

Input input_for(smtp::Envelope e, std::vector<Recipient> recipients, std::string_view message = body) {
  Input in;
  in.envelope = std::move(e);
  in.recipients = std::move(recipients);
  in.hostname = "mail.example.test";
  in.id = "TX1";
  in.now = when;
  in.message = message;
  return in;
}

// The queue entry's envelope fields, compared at once.
struct OutboundFields {
  std::string sender, envid, ret;
  bool smtputf8 = false, eight_bit = false;
  std::string auth_user;
};
void expect_outbound(const store::OutboundSpec& out, const OutboundFields& want) {
  EXPECT_EQ(out.sender, want.sender);
  EXPECT_EQ(out.envid, want.envid);
  EXPECT_EQ(out.ret, want.ret);
  EXPECT_EQ(out.smtputf8, want.smtputf8);
  EXPECT_EQ(out.eight_bit, want.eight_bit);
  EXPECT_EQ(out.auth_user, want.auth_user);
}

const std::string received_for_bob =
    "Received: from client.example.net (client.example.net [192.0.2.7])\r\n"
    "\tby mail.example.test (tern) with ESMTP id TX1\r\n"
    "\tfor <bob@example.test>; Tue, 14 Mar 2023 10:00:00 +0000\r\n";

// --- relay_verdict (RCPT time) ---

TEST(RelayVerdict, LocalRecipientIsAccepted) {
  EXPECT_EQ(relay_verdict(local({1}), addr("bob", "example.test"), false), RecipientVerdict::accept);
  EXPECT_EQ(relay_verdict(local({}, {"x@remote.example"}), addr("fwd", "example.test"), false),
            RecipientVerdict::accept);
}

TEST(RelayVerdict, UnknownLocalUser) {
  EXPECT_EQ(relay_verdict(local({}), addr("nobody", "example.test"), false), RecipientVerdict::unknown_user);
  EXPECT_EQ(relay_verdict(local({}), addr("nobody", "example.test"), true), RecipientVerdict::unknown_user);
}

TEST(RelayVerdict, RelayDeniedUnlessAuthenticated) {
  EXPECT_EQ(relay_verdict(remote(), addr("carol", "remote.example"), false), RecipientVerdict::relay_denied);
  EXPECT_EQ(relay_verdict(remote(), addr("carol", "remote.example"), true), RecipientVerdict::accept);
}

TEST(RelayVerdict, RelayTricksInLocalDomainsAreRefusedUnauthenticated) {
  for (const char* trick : {"carol%remote.example", "remote.example!carol", "carol@remote.example"}) {
    SCOPED_TRACE(trick);
    // Refused even when some alias or catch-all would take the address.
    EXPECT_EQ(relay_verdict(local({1}), addr(trick, "example.test"), false), RecipientVerdict::not_allowed);
    EXPECT_EQ(relay_verdict(local({}), addr(trick, "example.test"), false), RecipientVerdict::not_allowed);
    // An authenticated client gets the ordinary answer.
    EXPECT_EQ(relay_verdict(local({1}), addr(trick, "example.test"), true), RecipientVerdict::accept);
    EXPECT_EQ(relay_verdict(local({}), addr(trick, "example.test"), true), RecipientVerdict::unknown_user);
    // Another domain: the relay rule decides.
    EXPECT_EQ(relay_verdict(remote(), addr(trick, "remote.example"), false), RecipientVerdict::relay_denied);
  }
}

// --- routing ---

TEST(PlanDelivery, LocalRecipientGetsOneInboxTarget) {
  auto plan = plan_delivery(input_for(envelope({addr("bob", "example.test")}),
                                      {Recipient{"bob@example.test", "", 0, local({7})}}));
  ASSERT_EQ(plan.delivery.local.size(), 1u);
  EXPECT_EQ(plan.delivery.local[0].account_id, 7);
  EXPECT_EQ(plan.delivery.local[0].mailbox, "INBOX");
  EXPECT_EQ(plan.delivery.local[0].flags, 0u);
  EXPECT_FALSE(plan.delivery.outbound);
  EXPECT_EQ(plan.local_count(), 1u);
  EXPECT_EQ(plan.queued_count(), 0u);
  EXPECT_FALSE(plan.empty());
}

TEST(PlanDelivery, AliasesToSeveralAccountsDeliverOnceEach) {
  // bob (account 1), team -> bob, carol (1, 2), all -> team, dave (1, 2, 3)
  auto e = envelope({addr("bob", "example.test"), addr("team", "example.test"), addr("all", "example.test")});
  auto plan = plan_delivery(input_for(e, {Recipient{"bob@example.test", "", 0, local({1})},
                                          Recipient{"team@example.test", "", 0, local({1, 2})},
                                          Recipient{"all@example.test", "", 0, local({2, 1, 3})}}));
  ASSERT_EQ(plan.delivery.local.size(), 3u);
  EXPECT_EQ(plan.delivery.local[0].account_id, 1);
  EXPECT_EQ(plan.delivery.local[1].account_id, 2);
  EXPECT_EQ(plan.delivery.local[2].account_id, 3);
  EXPECT_FALSE(plan.delivery.outbound);
}

TEST(PlanDelivery, AliasToAnExternalAddressIsQueuedWithTheRecipientsDsnParameters) {
  auto e = envelope({addr("fwd", "example.test")});
  auto plan = plan_delivery(input_for(
      e, {Recipient{"fwd@example.test", "rfc822;fwd@example.test", store::notify::failure,
                    local({}, {"x@remote.example", "y@other.example"})}}));
  EXPECT_TRUE(plan.delivery.local.empty());
  ASSERT_TRUE(plan.delivery.outbound);
  const auto& r = plan.delivery.outbound->recipients;
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].address, "x@remote.example");
  EXPECT_EQ(r[1].address, "y@other.example");
  for (const auto& q : r) {
    EXPECT_EQ(q.orcpt, "rfc822;fwd@example.test");
    EXPECT_EQ(q.notify, store::notify::failure);
    EXPECT_EQ(q.state, store::RecipientState::pending);
    EXPECT_EQ(q.last_reply, "");
  }
  EXPECT_EQ(plan.queued_count(), 2u);
  // Nothing delivered here: no Return-Path:.
  EXPECT_EQ(plan.trace.rfind("Received: ", 0), 0u);
}

TEST(PlanDelivery, ForwardedMailFromElsewhereGetsAnSrsSender) {
  SrsKey key("secret");
  auto e = envelope({addr("fwd", "example.test")});
  Input in = input_for(e, {Recipient{"fwd@example.test", "", 0, local({}, {"x@remote.example"})}});
  in.srs = &key;
  auto plan = plan_delivery(in);
  ASSERT_TRUE(plan.delivery.outbound);
  EXPECT_TRUE(plan.delivery.outbound->sender.starts_with("SRS0=")) << plan.delivery.outbound->sender;
  EXPECT_TRUE(plan.delivery.outbound->sender.ends_with("=example.org=alice@example.test"));
  EXPECT_EQ(key.reverse(plan.delivery.outbound->sender, when), "alice@example.org");

  // Not: the null sender (a bounce goes nowhere), mail a user submitted
  // (its sender is theirs), mail without a forwarding alias.
  Input bounce = in;
  bounce.envelope.sender.reset();
  EXPECT_EQ(plan_delivery(bounce).delivery.outbound->sender, "");
  Input submitted = in;
  submitted.origin = Origin::submission;
  submitted.envelope.auth_user = "alice@example.org";
  EXPECT_EQ(plan_delivery(submitted).delivery.outbound->sender, "alice@example.org");
  Input relayed = input_for(e, {Recipient{"x@remote.example", "", 0, remote()}});
  relayed.srs = &key;
  EXPECT_EQ(plan_delivery(relayed).delivery.outbound->sender, "alice@example.org");
}

TEST(PlanDelivery, MixedLocalAndRemoteRecipients) {
  auto e = envelope({addr("bob", "example.test"), addr("Carol", "remote.example"), addr("fwd", "example.test")});
  e.auth_user = "alice@example.test";
  e.envid = "ENV-1";
  e.ret = smtp::Ret::headers;
  e.smtputf8 = true;
  e.body = smtp::BodyType::eight_bit_mime;
  auto plan = plan_delivery(input_for(e, {Recipient{"bob@example.test", "", 0, local({1})},
                                          Recipient{"Carol@remote.example", "rfc822;Carol@remote.example",
                                                    store::notify::success, remote()},
                                          Recipient{"fwd@example.test", "", 0, local({1}, {"z@remote.example"})}}));
  ASSERT_EQ(plan.delivery.local.size(), 1u);
  EXPECT_EQ(plan.delivery.local[0].account_id, 1);
  ASSERT_TRUE(plan.delivery.outbound);
  const store::OutboundSpec& out = *plan.delivery.outbound;
  ASSERT_EQ(out.recipients.size(), 2u);
  EXPECT_EQ(out.recipients[0].address, "Carol@remote.example");  // as given, case kept
  EXPECT_EQ(out.recipients[0].orcpt, "rfc822;Carol@remote.example");
  EXPECT_EQ(out.recipients[0].notify, store::notify::success);
  EXPECT_EQ(out.recipients[1].address, "z@remote.example");
  expect_outbound(out, {"alice@example.org", "ENV-1", "HDRS", true, true, "alice@example.test"});
  EXPECT_EQ(plan.local_count(), 1u);
  EXPECT_EQ(plan.queued_count(), 2u);
}

TEST(PlanDelivery, OutboundEnvelopeDefaults) {
  auto e = envelope({addr("carol", "remote.example")});
  e.sender.reset();  // <>
  e.ret = smtp::Ret::full;
  auto plan = plan_delivery(input_for(e, {Recipient{"carol@remote.example", "", 0, remote()}}));
  ASSERT_TRUE(plan.delivery.outbound);
  expect_outbound(*plan.delivery.outbound, {"", "", "FULL", false, false, ""});
}

TEST(AcceptedRecipients, KeepsThoseResolvedAtRcptTimeInEnvelopeOrder) {
  auto e = envelope({addr("Bob", "example.test"), addr("nobody", "example.test"), addr("carol", "remote.example")});
  e.recipients[0].orcpt = "rfc822;Bob@example.test";
  e.recipients[0].notify = store::notify::delay;
  std::map<std::string, store::Resolution> resolved{{"bob@example.test", local({4})},
                                                    {"carol@remote.example", remote()}};
  auto out = accepted_recipients(e, resolved);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].address, "Bob@example.test");
  EXPECT_EQ(out[0].orcpt, "rfc822;Bob@example.test");
  EXPECT_EQ(out[0].notify, store::notify::delay);
  EXPECT_EQ(out[0].resolution.accounts, std::vector<store::Id>{4});
  EXPECT_EQ(out[1].address, "carol@remote.example");
  EXPECT_FALSE(out[1].resolution.local_domain);
}

// --- trace fields ---

TEST(PlanTrace, LocalDeliveryGetsReturnPathThenReceived) {
  auto plan = plan_delivery(input_for(envelope({addr("bob", "example.test")}),
                                      {Recipient{"bob@example.test", "", 0, local({1})}}));
  EXPECT_EQ(plan.trace, "Return-Path: <alice@example.org>\r\n" + received_for_bob);
  EXPECT_EQ(plan.delivery.message.data, plan.trace + body);
  EXPECT_EQ(plan.delivery.message.internal_date, when);
}

TEST(PlanTrace, NullSenderReturnPath) {
  auto e = envelope({addr("bob", "example.test")});
  e.sender.reset();
  auto plan = plan_delivery(input_for(e, {Recipient{"bob@example.test", "", 0, local({1})}}));
  EXPECT_EQ(plan.trace, "Return-Path: <>\r\n" + received_for_bob);
}

TEST(PlanTrace, RelayedMailGetsReceivedOnly) {
  auto e = envelope({addr("carol", "remote.example")});
  e.auth_user = "alice@example.test";
  auto plan = plan_delivery(input_for(e, {Recipient{"carol@remote.example", "", 0, remote()}}));
  EXPECT_EQ(plan.trace,
            "Received: from client.example.net (client.example.net [192.0.2.7])\r\n"
            "\tby mail.example.test (tern) with ESMTPA id TX1\r\n"
            "\t(authenticated as alice@example.test)\r\n"
            "\tfor <carol@remote.example>; Tue, 14 Mar 2023 10:00:00 +0000\r\n");
  EXPECT_EQ(plan.delivery.message.data, plan.trace + body);
}

TEST(PlanTrace, SubmissionWithAuthGetsMissingDateAndMessageId) {
  auto e = envelope({addr("carol", "remote.example")});
  e.auth_user = "alice@example.test";
  e.tls = smtp::TlsInfo{"TLSv1.3", "TLS_AES_256_GCM_SHA384"};
  auto in = input_for(e, {Recipient{"carol@remote.example", "", 0, remote()}});
  in.origin = Origin::submission;
  auto plan = plan_delivery(in);
  EXPECT_EQ(plan.trace,
            "Received: from client.example.net (client.example.net [192.0.2.7])\r\n"
            "\tby mail.example.test (tern) with ESMTPSA id TX1\r\n"
            "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)\r\n"
            "\t(authenticated as alice@example.test)\r\n"
            "\tfor <carol@remote.example>; Tue, 14 Mar 2023 10:00:00 +0000\r\n"
            "Date: Tue, 14 Mar 2023 10:00:00 +0000\r\n"
            "Message-ID: <TX1@mail.example.test>\r\n");
}

TEST(PlanTrace, SubmissionKeepsTheClientsDateAndMessageId) {
  auto e = envelope({addr("carol", "remote.example")});
  e.auth_user = "alice@example.test";
  const std::string message = "Date: Mon, 13 Mar 2023 09:00:00 +0100\r\nMessage-ID: <m1@client>\r\n\r\nhi\r\n";
  auto in = input_for(e, {Recipient{"carol@remote.example", "", 0, remote()}}, message);
  in.origin = Origin::submission;
  auto plan = plan_delivery(in);
  EXPECT_EQ(plan.trace.find("Date:"), std::string::npos);
  EXPECT_EQ(plan.trace.find("Message-ID:"), std::string::npos);
  EXPECT_EQ(plan.delivery.message.data, plan.trace + message);
}

TEST(PlanTrace, NoSubmissionFieldsOnPort25OrWithoutAuth) {
  auto e = envelope({addr("bob", "example.test")});
  e.auth_user = "alice@example.test";
  auto on_smtp = plan_delivery(input_for(e, {Recipient{"bob@example.test", "", 0, local({1})}}));
  EXPECT_EQ(on_smtp.trace.find("Message-ID:"), std::string::npos);
  e.auth_user.clear();
  auto in = input_for(e, {Recipient{"bob@example.test", "", 0, local({1})}});
  in.origin = Origin::submission;
  auto unauthenticated = plan_delivery(in);
  EXPECT_EQ(unauthenticated.trace, "Return-Path: <alice@example.org>\r\n" + received_for_bob);
}

TEST(PlanTrace, ReceivedNamesNoRecipientWhenThereAreSeveral) {
  auto e = envelope({addr("bob", "example.test"), addr("carol", "example.test")});
  auto plan = plan_delivery(input_for(e, {Recipient{"bob@example.test", "", 0, local({1})},
                                          Recipient{"carol@example.test", "", 0, local({2})}}));
  EXPECT_EQ(plan.trace.find("for <"), std::string::npos);
}

// --- steps ---

TEST(PlanSteps, StandardStepsInOrder) {
  std::vector<std::string_view> names;
  for (const auto& s : standard_steps()) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string_view>{"route", "outbound_envelope", "return_path",
                                                  "authentication_results", "received",
                                                  "submission_fields", "dkim_sign"}));
}

void add_test_header(const Input&, Plan& plan) { plan.trace += "X-Filter: passed\r\n"; }
void to_junk(const Input&, Plan& plan) {
  for (auto& t : plan.delivery.local) t.mailbox = "Junk";
}

TEST(PlanSteps, AnExtraStepPlugsIntoTheChain) {
  std::vector<NamedStep> steps(standard_steps().begin(), standard_steps().end());
  steps.push_back({"filter", add_test_header});
  steps.push_back({"sieve", to_junk});
  auto plan = plan_delivery(input_for(envelope({addr("bob", "example.test")}),
                                      {Recipient{"bob@example.test", "", 0, local({1})}}),
                            steps);
  EXPECT_EQ(plan.trace, "Return-Path: <alice@example.org>\r\n" + received_for_bob + "X-Filter: passed\r\n");
  EXPECT_EQ(plan.delivery.message.data, plan.trace + body);
  ASSERT_EQ(plan.delivery.local.size(), 1u);
  EXPECT_EQ(plan.delivery.local[0].mailbox, "Junk");
}

// --- delivery status notices (the queue's bounces) ---

const std::string notice_text = "From: MAILER-DAEMON@mail.example.test\r\nSubject: failed\r\n\r\nsorry\r\n";

TEST(PlanNotice, LocalSenderGetsItInTheInbox) {
  auto plan = plan_delivery(notice_input("alice@example.test", local({5}), false, when, notice_text));
  ASSERT_EQ(plan.delivery.local.size(), 1u);
  EXPECT_EQ(plan.delivery.local[0].account_id, 5);
  EXPECT_EQ(plan.delivery.local[0].mailbox, "INBOX");
  EXPECT_FALSE(plan.delivery.outbound);
  EXPECT_EQ(plan.trace, "Return-Path: <>\r\n");  // no Received:
  EXPECT_EQ(plan.delivery.message.data, "Return-Path: <>\r\n" + notice_text);
  EXPECT_EQ(plan.delivery.message.internal_date, when);
}

TEST(PlanNotice, RemoteSenderIsQueuedWithTheNullReversePath) {
  auto plan = plan_delivery(notice_input("Alice@remote.example", remote(), true, when, notice_text));
  EXPECT_TRUE(plan.delivery.local.empty());
  ASSERT_TRUE(plan.delivery.outbound);
  const store::OutboundSpec& out = *plan.delivery.outbound;
  ASSERT_EQ(out.recipients.size(), 1u);
  EXPECT_EQ(out.recipients[0].address, "Alice@remote.example");  // as stored
  EXPECT_EQ(out.recipients[0].orcpt, "");
  EXPECT_EQ(out.recipients[0].notify, 0);
  expect_outbound(out, {"", "", "", true, false, ""});  // the null reverse-path, no DSN parameters
  EXPECT_EQ(plan.trace, "");
  EXPECT_EQ(plan.delivery.message.data, notice_text);
}

TEST(PlanNotice, LocalSenderForwardingElsewhere) {
  auto plan = plan_delivery(notice_input("fwd@example.test", local({2}, {"x@remote.example"}), false, when,
                                         notice_text));
  ASSERT_EQ(plan.delivery.local.size(), 1u);
  ASSERT_TRUE(plan.delivery.outbound);
  ASSERT_EQ(plan.delivery.outbound->recipients.size(), 1u);
  EXPECT_EQ(plan.delivery.outbound->recipients[0].address, "x@remote.example");
  EXPECT_EQ(plan.delivery.outbound->sender, "");
  EXPECT_EQ(plan.delivery.message.data, "Return-Path: <>\r\n" + notice_text);
}

TEST(PlanNotice, UnknownLocalSenderIsDropped) {
  auto plan = plan_delivery(notice_input("gone@example.test", local({}), false, when, notice_text));
  EXPECT_TRUE(plan.empty());
  EXPECT_TRUE(plan.delivery.local.empty());
  EXPECT_FALSE(plan.delivery.outbound);
  EXPECT_EQ(plan.delivery.message.data, "");  // not prepared
}

}  // namespace
}  // namespace tern::delivery
