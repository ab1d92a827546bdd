// Fixture helpers of the shared store test suite.
#include "store_test_support.hpp"

#include <atomic>
#include <unistd.h>

namespace tern::store::testing {

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  auto base = std::filesystem::temp_directory_path() /
              ("tern-store-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(base);
  path_ = base.string();
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

NewMessage make_message(const std::string& subject, const std::string& body) {
  NewMessage message;
  std::string header = "From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nSubject: " + subject +
                       "\r\nMessage-ID: <" + subject + "@example.test>\r\n\r\n";
  message.data = header + body + "\r\n";
  message.internal_date = 1700000000;
  message.meta.size = message.data.size();
  message.meta.header_size = header.size();
  message.meta.date = 1700000000;
  message.meta.subject = subject;
  message.meta.from = "Alice <alice@example.test>";
  message.meta.to = "bob@example.test";
  message.meta.message_id = "<" + subject + "@example.test>";
  return message;
}

void StoreTest::SetUp() {
  auto opened = GetParam().open(dir_.path());
  ASSERT_TRUE(opened) << opened.error().message;
  store_ = std::move(opened).value();
}

void StoreTest::TearDown() {
  if (store_) store_->close();
}

void StoreTest::reopen() {
  store_->close();
  store_.reset();
  auto opened = GetParam().open(dir_.path());
  if (!opened) throw std::runtime_error("reopen failed: " + opened.error().message);
  store_ = std::move(opened).value();
}

std::pair<Account, Account> StoreTest::add_example_accounts() {
  must(store_->add_domain("example.test"));
  Account alice = must(store_->add_account("alice@example.test", "$argon2id$alice"));
  Account bob = must(store_->add_account("bob@example.test", "$argon2id$bob"));
  return {alice, bob};
}

Id StoreTest::mailbox_id(Id account_id, const std::string& name) {
  auto mailbox = must(store_->find_mailbox(account_id, name));
  if (!mailbox) throw std::runtime_error("no mailbox " + name);
  return mailbox->id;
}

}  // namespace tern::store::testing
