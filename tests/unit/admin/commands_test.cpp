// The administration verbs (admin/commands.hpp) against a real SQLite store
// in a temporary directory: exact output, error text and exit code (0 done,
// 1 failed, 2 bad input) of each verb, and that what a verb did is what the
// store then holds.
#include "admin/commands.hpp"
#include "admin/dkim.hpp"
#include "admin/dns_check.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <memory>
#include <regex>
#include <sstream>

#include "auth/password.hpp"
#include "core/run_blocking.hpp"
#include "store/prepare_message.hpp"
#include "store/store.hpp"
#include "mailauth/dkim_key.hpp"
#include "support/stub_resolver.hpp"
#include "support/temp_store.hpp"

namespace tern::admin {
namespace {

namespace fs = std::filesystem;

// What one verb printed and returned.
struct Ran {
  int code = -1;
  std::string out;
  std::string err;
};

class AdminCommands : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(store_.open("tern-admin")); }
  void TearDown() override { store_.close(); }

  template <class Verb>
  Ran run(Verb verb) {
    std::ostringstream out, err;
    Ran r;
    r.code = verb(*store_, Output{out, err});
    r.out = out.str();
    r.err = err.str();
    return r;
  }

  // Runs a verb that must succeed and returns what it printed.
  template <class Verb>
  std::string ok(Verb verb) {
    Ran r = run(verb);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    return r.out;
  }

  // Runs a verb that must fail with `code` without printing to `out`; returns what it printed to `err`.
  template <class Verb>
  std::string fails(Verb verb, int code) {
    Ran r = run(verb);
    EXPECT_EQ(r.code, code) << r.err;
    EXPECT_EQ(r.out, "");
    return r.err;
  }

  void add_domain(const std::string& name) {
    ok([&](store::Store& s, Output io) { return domain_add(s, name, io); });
  }
  void add_user(const std::string& address, const std::string& password = "secret-1") {
    ok([&](store::Store& s, Output io) { return user_add(s, address, password, io); });
  }

  std::string password_hash(const std::string& address) {
    auto account = run_blocking(store_->find_account(address));
    if (!account || !*account) return {};
    return (*account)->password_hash;
  }

  // Queues a message from `sender` to `recipients` as a delivery would.
  store::Id enqueue(const std::string& sender, const std::vector<std::string>& recipients) {
    store::Delivery delivery;
    delivery.message = store::prepare_message("Subject: queued\r\n\r\nbody\r\n", 1700000000);
    store::OutboundSpec spec;
    spec.sender = sender;
    for (const auto& r : recipients) spec.recipients.push_back(store::QueueRecipient{r, "", 0, {}, {}});
    delivery.outbound = spec;
    auto delivered = run_blocking(store_->deliver(std::move(delivery)));
    EXPECT_TRUE(delivered) << delivered.error().message;
    if (!delivered || !delivered->queue_id) return 0;
    return *delivered->queue_id;
  }

  tern::testing::TempStore store_;
};

// Timestamps that depend on the wall clock, replaced for exact comparison.
std::string without_times(const std::string& text) {
  static const std::regex time(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)");
  return std::regex_replace(text, time, "TIME");
}

// ---- domains ----

TEST_F(AdminCommands, DomainAddListRemove) {
  EXPECT_EQ(ok([](store::Store& s, Output io) { return domain_list(s, io); }), "");
  // A new domain gets an active Ed25519 and RSA key pair, and says what to publish.
  std::string added = ok([](store::Store& s, Output io) { return domain_add(s, "Example.TEST", io); });
  EXPECT_TRUE(added.starts_with("domain example.test added\ndkim example.test ed")) << added;
  EXPECT_NE(added.find(" ed25519 active\n"), std::string::npos) << added;
  EXPECT_NE(added.find(" rsa active\n"), std::string::npos) << added;
  EXPECT_NE(added.find("._domainkey.example.test. TXT \"v=DKIM1; k=ed25519; p="), std::string::npos) << added;
  EXPECT_TRUE(ok([](store::Store& s, Output io) { return domain_add(s, "b.example", io); })
                  .starts_with("domain b.example added\n"));
  EXPECT_EQ(ok([](store::Store& s, Output io) { return domain_list(s, io); }), "b.example\nexample.test\n");
  EXPECT_EQ(ok([](store::Store& s, Output io) { return domain_remove(s, "EXAMPLE.test", io); }),
            "domain example.test removed\n");
  EXPECT_EQ(ok([](store::Store& s, Output io) { return domain_list(s, io); }), "b.example\n");
}

