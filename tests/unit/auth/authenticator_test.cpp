// Tests for auth/authenticator over an in-memory account table: right and
// wrong passwords, unknown users indistinguishable from wrong passwords,
// store failures passed on, rehashing of legacy hashes, hashing off the
// caller's thread.
#include "auth/authenticator.hpp"

#include <gtest/gtest.h>

#include <map>
#include <thread>
#include <tuple>

#include "core/run_blocking.hpp"

namespace tern::auth {
namespace {

using store::Task;

// Only the account calls are backed; the rest report that the test does not use them.
class AccountsOnlyStore final : public store::Store {
 public:
  std::map<std::string, store::Account> accounts;
  std::vector<std::string> lookups;
  bool fail_lookups = false;
  bool fail_set_password = false;

  void add(std::string address, std::string hash) {
    store::Account account;
    account.id = static_cast<store::Id>(accounts.size() + 1);
    account.address = address;
    account.password_hash = std::move(hash);
    accounts[std::move(address)] = std::move(account);
  }

  Task<std::optional<store::Account>> find_account(std::string address) override {
    lookups.push_back(address);
    if (fail_lookups) co_return make_error(Errc::io, "disk on fire");
    auto it = accounts.find(address);
    if (it == accounts.end()) co_return std::optional<store::Account>();
    co_return std::optional<store::Account>(it->second);
  }
  Task<void> set_password(std::string address, std::string password_hash) override {
    if (fail_set_password) co_return make_error(Errc::unavailable, "database busy");
    auto it = accounts.find(address);
    if (it == accounts.end()) co_return make_error(Errc::not_found, "no such account");
    it->second.password_hash = std::move(password_hash);
    co_return Result<void>();
  }

  static Error unused() { return make_error(Errc::internal, "not used by this test"); }
  Task<store::Domain> add_domain(std::string) override { co_return unused(); }
  Task<void> remove_domain(std::string) override { co_return unused(); }
  Task<std::vector<store::Domain>> list_domains() override { co_return unused(); }
  Task<std::optional<store::Domain>> find_domain(std::string) override { co_return unused(); }
  Task<std::vector<store::DkimKey>> list_dkim_keys(std::string) override { co_return unused(); }
  Task<store::DkimKey> add_dkim_key(store::DkimKey) override { co_return unused(); }
  Task<void> activate_dkim_keys(std::string) override { co_return unused(); }
  Task<store::Account> add_account(std::string, std::string) override { co_return unused(); }
  Task<void> remove_account(std::string) override { co_return unused(); }
  Task<std::vector<store::Account>> list_accounts() override { co_return unused(); }
  Task<store::Alias> add_alias(std::string, std::vector<std::string>) override { co_return unused(); }
  Task<void> remove_alias(std::string) override { co_return unused(); }
  Task<std::vector<store::Alias>> list_aliases() override { co_return unused(); }
  Task<store::Resolution> resolve(std::string) override { co_return unused(); }
  Task<std::vector<store::Mailbox>> list_mailboxes(store::Id) override { co_return unused(); }
  Task<std::optional<store::Mailbox>> find_mailbox(store::Id, std::string) override { co_return unused(); }
  Task<store::Mailbox> create_mailbox(store::Id, std::string, std::string) override { co_return unused(); }
  Task<store::DeliveryResult> deliver(store::Delivery) override { co_return unused(); }
  Task<store::Placement> append(store::Id, store::NewMessage, std::uint32_t, std::vector<std::string>) override {
    co_return unused();
  }
  Task<std::vector<store::MailEntry>> list_entries(store::Id) override { co_return unused(); }
  Task<std::string> read_message(store::Id) override { co_return unused(); }
  Task<store::MessageMeta> message_meta(store::Id) override { co_return unused(); }
  Task<std::vector<store::MailEntry>> store_flags(store::Id, std::vector<std::uint32_t>, store::FlagMode,
                                                  std::uint32_t, std::vector<std::string>) override {
    co_return unused();
  }
  Task<std::vector<std::uint32_t>> expunge(store::Id, std::vector<std::uint32_t>) override { co_return unused(); }
  Task<void> rename_mailbox(store::Id, std::string, std::string) override { co_return unused(); }
  Task<void> delete_mailbox(store::Id, std::string) override { co_return unused(); }
  Task<void> set_subscribed(store::Id, std::string, bool) override { co_return unused(); }
  Task<store::MailboxStatus> mailbox_status(store::Id, store::Id) override { co_return unused(); }
  Task<std::uint32_t> claim_recent(store::Id, std::uint32_t) override { co_return unused(); }
  Task<std::string> message_structure(store::Id) override { co_return unused(); }
  Task<store::MessageForFetch> message_for_fetch(store::Id) override { co_return unused(); }
  Task<std::vector<store::UidMapping>> copy_entries(store::Id, store::Id, std::vector<std::uint32_t>,
                                                    store::Id) override {
    co_return unused();
  }
  Task<std::vector<store::UidMapping>> move_entries(store::Id, store::Id, std::vector<std::uint32_t>,
                                                    store::Id) override {
    co_return unused();
  }
  Task<store::MailboxChanges> changes_since(store::Id, store::Id, std::uint64_t) override { co_return unused(); }
  store::ChangeHub& change_hub() override { return hub_; }
  Task<std::vector<store::QueueEntry>> queue_list() override { co_return unused(); }
  Task<std::optional<store::QueueEntry>> queue_get(store::Id) override { co_return unused(); }
  Task<void> queue_remove(store::Id) override { co_return unused(); }
  Task<std::uint32_t> queue_retry(std::optional<store::Id>, store::UnixTime) override { co_return unused(); }
  Task<std::vector<store::QueueEntry>> queue_claim(std::string, store::UnixTime, store::UnixTime,
                                                   std::uint32_t) override {
    co_return unused();
  }
  Task<std::uint32_t> queue_release(std::string) override { co_return unused(); }
  Task<void> queue_record_attempt(store::QueueAttempt) override { co_return unused(); }
  void close() override {}

