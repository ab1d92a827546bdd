// Shared store suite: domains, accounts, aliases and address resolution.
#include <map>
#include <set>

#include "store_test_support.hpp"

namespace tern::store::testing {
namespace {

TEST_P(StoreTest, DomainsAreLowerCasedListedAndFound) {
  Domain added = must(store().add_domain("Example.TEST"));
  EXPECT_EQ(added.name, "example.test");
  EXPECT_GT(added.id, 0);
  must(store().add_domain("other.test"));

  auto domains = must(store().list_domains());
  ASSERT_EQ(domains.size(), 2u);
  EXPECT_EQ(domains[0].name, "example.test");
  EXPECT_EQ(domains[1].name, "other.test");

  auto found = must(store().find_domain("EXAMPLE.test"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, added.id);
  EXPECT_FALSE(must(store().find_domain("nowhere.test")).has_value());
}

TEST_P(StoreTest, DomainErrors) {
  must(store().add_domain("example.test"));
  EXPECT_EQ(must_fail(store().add_domain("EXAMPLE.test")).code, Errc::already_exists);
  EXPECT_EQ(must_fail(store().add_domain("")).code, Errc::invalid);
  EXPECT_EQ(must_fail(store().add_domain("bad domain")).code, Errc::invalid);
  EXPECT_EQ(must_fail(store().add_domain("a@b.test")).code, Errc::invalid);
  EXPECT_EQ(must_fail(store().remove_domain("nowhere.test")).code, Errc::not_found);
}

TEST_P(StoreTest, DomainIsRemovedOnlyWhenEmpty) {
  must(store().add_domain("example.test"));
  must(store().add_account("alice@example.test", "hash"));
  Error busy = must_fail(store().remove_domain("example.test"));
  EXPECT_EQ(busy.code, Errc::conflict);
  EXPECT_NE(busy.message.find("example.test"), std::string::npos);

  must(store().remove_account("alice@example.test"));
  must(store().add_alias("postmaster@example.test", {"someone@remote.test"}));
  EXPECT_EQ(must_fail(store().remove_domain("example.test")).code, Errc::conflict);

  must(store().remove_alias("postmaster@example.test"));
  must(store().remove_domain("example.test"));
  EXPECT_TRUE(must(store().list_domains()).empty());
}

TEST_P(StoreTest, AccountGetsTheStandardMailboxes) {
  must(store().add_domain("example.test"));
  Account alice = must(store().add_account("alice@EXAMPLE.test", "$argon2id$x"));
  EXPECT_EQ(alice.address, "alice@example.test");
  EXPECT_EQ(alice.password_hash, "$argon2id$x");

  auto mailboxes = must(store().list_mailboxes(alice.id));
  ASSERT_EQ(mailboxes.size(), 6u);
  EXPECT_EQ(mailboxes[0].name, "INBOX");
  std::map<std::string, std::string> special;
  std::set<std::uint32_t> uidvalidities;
  for (const auto& mailbox : mailboxes) {
    special[mailbox.name] = mailbox.special_use;
    uidvalidities.insert(mailbox.uidvalidity);
    EXPECT_EQ(mailbox.uidnext, 1u);
    EXPECT_EQ(mailbox.message_count, 0u);
    EXPECT_TRUE(mailbox.subscribed);
    EXPECT_GT(mailbox.uidvalidity, 0u);
  }
  EXPECT_EQ(uidvalidities.size(), 6u) << "each mailbox has its own UIDVALIDITY";
  EXPECT_EQ(special["INBOX"], "");
  EXPECT_EQ(special["Sent"], "\\Sent");
  EXPECT_EQ(special["Drafts"], "\\Drafts");
  EXPECT_EQ(special["Trash"], "\\Trash");
  EXPECT_EQ(special["Junk"], "\\Junk");
  EXPECT_EQ(special["Archive"], "\\Archive");
}

TEST_P(StoreTest, AccountErrors) {
  Error unknown = must_fail(store().add_account("alice@example.test", "h"));
  EXPECT_EQ(unknown.code, Errc::not_found);
  EXPECT_EQ(unknown.message, "domain example.test is not a local domain");

  must(store().add_domain("example.test"));
  must(store().add_account("alice@example.test", "h"));
  EXPECT_EQ(must_fail(store().add_account("alice@example.test", "h")).code, Errc::already_exists);
  must(store().add_alias("sales@example.test", {"alice@example.test"}));
  EXPECT_EQ(must_fail(store().add_account("sales@example.test", "h")).code, Errc::already_exists);
  EXPECT_EQ(must_fail(store().add_account("no-at-sign", "h")).code, Errc::invalid);
  EXPECT_EQ(must_fail(store().add_account("@example.test", "h")).code, Errc::invalid);

  EXPECT_EQ(must_fail(store().set_password("ghost@example.test", "h")).code, Errc::not_found);
  EXPECT_EQ(must_fail(store().remove_account("ghost@example.test")).code, Errc::not_found);
}

TEST_P(StoreTest, AccountsAreListedFoundAndChanged) {
  auto [alice, bob] = add_example_accounts();
  auto accounts = must(store().list_accounts());
  ASSERT_EQ(accounts.size(), 2u);
  EXPECT_EQ(accounts[0].address, "alice@example.test");
  EXPECT_EQ(accounts[1].address, "bob@example.test");

  must(store().set_password("alice@Example.Test", "$argon2id$new"));
  auto found = must(store().find_account("alice@example.test"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, alice.id);
  EXPECT_EQ(found->password_hash, "$argon2id$new");
  EXPECT_FALSE(must(store().find_account("carol@example.test")).has_value());

  must(store().remove_account("bob@example.test"));
  EXPECT_FALSE(must(store().find_account("bob@example.test")).has_value());
  EXPECT_EQ(must_fail(store().list_mailboxes(bob.id)).code, Errc::not_found);
}

TEST_P(StoreTest, AliasesAreAddedListedAndRemoved) {
  add_example_accounts();
  Alias sales = must(store().add_alias("Sales@EXAMPLE.test",
                                       {"alice@example.test", "bob@Example.Test", "alice@example.test"}));
  EXPECT_EQ(sales.address, "Sales@example.test");
  EXPECT_EQ(sales.targets, (std::vector<std::string>{"alice@example.test", "bob@example.test"}));
  must(store().add_alias("@example.test", {"alice@example.test"}));

  auto aliases = must(store().list_aliases());
  ASSERT_EQ(aliases.size(), 2u);
  EXPECT_EQ(aliases[0].address, "@example.test");
  EXPECT_EQ(aliases[1].address, "Sales@example.test");
  EXPECT_EQ(aliases[1].targets.size(), 2u);

  must(store().remove_alias("@example.test"));
  EXPECT_EQ(must(store().list_aliases()).size(), 1u);
}

TEST_P(StoreTest, AliasErrors) {
  add_example_accounts();
  EXPECT_EQ(must_fail(store().add_alias("x@remote.test", {"alice@example.test"})).code, Errc::not_found);
  EXPECT_EQ(must_fail(store().add_alias("x@example.test", {})).code, Errc::invalid);
  EXPECT_EQ(must_fail(store().add_alias("x@example.test", {"not an address"})).code, Errc::invalid);
  EXPECT_EQ(must_fail(store().add_alias("x@example.test", {"x@example.test"})).code, Errc::invalid);
  EXPECT_EQ(must_fail(store().add_alias("alice@example.test", {"bob@example.test"})).code, Errc::already_exists);
  must(store().add_alias("x@example.test", {"bob@example.test"}));
  EXPECT_EQ(must_fail(store().add_alias("x@example.test", {"alice@example.test"})).code, Errc::already_exists);
  EXPECT_EQ(must_fail(store().remove_alias("y@example.test")).code, Errc::not_found);
}

TEST_P(StoreTest, ResolveOrderAccountAliasCatchAll) {
  auto [alice, bob] = add_example_accounts();
  must(store().add_alias("team@example.test", {"alice@example.test", "bob@example.test", "friend@remote.test"}));
  must(store().add_alias("@example.test", {"bob@example.test"}));

  Resolution direct = must(store().resolve("alice@EXAMPLE.test"));
  EXPECT_TRUE(direct.local_domain);
  EXPECT_EQ(direct.accounts, std::vector<Id>{alice.id});
  EXPECT_TRUE(direct.external.empty());

  Resolution team = must(store().resolve("team@example.test"));
  EXPECT_EQ(team.accounts, (std::vector<Id>{alice.id, bob.id}));
  EXPECT_EQ(team.external, std::vector<std::string>{"friend@remote.test"});

  Resolution unknown = must(store().resolve("whoever@example.test"));
  EXPECT_EQ(unknown.accounts, std::vector<Id>{bob.id});

  Resolution remote = must(store().resolve("someone@remote.test"));
  EXPECT_FALSE(remote.local_domain);
  EXPECT_FALSE(remote.found());

  EXPECT_EQ(must_fail(store().resolve("garbage")).code, Errc::invalid);
}

TEST_P(StoreTest, ResolveWithoutCatchAllFindsNothing) {
  add_example_accounts();
  Resolution nobody = must(store().resolve("nobody@example.test"));
  EXPECT_TRUE(nobody.local_domain);
  EXPECT_FALSE(nobody.found());
}

TEST_P(StoreTest, ResolveCutsLoopsAndDeepChains) {
  auto [alice, bob] = add_example_accounts();
  must(store().add_alias("a@example.test", {"b@example.test", "alice@example.test"}));
  must(store().add_alias("b@example.test", {"a@example.test", "bob@example.test"}));
  Resolution loop = must(store().resolve("a@example.test"));
  EXPECT_EQ(loop.accounts.size(), 2u);

  // A chain longer than the depth limit stops expanding instead of running forever.
  for (int i = 0; i < 12; ++i) {
    must(store().add_alias("chain" + std::to_string(i) + "@example.test",
                           {"chain" + std::to_string(i + 1) + "@example.test"}));
  }
  must(store().add_alias("chain12@example.test", {"alice@example.test"}));
  Resolution deep = must(store().resolve("chain0@example.test"));
  EXPECT_FALSE(deep.found());
  Resolution shallow = must(store().resolve("chain6@example.test"));
  EXPECT_EQ(shallow.accounts, std::vector<Id>{alice.id});
}

}  // namespace
}  // namespace tern::store::testing