TEST_F(AdminCommands, DomainDuplicateIsAFailure) {
  add_domain("example.test");
  EXPECT_EQ(fails([](store::Store& s, Output io) { return domain_add(s, "EXAMPLE.TEST", io); }, 1),
            "tern: domain example.test already exists\n");
}

TEST_F(AdminCommands, DomainInvalidIsBadInput) {
  std::string err = fails([](store::Store& s, Output io) { return domain_add(s, "not a domain", io); }, 2);
  EXPECT_TRUE(err.starts_with("tern: invalid domain 'not a domain': ")) << err;
  err = fails([](store::Store& s, Output io) { return domain_remove(s, "", io); }, 2);
  EXPECT_TRUE(err.starts_with("tern: invalid domain '': ")) << err;
  EXPECT_EQ(ok([](store::Store& s, Output io) { return domain_list(s, io); }), "");
}

TEST_F(AdminCommands, DomainRemoveUnknownOrInUse) {
  EXPECT_EQ(fails([](store::Store& s, Output io) { return domain_remove(s, "nowhere.example", io); }, 1),
            "tern: domain nowhere.example does not exist\n");
  add_domain("example.test");
  add_user("alice@example.test");
  EXPECT_EQ(fails([](store::Store& s, Output io) { return domain_remove(s, "example.test", io); }, 1),
            "tern: domain example.test still has 1 account(s) and 0 alias(es)\n");
  EXPECT_EQ(ok([](store::Store& s, Output io) { return domain_list(s, io); }), "example.test\n");
}

// ---- users ----

TEST_F(AdminCommands, UserAddListRemove) {
  add_domain("example.test");
  EXPECT_EQ(ok([](store::Store& s, Output io) { return user_add(s, "Bob@Example.TEST", "pw-bob", io); }),
            "user bob@example.test added\n");
  EXPECT_EQ(ok([](store::Store& s, Output io) { return user_add(s, "alice@example.test", "pw-alice", io); }),
            "user alice@example.test added\n");
  EXPECT_EQ(ok([](store::Store& s, Output io) { return user_list(s, io); }),
            "alice@example.test\nbob@example.test\n");
  EXPECT_TRUE(auth::verify_password("pw-alice", password_hash("alice@example.test")));
  EXPECT_FALSE(auth::verify_password("pw-bob", password_hash("alice@example.test")));
  EXPECT_EQ(ok([](store::Store& s, Output io) { return user_remove(s, "alice@EXAMPLE.test", io); }),
            "user alice@example.test removed\n");
  EXPECT_EQ(ok([](store::Store& s, Output io) { return user_list(s, io); }), "bob@example.test\n");
}

TEST_F(AdminCommands, UserDuplicateIsAFailure) {
  add_domain("example.test");
  add_user("alice@example.test");
  EXPECT_EQ(fails([](store::Store& s, Output io) { return user_add(s, "alice@example.test", "other", io); }, 1),
            "tern: account alice@example.test already exists\n");
  EXPECT_TRUE(auth::verify_password("secret-1", password_hash("alice@example.test"))) << "unchanged";
}

TEST_F(AdminCommands, UserOfUnknownDomain) {
  add_domain("example.test");
  EXPECT_EQ(fails([](store::Store& s, Output io) { return user_add(s, "carol@elsewhere.example", "pw", io); }, 1),
            "tern: domain elsewhere.example is not a local domain\n");
  EXPECT_EQ(ok([](store::Store& s, Output io) { return user_list(s, io); }), "");
}

