// DKIM in the delivery path: which keys sign (signing.hpp) and where the
// planner's dkim_sign step puts the signatures.
#include <gtest/gtest.h>

#include "core/base64.hpp"
#include "delivery/planner.hpp"
#include "delivery/signing.hpp"

namespace tern::delivery {
namespace {

dkim::Signer signer(std::string domain, std::string selector, dkim::KeyType type = dkim::KeyType::ed25519) {
  auto key = dkim::PrivateKey::generate(type);
  EXPECT_TRUE(key.ok());
  return dkim::Signer{std::move(domain), std::move(selector), *key};
}

TEST(FromDomain, FirstMailboxOfTheFromField) {
  EXPECT_EQ(from_domain("From: Alice <alice@Sub.Example.TEST>\r\n\r\nx"), "sub.example.test");
  EXPECT_EQ(from_domain("Subject: a\r\nFROM: bob@example.test, carol@other.test\r\n\r\n"), "example.test");
  EXPECT_EQ(from_domain("From: Team: alice@team.test;\r\n\r\n"), "team.test");
  EXPECT_EQ(from_domain("Subject: no from\r\n\r\nFrom: body@example.test\r\n"), "");
  EXPECT_EQ(from_domain("From: undisclosed\r\n\r\n"), "");
  EXPECT_EQ(from_domain(""), "");
}

TEST(ChooseSigners, TheDomainOrItsNearestParentWithKeys) {
  std::map<std::string, std::vector<dkim::Signer>> keys;
  keys["example.test"] = {signer("example.test", "a")};
  keys["sub.example.test"] = {signer("sub.example.test", "b")};
  EXPECT_EQ(choose_signers(keys, "example.test").at(0).selector, "a");
  EXPECT_EQ(choose_signers(keys, "sub.example.test").at(0).selector, "b");
  EXPECT_EQ(choose_signers(keys, "mail.sub.example.test").at(0).selector, "b");
  EXPECT_EQ(choose_signers(keys, "mail.example.test").at(0).selector, "a");
  EXPECT_TRUE(choose_signers(keys, "other.test").empty());
  EXPECT_TRUE(choose_signers(keys, "test").empty());
  EXPECT_TRUE(choose_signers(keys, "").empty());
  EXPECT_TRUE(choose_signers(keys, "badexample.test").empty());  // a parent, not a suffix
}

Input submission(std::string_view message) {
  Input in;
  in.origin = Origin::submission;
  in.envelope.sender = address::Address{"alice", "example.test"};
  in.envelope.auth_user = "alice@example.test";
  in.envelope.helo = "client";
  in.recipients.push_back(Recipient{"bob@example.test", "", 0, store::Resolution{true, {7}, {}}});
  in.hostname = "mail.example.test";
  in.id = "TX1";
  in.now = 1678788000;
  in.message = message;
  return in;
}

TEST(PlanSign, SignaturesGoUnderReturnPathAndCoverTheAddedFields) {
  const std::string message = "From: Alice <alice@example.test>\r\nSubject: hi\r\n\r\nhello  \r\n\r\n";
  Input in = submission(message);
  in.signers = {signer("example.test", "ed1"), signer("example.test", "rsa1", dkim::KeyType::rsa)};
  Plan plan = plan_delivery(in);
  EXPECT_EQ(plan.signing_error, "");
  EXPECT_TRUE(plan.trace.starts_with("Return-Path: <alice@example.test>\r\nDKIM-Signature: v=1; a=ed25519-sha256;"))
      << plan.trace;
  std::size_t second = plan.trace.find("DKIM-Signature: v=1; a=rsa-sha256;");
  std::size_t received = plan.trace.find("Received: ");
  std::size_t date = plan.trace.find("Date: ");
  ASSERT_NE(second, std::string::npos);
  EXPECT_LT(second, received);
  EXPECT_LT(received, date);  // Date: and Message-ID: were added before signing, and signed
  const auto bh = dkim::body_hash("hello\r\n", dkim::Canonicalization::relaxed);
  std::string expected_bh =
      "bh=" + base64::encode(std::string_view(reinterpret_cast<const char*>(bh.data()), bh.size())) + ";";
  EXPECT_NE(plan.trace.find(expected_bh), std::string::npos) << plan.trace;
  EXPECT_NE(plan.trace.find("t=1678788000;"), std::string::npos);
  EXPECT_EQ(plan.delivery.message.data, plan.trace + message);
}

TEST(PlanSign, NoSignersNoSignature) {
  Plan plan = plan_delivery(submission("From: alice@example.test\r\n\r\nhello\r\n"));
  EXPECT_EQ(plan.trace.find("DKIM-Signature"), std::string::npos);
  EXPECT_EQ(plan.signing_error, "");
}

TEST(PlanSign, AKeyThatCannotSignLeavesTheMessageUnsignedAndSaysWhy) {
  Input in = submission("From: alice@example.test\r\n\r\nhello\r\n");
  in.signers = {dkim::Signer{"example.test", "none", dkim::PrivateKey{}}};
  Plan plan = plan_delivery(in);
  EXPECT_EQ(plan.trace.find("DKIM-Signature"), std::string::npos);
  EXPECT_NE(plan.signing_error, "");
  EXPECT_FALSE(plan.empty());
}

}  // namespace
}  // namespace tern::delivery
