// Tests for auth/throttle with a fake clock: growing delays, blocking after
// the limit, the sliding window, success resets and bounded memory.
#include "auth/throttle.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace tern::auth {
namespace {

using namespace std::chrono_literals;

struct FakeClock {
  std::chrono::steady_clock::time_point now{std::chrono::hours(1000)};
  LoginThrottle::Clock function() {
    return [this] { return now; };
  }
};

TEST(Throttle, DelayDoublesAndIsCapped) {
  FakeClock clock;
  LoginThrottle throttle({}, clock.function());
  EXPECT_EQ(throttle.record_failure("192.0.2.1", "u@example.com"), 250ms);
  EXPECT_EQ(throttle.record_failure("192.0.2.1", "u@example.com"), 500ms);
  EXPECT_EQ(throttle.record_failure("192.0.2.1", "u@example.com"), 1000ms);
  EXPECT_EQ(throttle.record_failure("192.0.2.1", "u@example.com"), 2000ms);
  EXPECT_EQ(throttle.record_failure("192.0.2.1", "u@example.com"), 4000ms);
  EXPECT_EQ(throttle.record_failure("192.0.2.1", "u@example.com"), 5000ms);
  EXPECT_EQ(throttle.record_failure("192.0.2.1", "u@example.com"), 5000ms);
}

TEST(Throttle, BlocksAddressAfterLimitUntilWindowPasses) {
  FakeClock clock;
  LoginThrottle throttle({}, clock.function());
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(throttle.check("192.0.2.7", "user" + std::to_string(i)).allowed) << i;
    throttle.record_failure("192.0.2.7", "user" + std::to_string(i));
    clock.now += 1s;
  }
  // The first failure was at t=0; it is now t=10s, the window is 300 s.
  auto refused = throttle.check("192.0.2.7", "someone-else");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, 290s);
  EXPECT_FALSE(throttle.check("192.0.2.7", "").allowed);
  // Other addresses are not affected.
  EXPECT_TRUE(throttle.check("192.0.2.8", "user0").allowed);

  clock.now += 289s;
  EXPECT_FALSE(throttle.check("192.0.2.7", "").allowed);
  clock.now += 1s;  // the oldest failure leaves the window
  EXPECT_TRUE(throttle.check("192.0.2.7", "").allowed);
}

TEST(Throttle, OldFailuresStopCounting) {
  FakeClock clock;
  LoginThrottle throttle({}, clock.function());
  for (int i = 0; i < 9; ++i) throttle.record_failure("192.0.2.9", "");
  clock.now += 301s;
  EXPECT_EQ(throttle.record_failure("192.0.2.9", ""), 250ms);
  EXPECT_TRUE(throttle.check("192.0.2.9", "").allowed);
}

TEST(Throttle, BlocksUserAcrossAddresses) {
  FakeClock clock;
  ThrottleOptions options;
  options.max_failures_per_user = 5;
  LoginThrottle throttle(options, clock.function());
  for (int i = 0; i < 5; ++i) throttle.record_failure("198.51.100." + std::to_string(i), "Victim@Example.com");
  auto refused = throttle.check("203.0.113.1", "victim@example.com");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, 300s);
  EXPECT_TRUE(throttle.check("203.0.113.1", "other@example.com").allowed);
  EXPECT_TRUE(throttle.check("203.0.113.1", "").allowed);
}

TEST(Throttle, UserDelayGrowsAcrossAddresses) {
  FakeClock clock;
  LoginThrottle throttle({}, clock.function());
  throttle.record_failure("198.51.100.1", "target@example.com");
  throttle.record_failure("198.51.100.2", "target@example.com");
  EXPECT_EQ(throttle.record_failure("198.51.100.3", "target@example.com"), 1000ms);
}

TEST(Throttle, SuccessClearsTheUserButNotTheAddress) {
  FakeClock clock;
  LoginThrottle throttle({}, clock.function());
  for (int i = 0; i < 3; ++i) throttle.record_failure("192.0.2.20", "me@example.com");
  throttle.record_success("192.0.2.20", "me@example.com");
  EXPECT_EQ(throttle.user_entries(), 0u);
  // The address still has three failures: the next costs the fourth delay.
  EXPECT_EQ(throttle.record_failure("192.0.2.20", "me@example.com"), 2000ms);
  EXPECT_EQ(throttle.record_failure("192.0.2.21", "me@example.com"), 500ms);
}