TEST_F(AdminCommands, UserBadAddressOrPassword) {
  add_domain("example.test");
  for (const std::string bad : {"no-at-sign", "@example.test", "a@@example.test", "a b@example.test", ""}) {
    std::string err = fails([&](store::Store& s, Output io) { return user_add(s, bad, "pw", io); }, 2);
    EXPECT_TRUE(err.starts_with("tern: invalid address '" + bad + "': ")) << err;
  }
  // An empty password is refused by auth::hash_password as invalid, but
  // user_add reports every hashing failure as internal: exit code 1, not 2.
  std::string err = fails([](store::Store& s, Output io) { return user_add(s, "alice@example.test", "", io); }, 1);
  EXPECT_TRUE(err.starts_with("tern: hashing the password failed: ")) << err;
  EXPECT_EQ(ok([](store::Store& s, Output io) { return user_list(s, io); }), "");
}

TEST_F(AdminCommands, PasswordChangeRetiresTheOldPassword) {
  add_domain("example.test");
  add_user("alice@example.test", "old-password");
  const std::string before = password_hash("alice@example.test");
  EXPECT_TRUE(auth::verify_password("old-password", before));
  EXPECT_EQ(ok([](store::Store& s, Output io) { return user_passwd(s, "ALICE@example.test", "new-password", io); }),
            "password of alice@example.test changed\n");
  const std::string after = password_hash("alice@example.test");
  EXPECT_NE(after, before);
  EXPECT_TRUE(auth::verify_password("new-password", after));
  EXPECT_FALSE(auth::verify_password("old-password", after));
}

TEST_F(AdminCommands, PasswordOfUnknownUser) {
  add_domain("example.test");
  EXPECT_EQ(fails([](store::Store& s, Output io) { return user_passwd(s, "nobody@example.test", "pw", io); }, 1),
            "tern: account nobody@example.test does not exist\n");
  fails([](store::Store& s, Output io) { return user_passwd(s, "not an address", "pw", io); }, 2);
}

TEST_F(AdminCommands, UserRemoveUnknown) {
  add_domain("example.test");
  EXPECT_EQ(fails([](store::Store& s, Output io) { return user_remove(s, "nobody@example.test", io); }, 1),
            "tern: account nobody@example.test does not exist\n");
  fails([](store::Store& s, Output io) { return user_remove(s, "nobody", io); }, 2);
}

// ---- aliases ----

TEST_F(AdminCommands, AliasToSeveralTargets) {
  add_domain("example.test");
  add_user("alice@example.test");
  EXPECT_EQ(ok([](store::Store& s, Output io) {
              return alias_add(s, "Team@example.test", {"alice@example.test", "Bob@Remote.EXAMPLE"}, io);
            }),
            "alias team@example.test added\n");
  EXPECT_EQ(ok([](store::Store& s, Output io) { return alias_add(s, "*@example.test", {"alice@example.test"}, io); }),
            "alias *@example.test added\n");
  EXPECT_EQ(ok([](store::Store& s, Output io) { return alias_list(s, io); }),
            "*@example.test -> alice@example.test\nteam@example.test -> alice@example.test, bob@remote.example\n");
  EXPECT_EQ(ok([](store::Store& s, Output io) { return alias_remove(s, "team@EXAMPLE.TEST", io); }),
            "alias team@example.test removed\n");
  EXPECT_EQ(ok([](store::Store& s, Output io) { return alias_remove(s, "*@example.test", io); }),
            "alias *@example.test removed\n");
  EXPECT_EQ(ok([](store::Store& s, Output io) { return alias_list(s, io); }), "");
}