 private:
  store::ChangeHub hub_;
};

constexpr Argon2Cost cheap{1, 64, 1};
constexpr const char* sha512_secret =
    "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1";

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AuthenticatorOptions options;
    options.cost = cheap;
    auto created = Authenticator::create(options);
    ASSERT_TRUE(created) << created.error().message;
    authenticator = std::move(*created);
    auto hash = hash_password("right password", cheap);
    ASSERT_TRUE(hash);
    store.add("alice@example.com", *hash);
  }

  Result<store::Account> login(std::string_view user, std::string_view password) {
    return run_blocking(authenticator->authenticate(store, user, password));
  }

  AccountsOnlyStore store;
  std::unique_ptr<Authenticator> authenticator;
};

TEST_F(AuthenticatorTest, RightPassword) {
  auto account = login("alice@example.com", "right password");
  ASSERT_TRUE(account) << account.error().message;
  EXPECT_EQ(account->address, "alice@example.com");
  EXPECT_EQ(account->id, 1);
}

TEST_F(AuthenticatorTest, UserNameIsCanonicalised) {
  auto account = login("ALICE@Example.COM", "right password");
  ASSERT_TRUE(account) << account.error().message;
  EXPECT_EQ(store.lookups.back(), "alice@example.com");
}

TEST_F(AuthenticatorTest, WrongPasswordUnknownUserAndBadNameLookAlike) {
  // One message, one argon2id verification each; only the code (which the
  // login throttle reads and no client sees) tells a wrong password from a
  // name that is no account.
  const std::tuple<const char*, const char*, Errc> attempts[] = {
      {"alice@example.com", "wrong password", Errc::invalid},
      {"alice@example.com", "", Errc::invalid},
      {"nobody@example.com", "right password", Errc::not_found},
      {"alice", "right password", Errc::not_found},
      {"", "right password", Errc::not_found},
      {"alice@example.com\r\nRCPT", "right password", Errc::not_found},
  };
  for (const auto& [user, password, code] : attempts) {
    const auto before = authenticator->slow_verifications();
    auto r = login(user, password);
    ASSERT_FALSE(r) << user;
    EXPECT_EQ(r.error().code, code) << user;
    EXPECT_EQ(r.error().message, authentication_failed) << user;
    EXPECT_EQ(authenticator->slow_verifications(), before + 1) << user;
  }
}