TEST(Throttle, AddressKeys) {
  EXPECT_EQ(LoginThrottle::address_key("192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(LoginThrottle::address_key("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  EXPECT_EQ(LoginThrottle::address_key("2001:db8:1:2:ffff::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(LoginThrottle::address_key("::ffff:192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(LoginThrottle::address_key("not an address"), "not an address");
  EXPECT_EQ(LoginThrottle::user_key("Alice@EXAMPLE.com"), "alice@example.com");
}

TEST(Throttle, Ipv6PrefixSharesOneCount) {
  FakeClock clock;
  LoginThrottle throttle({}, clock.function());
  for (int i = 0; i < 10; ++i) throttle.record_failure("2001:db8::" + std::to_string(i + 1), "");
  EXPECT_FALSE(throttle.check("2001:db8::ffff", "").allowed);
  EXPECT_TRUE(throttle.check("2001:db8:0:1::1", "").allowed);
}

TEST(Throttle, TablesAreBoundedAndEvictTheLeastRecent) {
  FakeClock clock;
  ThrottleOptions options;
  options.max_entries = 3;
  LoginThrottle throttle(options, clock.function());
  for (int i = 0; i < 10; ++i) throttle.record_failure("192.0.2.1", "");  // blocked
  clock.now += 1s;
  throttle.record_failure("192.0.2.2", "");
  throttle.record_failure("192.0.2.3", "");
  EXPECT_EQ(throttle.address_entries(), 3u);
  EXPECT_FALSE(throttle.check("192.0.2.1", "").allowed);
  throttle.record_failure("192.0.2.4", "");  // evicts 192.0.2.1, the least recently failing
  EXPECT_EQ(throttle.address_entries(), 3u);
  EXPECT_TRUE(throttle.check("192.0.2.1", "").allowed);
  for (int i = 0; i < 100; ++i) throttle.record_failure("198.51.100." + std::to_string(i), "u" + std::to_string(i));
  EXPECT_EQ(throttle.address_entries(), 3u);
  EXPECT_EQ(throttle.user_entries(), 3u);
}

TEST(Throttle, ExpiredEntriesAreDropped) {
  FakeClock clock;
  LoginThrottle throttle({}, clock.function());
  throttle.record_failure("192.0.2.30", "x@example.com");
  EXPECT_EQ(throttle.address_entries(), 1u);
  clock.now += 301s;
  EXPECT_TRUE(throttle.check("192.0.2.30", "x@example.com").allowed);
  EXPECT_EQ(throttle.address_entries(), 0u);
  EXPECT_EQ(throttle.user_entries(), 0u);
}

TEST(Throttle, ConcurrentUseIsSafe) {
  ThrottleOptions options;
  options.max_entries = 50;
  LoginThrottle throttle(options);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&throttle, t] {
      for (int i = 0; i < 500; ++i) {
        std::string address = "10.0." + std::to_string(t) + "." + std::to_string(i % 100);
        (void)throttle.check(address, "u" + std::to_string(i));
        (void)throttle.record_failure(address, "u" + std::to_string(i));
        if (i % 7 == 0) throttle.record_success(address, "u" + std::to_string(i));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_LE(throttle.address_entries(), 50u);
  EXPECT_LE(throttle.user_entries(), 50u);
}

TEST(Throttle, AttemptsInProgressCountAgainstTheLimits) {
  // Parallel sessions: every check is made before any failure is recorded.
  FakeClock clock;
  LoginThrottle throttle({}, clock.function());
  int admitted = 0;
  for (int i = 0; i < 48; ++i)
    if (throttle.check("192.0.2.9", "victim@example.com").allowed) ++admitted;
  EXPECT_EQ(admitted, 10);  // the per-address limit, not 48
  for (int i = 0; i < admitted; ++i) throttle.record_failure("192.0.2.9", "victim@example.com");
  EXPECT_FALSE(throttle.check("192.0.2.9", "victim@example.com").allowed);
  // The owner, elsewhere, is not locked out: ten failures are under the user limit.
  auto owner = throttle.check("198.51.100.1", "victim@example.com");
  EXPECT_TRUE(owner.allowed);
  throttle.record_success("198.51.100.1", "victim@example.com");
}

TEST(Throttle, UnavailableAttemptsStopCounting) {
  FakeClock clock;
  LoginThrottle throttle({}, clock.function());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(throttle.check("192.0.2.10", "u@example.com").allowed);
  EXPECT_FALSE(throttle.check("192.0.2.10", "u@example.com").allowed);
  for (int i = 0; i < 10; ++i) throttle.record_unavailable("192.0.2.10", "u@example.com");
  EXPECT_TRUE(throttle.check("192.0.2.10", "u@example.com").allowed);
}

}  // namespace
}  // namespace tern::auth