TEST_F(AdminCommands, AliasFailures) {
  add_domain("example.test");
  add_user("alice@example.test");
  ok([](store::Store& s, Output io) { return alias_add(s, "team@example.test", {"alice@example.test"}, io); });

  EXPECT_EQ(
      fails([](store::Store& s, Output io) { return alias_add(s, "team@example.test", {"x@remote.example"}, io); }, 1),
      "tern: alias team@example.test already exists\n");
  EXPECT_EQ(
      fails([](store::Store& s, Output io) { return alias_add(s, "alice@example.test", {"x@remote.example"}, io); }, 1),
      "tern: alice@example.test already exists as an account\n");
  EXPECT_EQ(
      fails([](store::Store& s, Output io) { return alias_add(s, "x@elsewhere.example", {"alice@example.test"}, io); },
            1),
      "tern: domain elsewhere.example is not a local domain\n");
  EXPECT_EQ(fails([](store::Store& s, Output io) { return alias_add(s, "empty@example.test", {}, io); }, 2),
            "tern: an alias needs at least one target\n");
  std::string err = fails(
      [](store::Store& s, Output io) {
        return alias_add(s, "two@example.test", {"alice@example.test", "not-an-address"}, io);
      },
      2);
  EXPECT_TRUE(err.starts_with("tern: invalid address 'not-an-address': ")) << err;
  err = fails([](store::Store& s, Output io) { return alias_add(s, "bad address", {"alice@example.test"}, io); }, 2);
  EXPECT_TRUE(err.starts_with("tern: invalid address 'bad address': ")) << err;
  EXPECT_EQ(
      fails([](store::Store& s, Output io) { return alias_add(s, "loop@example.test", {"loop@example.test"}, io); }, 2),
      "tern: alias loop@example.test cannot point to itself\n");
  EXPECT_EQ(fails([](store::Store& s, Output io) { return alias_remove(s, "nobody@example.test", io); }, 1),
            "tern: alias nobody@example.test does not exist\n");

  EXPECT_EQ(ok([](store::Store& s, Output io) { return alias_list(s, io); }),
            "team@example.test -> alice@example.test\n");
}

// ---- mailboxes ----

TEST_F(AdminCommands, MailboxListAndMessageFetch) {
  add_domain("example.test");
  add_user("alice@example.test");
  auto account = run_blocking(store_->find_account("alice@example.test"));
  ASSERT_TRUE(account && *account);
  store::Delivery delivery;
  const std::string raw = "From: bob@remote.example\r\nSubject: hello\r\n\r\nHi Alice.\r\n";
  delivery.message = store::prepare_message(raw, 1700000000);
  delivery.local.push_back(store::LocalTarget{(*account)->id, "INBOX", 0});
  ASSERT_TRUE(run_blocking(store_->deliver(std::move(delivery))));

  std::string out = ok([](store::Store& s, Output io) { return mailbox_list(s, "Alice@Example.TEST", io); });
  EXPECT_EQ(std::regex_replace(out, std::regex(R"(uidvalidity=\d+ )"), "uidvalidity=N "),
            "INBOX messages=1 uidvalidity=N uidnext=2 highestmodseq=2\n"
            "Archive messages=0 uidvalidity=N uidnext=1 highestmodseq=1 special_use=\\Archive\n"
            "Drafts messages=0 uidvalidity=N uidnext=1 highestmodseq=1 special_use=\\Drafts\n"
            "Junk messages=0 uidvalidity=N uidnext=1 highestmodseq=1 special_use=\\Junk\n"
            "Sent messages=0 uidvalidity=N uidnext=1 highestmodseq=1 special_use=\\Sent\n"
            "Trash messages=0 uidvalidity=N uidnext=1 highestmodseq=1 special_use=\\Trash\n")
      << out;

  EXPECT_EQ(ok([](store::Store& s, Output io) { return message_fetch(s, "alice@example.test", "INBOX", "1", io); }),
            raw);
  EXPECT_EQ(fails([](store::Store& s, Output io) { return message_fetch(s, "alice@example.test", "INBOX", "2", io); },
                  1),
            "tern: no message with UID 2 in INBOX\n");
  EXPECT_EQ(fails([](store::Store& s, Output io) { return message_fetch(s, "alice@example.test", "Nope", "1", io); },
                  1),
            "tern: no mailbox Nope\n");
  for (const std::string bad : {"0", "x", "1x", "", "-1"})
    EXPECT_EQ(
        fails([&](store::Store& s, Output io) { return message_fetch(s, "alice@example.test", "INBOX", bad, io); }, 2),
        "tern: '" + bad + "' is not a UID\n");
  EXPECT_EQ(fails([](store::Store& s, Output io) { return message_fetch(s, "nobody@example.test", "INBOX", "1", io); },
                  1),
            "tern: no account nobody@example.test\n");
  EXPECT_EQ(fails([](store::Store& s, Output io) { return mailbox_list(s, "nobody@example.test", io); }, 1),
            "tern: no account nobody@example.test\n");
  fails([](store::Store& s, Output io) { return mailbox_list(s, "nobody", io); }, 2);
}

