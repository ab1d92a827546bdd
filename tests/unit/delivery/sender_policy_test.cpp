// The sender policy for authenticated users: which addresses an account may
// send as, and which addresses a message's From: fields name.
#include <gtest/gtest.h>

#include "delivery/sender_policy.hpp"

namespace tern::delivery {
namespace {

const store::Account alice{7, 1, "alice@example.test", "", 0};

store::Resolution reaching(std::vector<store::Id> accounts) { return store::Resolution{true, std::move(accounts), {}}; }

TEST(MaySendAs, OwnAddressAndAliasesThatReachTheAccount) {
  EXPECT_TRUE(may_send_as(SenderPolicy::own, alice, "alice@example.test", reaching({7})));
  EXPECT_TRUE(may_send_as(SenderPolicy::own, alice, "info@example.test", reaching({3, 7})));
  EXPECT_FALSE(may_send_as(SenderPolicy::own, alice, "bob@example.test", reaching({8})));
  EXPECT_FALSE(may_send_as(SenderPolicy::own, alice, "nobody@example.test", reaching({})));
  EXPECT_FALSE(may_send_as(SenderPolicy::own, alice, "ceo@other.test", store::Resolution{false, {}, {}}));
}

TEST(MaySendAs, DomainPolicyAllowsTheAccountsWholeDomainOnly) {
  EXPECT_TRUE(may_send_as(SenderPolicy::domain, alice, "bob@example.test", reaching({8})));
  EXPECT_TRUE(may_send_as(SenderPolicy::domain, alice, "anything@EXAMPLE.test", reaching({})));
  EXPECT_FALSE(may_send_as(SenderPolicy::domain, alice, "bob@sub.example.test", reaching({})));
  EXPECT_FALSE(may_send_as(SenderPolicy::domain, alice, "ceo@other.test", store::Resolution{false, {}, {}}));
  EXPECT_FALSE(may_send_as(SenderPolicy::domain, alice, "no-domain", store::Resolution{false, {}, {}}));
}

TEST(MaySendAs, AnyPolicyAllowsEverything) {
  EXPECT_TRUE(may_send_as(SenderPolicy::any, alice, "ceo@other.test", store::Resolution{false, {}, {}}));
}

TEST(FromAddresses, EveryMailboxOfEveryFromField) {
  EXPECT_EQ(from_addresses("From: Bob <Bob@Example.TEST>\r\nSubject: x\r\n\r\nFrom: not@header.test\r\n"),
            (std::vector<std::string>{"bob@example.test"}));  // canonical: lower case
  EXPECT_EQ(from_addresses("From: a@one.test, \"B, b\" <b@two.test>\r\nfrom: c@three.test\r\n\r\n"),
            (std::vector<std::string>{"a@one.test", "b@two.test", "c@three.test"}));
  EXPECT_EQ(from_addresses("From: Team: x@team.test, y@team.test;\r\n\r\n"),
            (std::vector<std::string>{"x@team.test", "y@team.test"}));
  EXPECT_EQ(from_addresses("From: Bob <bob@example.test\r\n (comment)>\r\n\r\n").size(), 1u);
  EXPECT_TRUE(from_addresses("Subject: none\r\n\r\n").empty());
}

TEST(FromAddresses, ObscuredAddressesAreParsedNotSkipped) {
  // An address hidden behind comments and folding is still checked.
  auto found = from_addresses("From: <bob (c) @ (c) example.test>\r\n\r\n");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0], "bob@example.test");
}

}  // namespace
}  // namespace tern::delivery