TEST_F(AuthenticatorTest, StoreFailureIsNotAnAuthenticationFailure) {
  store.fail_lookups = true;
  auto r = login("alice@example.com", "right password");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::io);
}

TEST_F(AuthenticatorTest, LegacyHashIsUpgradedAtLogin) {
  store.add("bob@example.com", std::string("{SHA512-CRYPT}") + sha512_secret);
  auto account = login("bob@example.com", "secret");
  ASSERT_TRUE(account) << account.error().message;
  EXPECT_TRUE(account->password_hash.starts_with("$argon2id$"));
  const std::string& saved = store.accounts["bob@example.com"].password_hash;
  EXPECT_TRUE(saved.starts_with("$argon2id$v=19$m=64,t=1,p=1$")) << saved;
  EXPECT_TRUE(verify_password("secret", saved));
  EXPECT_TRUE(login("bob@example.com", "secret"));
  EXPECT_FALSE(login("bob@example.com", "Secret"));
}

TEST_F(AuthenticatorTest, FailedUpgradeStillLogsIn) {
  store.add("carol@example.com", sha512_secret);
  store.fail_set_password = true;
  auto account = login("carol@example.com", "secret");
  ASSERT_TRUE(account) << account.error().message;
  EXPECT_EQ(store.accounts["carol@example.com"].password_hash, sha512_secret);
}

TEST_F(AuthenticatorTest, CurrentHashIsLeftAlone) {
  std::string before = store.accounts["alice@example.com"].password_hash;
  ASSERT_TRUE(login("alice@example.com", "right password"));
  EXPECT_EQ(store.accounts["alice@example.com"].password_hash, before);
}

TEST_F(AuthenticatorTest, HashingRunsOffTheCallersThread) {
  auto caller = std::this_thread::get_id();
  auto worker = run_blocking(authenticator->offload([] { return std::this_thread::get_id(); }));
  EXPECT_NE(worker, caller);
  auto hash = run_blocking(authenticator->hash("new password"));
  ASSERT_TRUE(hash) << hash.error().message;
  EXPECT_TRUE(verify_password("new password", *hash));
}

TEST(AuthenticatorCreate, RefusesAnUnusableCost) {
  AuthenticatorOptions options;
  options.cost = Argon2Cost{0, 64, 1};
  auto created = Authenticator::create(options);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, Errc::invalid);
}

}  // namespace
}  // namespace tern::auth

namespace tern::auth {
namespace {

TEST_F(AuthenticatorTest, VerifiedCredentialsAreCached) {
  ASSERT_TRUE(login("alice@example.com", "right password"));
  const auto after_first = authenticator->slow_verifications();
  ASSERT_TRUE(login("alice@example.com", "right password"));
  ASSERT_TRUE(login("ALICE@example.com", "right password"));
  EXPECT_EQ(authenticator->slow_verifications(), after_first);
  // A wrong password is never answered from the cache.
  EXPECT_FALSE(login("alice@example.com", "wrong password"));
  EXPECT_EQ(authenticator->slow_verifications(), after_first + 1);
}

TEST_F(AuthenticatorTest, PasswordChangeInvalidatesTheCache) {
  ASSERT_TRUE(login("alice@example.com", "right password"));
  auto fresh = hash_password("new password", cheap);
  ASSERT_TRUE(fresh);
  store.accounts["alice@example.com"].password_hash = *fresh;
  EXPECT_FALSE(login("alice@example.com", "right password"));
  EXPECT_TRUE(login("alice@example.com", "new password"));
}

TEST_F(AuthenticatorTest, CacheCanBeTurnedOff) {
  AuthenticatorOptions options;
  options.cost = cheap;
  options.cache_ttl = std::chrono::seconds(0);
  auto created = Authenticator::create(options);
  ASSERT_TRUE(created);
  ASSERT_TRUE(run_blocking((*created)->authenticate(store, "alice@example.com", "right password")));
  ASSERT_TRUE(run_blocking((*created)->authenticate(store, "alice@example.com", "right password")));
  EXPECT_EQ((*created)->slow_verifications(), 2u);
}

}  // namespace
}  // namespace tern::auth