// ---- queue ----

TEST_F(AdminCommands, QueueEmpty) {
  EXPECT_EQ(ok([](store::Store& s, Output io) { return queue_list(s, io); }), "queue is empty\n");
  EXPECT_EQ(ok([](store::Store& s, Output io) { return queue_retry(s, std::nullopt, io); }),
            "0 queue entries scheduled for delivery now\n");
}

// The store's clock (system_clock): time() reads a coarser clock that can
// lag it by a tick across a second boundary.
store::UnixTime system_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST_F(AdminCommands, QueueListAndShow) {
  const auto before = system_now();
  store::Id id = enqueue("alice@example.test", {"bob@remote.example", "carol@remote.example"});
  ASSERT_GT(id, 0);
  const auto after = system_now();
  auto entry = run_blocking(store_->queue_get(id));
  ASSERT_TRUE(entry && *entry);
  EXPECT_GE((*entry)->created, before);
  EXPECT_LE((*entry)->created, after);
  const std::string n = std::to_string(id);
  const std::string size = std::to_string((*entry)->size);

  EXPECT_EQ(without_times(ok([](store::Store& s, Output io) { return queue_list(s, io); })),
            n + " from=<alice@example.test> size=" + size + " attempts=0 next=TIME error=-\n"
                "    to=<bob@remote.example> state=pending\n"
                "    to=<carol@remote.example> state=pending\n");
  EXPECT_EQ(without_times(ok([&](store::Store& s, Output io) { return queue_show(s, n, io); })),
            "id: " + n + "\nsender: <alice@example.test>\ncreated: TIME\nattempts: 0\nnext attempt: TIME\n"
            "last error: -\nsize: " + size + "\n"
            "recipient: <bob@remote.example> state=pending\n"
            "recipient: <carol@remote.example> state=pending\n");
}

TEST_F(AdminCommands, QueueShowsAnAttempt) {
  store::Id id = enqueue("", {"bob@remote.example", "carol@remote.example"});
  ASSERT_GT(id, 0);
  const auto now = static_cast<store::UnixTime>(std::time(nullptr));
  auto claimed = run_blocking(store_->queue_claim("node", now, now + 60, 10));
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 1u);
  store::QueueAttempt attempt;
  attempt.id = id;
  attempt.owner = "node";
  attempt.recipients = (*claimed)[0].spec.recipients;
  attempt.recipients[0].state = store::RecipientState::delivered;
  attempt.recipients[0].last_reply = "smtp; 250 ok";
  attempt.recipients[1].last_reply = "smtp; 451 4.3.0 later";
  attempt.attempts = 1;
  attempt.next_attempt = 1700000000;  // 2023-11-14T22:13:20Z
  attempt.last_error = "smtp; 451 4.3.0 later";
  ASSERT_TRUE(run_blocking(store_->queue_record_attempt(attempt)));

  const std::string n = std::to_string(id);
  std::string shown = ok([&](store::Store& s, Output io) { return queue_show(s, n, io); });
  EXPECT_NE(shown.find("sender: <>\n"), std::string::npos) << shown;
  EXPECT_NE(shown.find("attempts: 1\nnext attempt: 2023-11-14T22:13:20Z\nlast error: smtp; 451 4.3.0 later\n"),
            std::string::npos)
      << shown;
  EXPECT_NE(shown.find("recipient: <bob@remote.example> state=delivered reply=smtp; 250 ok\n"
                       "recipient: <carol@remote.example> state=pending reply=smtp; 451 4.3.0 later\n"),
            std::string::npos)
      << shown;
  std::string listed = ok([](store::Store& s, Output io) { return queue_list(s, io); });
  EXPECT_NE(listed.find(" from=<> "), std::string::npos) << listed;
  EXPECT_NE(listed.find(" attempts=1 next=2023-11-14T22:13:20Z error=smtp; 451 4.3.0 later\n"), std::string::npos)
      << listed;

  // Retry makes it due now.
  EXPECT_EQ(ok([&](store::Store& s, Output io) { return queue_retry(s, n, io); }),
            "1 queue entry scheduled for delivery now\n");
  auto entry = run_blocking(store_->queue_get(id));
  ASSERT_TRUE(entry && *entry);
  EXPECT_GE((*entry)->next_attempt, now);
}

