// The scheduler end to end over a real store, with a DNS of the test's own:
// a destination that does not exist and one that takes no mail (null MX)
// are bounced at the first attempt, a DNS failure is retried later, and the
// notices reach the sender's INBOX. No network is touched.
#include "queue/scheduler.hpp"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <map>

#include "core/run_blocking.hpp"
#include "store/prepare_message.hpp"
#include "support/temp_store.hpp"

namespace tern::queue {
namespace {

class FakeDns final : public dns::Resolver {
 public:
  std::map<std::string, Result<dns::DnsAnswer>> mx;
  std::vector<std::string> asked;

  asio::awaitable<Result<dns::DnsAnswer>> lookup_mx(std::string domain) override {
    asked.push_back(domain);
    auto it = mx.find(domain);
    if (it == mx.end()) co_return make_error(Errc::unavailable, "no such test zone");
    co_return it->second;
  }
  asio::awaitable<Result<dns::DnsAnswer>> lookup_addresses(std::string) override {
    co_return make_error(Errc::unavailable, "addresses are not served in this test");
  }
  asio::awaitable<Result<dns::DnsAnswer>> lookup_txt(std::string) override { co_return dns::DnsAnswer{}; }
  asio::awaitable<Result<dns::DnsAnswer>> lookup_a(std::string) override { co_return dns::DnsAnswer{}; }
  asio::awaitable<Result<dns::DnsAnswer>> lookup_aaaa(std::string) override { co_return dns::DnsAnswer{}; }
  asio::awaitable<Result<dns::DnsAnswer>> lookup_ptr(std::string) override { co_return dns::DnsAnswer{}; }
};

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(store_.open("tern-scheduler"));
    config_.hostname = "mail.example.test";
    config_.data_dir = store_.dir();
    config_.queue.retry = {std::chrono::seconds(3600)};
    ASSERT_TRUE(run_blocking(store_->add_domain("example.test")));
    store_.add_account("alice@example.test", "alice-pw");
    dns_ = std::make_shared<FakeDns>();
    dns::DnsAnswer nx;
    nx.nxdomain = true;
    dns_->mx["nx.example"] = nx;
    dns::DnsAnswer null_mx;
    null_mx.mx.push_back(dns::MxRecord{0, ""});
    dns_->mx["nullmx.example"] = null_mx;
    dns_->mx["servfail.example"] = make_error(Errc::unavailable, "SERVFAIL");
  }
  void TearDown() override { store_.close(); }

  void enqueue(const std::vector<std::string>& recipients) {
    store::Delivery delivery;
    delivery.message =
        store::prepare_message("From: alice@example.test\r\nSubject: outbound\r\n\r\nhello\r\n", 1700000000);
    store::OutboundSpec spec;
    spec.sender = "alice@example.test";
    for (const auto& r : recipients) spec.recipients.push_back(store::QueueRecipient{r, "", 0, {}, {}});
    delivery.outbound = spec;
    ASSERT_TRUE(run_blocking(store_->deliver(std::move(delivery))));
  }

  // Runs the scheduler until `done` holds or `limit` passes, then stops it.
  template <class Done>
  void run_until(Done done, std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
    SchedulerOptions options;
    options.poll = std::chrono::milliseconds(20);
    options.resolver = dns_;
    auto scheduler = Scheduler::create(config_, *store_, io_, options);
    ASSERT_TRUE(scheduler) << scheduler.error().message;
    (*scheduler)->start();
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) io_.run_for(std::chrono::milliseconds(50));
    bool stopped = false;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          co_await (*scheduler)->stop(std::chrono::steady_clock::now() + std::chrono::seconds(2));
          stopped = true;
        },
        asio::detached);
    while (!stopped) io_.run_for(std::chrono::milliseconds(50));
  }

  std::vector<std::string> inbox() {
    std::vector<std::string> out;
    auto account = run_blocking(store_->find_account("alice@example.test"));
    auto mailbox = run_blocking(store_->find_mailbox((*account)->id, "INBOX"));
    auto entries = run_blocking(store_->list_entries((*mailbox)->id));
    for (const auto& e : *entries) out.push_back(run_blocking(store_->read_message(e.message_id)).value());
    return out;
  }

  tern::testing::TempStore store_;
  Config config_;
  asio::io_context io_;
  std::shared_ptr<FakeDns> dns_;
};

TEST_F(SchedulerTest, NonexistentAndNullMxDestinationsBounceAtOnce) {
  enqueue({"bob@nx.example", "carol@nullmx.example"});
  run_until([&] { return !inbox().empty(); });
  auto notices = inbox();
  ASSERT_EQ(notices.size(), 1u) << "one notice for both recipients";
  const std::string& n = notices[0];
  EXPECT_NE(n.find("Final-Recipient: rfc822; bob@nx.example"), std::string::npos) << n;
  EXPECT_NE(n.find("Status: 5.1.2"), std::string::npos) << n;
  EXPECT_NE(n.find("Final-Recipient: rfc822; carol@nullmx.example"), std::string::npos) << n;
  EXPECT_NE(n.find("Status: 5.1.10"), std::string::npos) << n;
  EXPECT_TRUE(run_blocking(store_->queue_list())->empty()) << "nothing is left to deliver";
}

TEST_F(SchedulerTest, ADnsFailureIsRetriedLaterAndBouncesNothing) {
  enqueue({"dave@servfail.example"});
  run_until([&] {
    auto queued = run_blocking(store_->queue_list());
    return queued && !queued->empty() && queued->front().attempts > 0;
  });
  auto queued = run_blocking(store_->queue_list());
  ASSERT_TRUE(queued);
  ASSERT_EQ(queued->size(), 1u);
  EXPECT_EQ(queued->front().attempts, 1u);
  EXPECT_GT(queued->front().next_attempt, queued->front().created + 3000) << "the configured retry, an hour";
  EXPECT_EQ(queued->front().spec.recipients.at(0).state, store::RecipientState::pending);
  EXPECT_TRUE(inbox().empty());
  EXPECT_EQ(dns_->asked, std::vector<std::string>{"servfail.example"});
}

}  // namespace
}  // namespace tern::queue