TEST_F(AdminCommands, QueueRetryAll) {
  enqueue("alice@example.test", {"bob@remote.example"});
  enqueue("alice@example.test", {"carol@remote.example"});
  EXPECT_EQ(ok([](store::Store& s, Output io) { return queue_retry(s, std::nullopt, io); }),
            "2 queue entries scheduled for delivery now\n");
}

TEST_F(AdminCommands, QueueRemove) {
  store::Id id = enqueue("alice@example.test", {"bob@remote.example"});
  const std::string n = std::to_string(id);
  EXPECT_EQ(ok([&](store::Store& s, Output io) { return queue_remove(s, n, io); }),
            "queue entry " + n + " removed\n");
  EXPECT_EQ(ok([](store::Store& s, Output io) { return queue_list(s, io); }), "queue is empty\n");
  EXPECT_EQ(fails([&](store::Store& s, Output io) { return queue_remove(s, n, io); }, 1),
            "tern: queue entry " + n + " does not exist\n");
}

TEST_F(AdminCommands, QueueUnknownOrBadIds) {
  EXPECT_EQ(fails([](store::Store& s, Output io) { return queue_show(s, "42", io); }, 1), "tern: no queue entry 42\n");
  EXPECT_EQ(fails([](store::Store& s, Output io) { return queue_retry(s, std::string("42"), io); }, 1),
            "tern: queue entry 42 does not exist\n");
  for (const std::string bad : {"0", "-1", "abc", "12x", ""}) {
    const std::string expected = "tern: '" + bad + "' is not a queue id\n";
    EXPECT_EQ(fails([&](store::Store& s, Output io) { return queue_show(s, bad, io); }, 2), expected);
    EXPECT_EQ(fails([&](store::Store& s, Output io) { return queue_retry(s, bad, io); }, 2), expected);
    EXPECT_EQ(fails([&](store::Store& s, Output io) { return queue_remove(s, bad, io); }, 2), expected);
  }
}

TEST(AdminExitCodes, ByErrorKind) {
  EXPECT_EQ(exit_code_for(Error{Errc::invalid, "x"}), 2);
  EXPECT_EQ(exit_code_for(Error{Errc::not_found, "x"}), 1);
  EXPECT_EQ(exit_code_for(Error{Errc::already_exists, "x"}), 1);
  EXPECT_EQ(exit_code_for(Error{Errc::conflict, "x"}), 1);
  EXPECT_EQ(exit_code_for(Error{Errc::internal, "x"}), 1);
}

// ---- DKIM keys and DNS records ----

// "selector algorithm state" of each key of `domain`, from `dkim list`.
std::vector<std::string> key_states(store::Store& s, const std::string& domain) {
  auto keys = run_blocking(s.list_dkim_keys(domain));
  std::vector<std::string> out;
  if (!keys) return out;
  for (const auto& k : *keys) out.push_back(k.selector + " " + k.algorithm + " " + store::dkim_key_state_name(k.state));
  return out;
}

TEST_F(AdminCommands, DkimGenerateRotateAndList) {
  add_domain("example.test");
  auto initial = key_states(*store_, "example.test");
  ASSERT_EQ(initial.size(), 2u);
  EXPECT_TRUE(initial[0].ends_with(" ed25519 active")) << initial[0];
  EXPECT_TRUE(initial[1].ends_with(" rsa active")) << initial[1];

  // A second generate does not replace what signs: it makes a pending pair.
  std::string generated = ok([](store::Store& s, Output io) { return dkim_generate(s, "example.test", io); });
  EXPECT_NE(generated.find("pending"), std::string::npos) << generated;
  auto with_pending = key_states(*store_, "example.test");
  ASSERT_EQ(with_pending.size(), 4u);
  int pending = 0;
  for (const auto& k : with_pending) pending += k.ends_with(" pending");
  EXPECT_EQ(pending, 2);

  // rotate with a pending pair: it becomes active, the old pair retires.
  std::string rotated = ok([](store::Store& s, Output io) { return dkim_rotate(s, "example.test", io); });
  EXPECT_NE(rotated.find("step 2 of 2"), std::string::npos) << rotated;
  int active = 0, retired = 0;
  for (const auto& k : key_states(*store_, "example.test")) {
    active += k.ends_with(" active");
    retired += k.ends_with(" retired");
    if (k.ends_with(" retired")) {
      EXPECT_TRUE(k == initial[0].substr(0, initial[0].find(' ')) + " ed25519 retired" ||
                  k == initial[1].substr(0, initial[1].find(' ')) + " rsa retired")
          << k;
    }
  }
  EXPECT_EQ(active, 2);
  EXPECT_EQ(retired, 2);

  // rotate without one: step 1 makes it and says what to publish.
  std::string step1 = ok([](store::Store& s, Output io) { return dkim_rotate(s, "example.test", io); });
  EXPECT_NE(step1.find("step 1 of 2"), std::string::npos) << step1;
  EXPECT_NE(step1.find("._domainkey.example.test. TXT \"v=DKIM1; k=rsa; p="), std::string::npos) << step1;
  EXPECT_EQ(key_states(*store_, "example.test").size(), 6u);

  std::string listed = ok([](store::Store& s, Output io) { return dkim_list(s, std::string("example.test"), io); });
  EXPECT_NE(listed.find(" rsa active bits=2048 "), std::string::npos) << listed;
  EXPECT_NE(listed.find(" ed25519 retired bits=256 "), std::string::npos) << listed;
}

TEST_F(AdminCommands, DkimAndDnsRefuseUnknownAndInvalidDomains) {
  EXPECT_NE(fails([](store::Store& s, Output io) { return dkim_generate(s, "nowhere.test", io); }, 1)
                .find("not a local domain"),
            std::string::npos);
  fails([](store::Store& s, Output io) { return dkim_rotate(s, "bad..name", io); }, 2);
  fails([](store::Store& s, Output io) { return dkim_list(s, std::string("bad..name"), io); }, 2);
  Config config;
  config.hostname = "mail.example.test";
  fails([&](store::Store& s, Output io) { return dns_records(s, config, "nowhere.test", io); }, 1);
}

TEST_F(AdminCommands, RemovingADomainRemovesItsKeys) {
  add_domain("gone.test");
  EXPECT_EQ(key_states(*store_, "gone.test").size(), 2u);
  ok([](store::Store& s, Output io) { return domain_remove(s, "gone.test", io); });
  EXPECT_EQ(key_states(*store_, "").size(), 0u);
}

TEST_F(AdminCommands, DnsPrintsTheRecordsOfTheListenersAndKeys) {
  add_domain("example.test");
  Config config;
  config.hostname = "mail.example.test";
  config.listeners = {{Protocol::smtp, "0.0.0.0", 25},   {Protocol::submission, "0.0.0.0", 587},
                      {Protocol::imaps, "0.0.0.0", 993}, {Protocol::imap, "0.0.0.0", 143},
                      {Protocol::imaps, "::", 993}};
  std::string out = ok([&](store::Store& s, Output io) { return dns_records(s, config, "example.test", io); });
  EXPECT_NE(out.find("example.test. MX 10 mail.example.test.\n"), std::string::npos) << out;
  EXPECT_NE(out.find("_submission._tcp.example.test. SRV 0 1 587 mail.example.test.\n"), std::string::npos);
  EXPECT_NE(out.find("_imaps._tcp.example.test. SRV 0 1 993 mail.example.test.\n"), std::string::npos);
  EXPECT_EQ(out.find("_imaps._tcp", out.find("_imaps._tcp") + 1), std::string::npos) << "one SRV per service";
  EXPECT_EQ(out.find("_pop3"), std::string::npos) << "no POP3 listener, no POP3 record";
  for (const auto& k : key_states(*store_, "example.test"))
    EXPECT_NE(out.find(k.substr(0, k.find(' ')) + "._domainkey.example.test. TXT \"v=DKIM1;"), std::string::npos);
}

TEST_F(AdminCommands, DnsCheckSaysWhatIsInPlaceMissingOrWrong) {
  add_domain("example.test");
  Config config;
  config.hostname = "mail.example.test";
  test::StubResolver dns;
  dns.mx["example.test"] = {{10, "mail.example.test"}};
  dns.a["mail.example.test"] = {"192.0.2.1"};
  dns.ptr["1.2.0.192.in-addr.arpa"] = {"mail.example.test"};
  dns.txt["example.test"] = {"v=spf1 mx -all"};
  dns.txt["_dmarc.example.test"] = {"v=DMARC1; p=reject; rua=mailto:postmaster@example.test"};
  auto keys = run_blocking(store_->list_dkim_keys("example.test"));
  ASSERT_TRUE(keys);
  ASSERT_EQ(keys->size(), 2u);
  for (const auto& k : *keys)
    dns.txt[k.selector + "._domainkey.example.test"] = {dkim::PrivateKey::from_pem(k.private_key)->dns_record()};

  Ran good = run([&](store::Store& s, Output io) { return dns_check(s, config, "example.test", dns, io); });
  EXPECT_EQ(good.code, 0) << good.out << good.err;
  EXPECT_NE(good.out.find("ok       MX       example.test: MX mail.example.test"), std::string::npos) << good.out;
  EXPECT_NE(good.out.find("ok       PTR      192.0.2.1: mail.example.test"), std::string::npos) << good.out;
  EXPECT_NE(good.out.find("ok       SPF      example.test: pass for 192.0.2.1"), std::string::npos) << good.out;
  EXPECT_NE(good.out.find("ok       DMARC    _dmarc.example.test: p=reject"), std::string::npos) << good.out;
  EXPECT_NE(good.out.find("missing  TLS-RPT"), std::string::npos) << "optional, and does not fail the check";
  EXPECT_NE(good.out.find("Every record mail needs is in place."), std::string::npos);

  // SPF that leaves the host out, a key not published, another key
  // published wrong, no reverse record, no DMARC.
  dns.txt["example.test"] = {"v=spf1 ip4:198.51.100.0/24 -all"};
  dns.txt.erase((*keys)[0].selector + "._domainkey.example.test");
  dns.txt[(*keys)[1].selector + "._domainkey.example.test"] = {"v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOC"};
  dns.ptr.clear();
  dns.txt.erase("_dmarc.example.test");
  Ran bad = run([&](store::Store& s, Output io) { return dns_check(s, config, "example.test", dns, io); });
  EXPECT_EQ(bad.code, 1) << bad.out;
  EXPECT_NE(bad.out.find("wrong    SPF      example.test: fail for 192.0.2.1"), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("missing  DKIM     " + (*keys)[0].selector + "._domainkey.example.test (active): publish:"),
            std::string::npos)
      << bad.out;
  EXPECT_NE(bad.out.find("wrong    DKIM     " + (*keys)[1].selector + "._domainkey.example.test (active): the "
                                                                    "published key is not this server's"),
            std::string::npos)
      << bad.out;
  EXPECT_NE(bad.out.find("missing  PTR      192.0.2.1: no PTR record"), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("missing  DMARC"), std::string::npos) << bad.out;

  // A domain that is not ours is an error, not a report.
  EXPECT_NE(fails([&](store::Store& s, Output io) { return dns_check(s, config, "other.test", dns, io); }, 1)
                .find("not a local domain"),
            std::string::npos);
}

TEST(AdminTxt, LongValuesAreSplitIntoStringsOf255) {
  EXPECT_EQ(txt_strings("v=spf1 -all"), "\"v=spf1 -all\"");
  EXPECT_EQ(txt_strings("a\"b\\"), "\"a\\\"b\\\\\"");
  std::string long_value(600, 'x');
  EXPECT_EQ(txt_strings(long_value),
            "\"" + std::string(255, 'x') + "\" \"" + std::string(255, 'x') + "\" \"" + std::string(90, 'x') + "\"");
}

}  // namespace
}  // namespace tern::admin
