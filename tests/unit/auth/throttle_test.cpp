// Tests for auth/throttle with a fake clock: growing delays, blocking after
// the limit, the sliding window, attempts in progress (bounded, never
// blocking), per-account keys, unknown users, trusted networks and bounded
// memory.
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
    EXPECT_TRUE(throttle.check("192.0.2.7", "user" + std::to_string(i)).allowed()) << i;
    throttle.record_failure("192.0.2.7", "user" + std::to_string(i));
    clock.now += 1s;
  }
  // The first failure was at t=0; it is now t=10s, the window is 300 s.
  auto refused = throttle.check("192.0.2.7", "someone-else");
  EXPECT_FALSE(refused.allowed());
  EXPECT_EQ(refused.retry_after, 290s);
  EXPECT_FALSE(throttle.check("192.0.2.7", "").allowed());
  // Other addresses are not affected.
  EXPECT_TRUE(throttle.check("192.0.2.8", "user0").allowed());

  clock.now += 289s;
  EXPECT_FALSE(throttle.check("192.0.2.7", "").allowed());
  clock.now += 1s;  // the oldest failure leaves the window
  EXPECT_TRUE(throttle.check("192.0.2.7", "").allowed());
}

TEST(Throttle, OldFailuresStopCounting) {
  FakeClock clock;
  LoginThrottle throttle({}, clock.function());
  for (int i = 0; i < 9; ++i) throttle.record_failure("192.0.2.9", "");
  clock.now += 301s;
  EXPECT_EQ(throttle.record_failure("192.0.2.9", ""), 250ms);
  EXPECT_TRUE(throttle.check("192.0.2.9", "").allowed());
}

TEST(Throttle, BlocksUserAcrossAddresses) {
  FakeClock clock;
  ThrottleOptions options;
  options.max_failures_per_user = 5;
  LoginThrottle throttle(options, clock.function());
  for (int i = 0; i < 5; ++i) throttle.record_failure("198.51.100." + std::to_string(i), "Victim@Example.com");
  auto refused = throttle.check("203.0.113.1", "victim@example.com");
  EXPECT_FALSE(refused.allowed());
  EXPECT_EQ(refused.retry_after, 300s);
  EXPECT_TRUE(throttle.check("203.0.113.1", "other@example.com").allowed());
  EXPECT_TRUE(throttle.check("203.0.113.1", "").allowed());
}

TEST(Throttle, UserDelayGrowsAcrossAddresses) {
  FakeClock clock;
  LoginThrottle throttle({}, clock.function());
  throttle.record_failure("198.51.100.1", "target@example.com");
  throttle.record_failure("198.51.100.2", "target@example.com");
  EXPECT_EQ(throttle.record_failure("198.51.100.3", "target@example.com"), 1000ms);
}

TEST(Throttle, OwnersLoginsDoNotResetTheGuessesAgainstTheAccount) {
  // The reported case: 32 wrong passwords for alice from 4 addresses in
  // under 5 minutes while her own client logged in every minute or so.
  // A success used to clear the account's failures, so the count never
  // reached the limit of 30 and the guessing went on.
  FakeClock clock;
  LoginThrottle throttle({}, clock.function());
  int checked = 0;
  for (int i = 0; i < 32; ++i) {
    const std::string guesser = "198.51.100." + std::to_string(1 + i % 4);
    if (throttle.check(guesser, "alice@example.test").allowed()) {
      throttle.record_failure(guesser, "alice@example.test");
      ++checked;
    }
    clock.now += 8s;
    if (i == 7 || i == 15 || i == 23) {  // the owner's client, about once a minute
      ASSERT_TRUE(throttle.check("203.0.113.9", "alice@example.test").allowed()) << i;
      throttle.record_success("203.0.113.9", "alice@example.test");
    }
  }
  EXPECT_EQ(checked, 30);  // the limit, not 32
  auto refused = throttle.check("198.51.100.77", "alice@example.test");
  EXPECT_EQ(refused.status, AdmissionStatus::blocked);
  // The first counted failure was at t=0, it is now t=256 s: blocked for 44 s more.
  EXPECT_EQ(refused.retry_after, 44s);
}

TEST(Throttle, SuccessKeepsTheAddressCountToo) {
  FakeClock clock;
  LoginThrottle throttle({}, clock.function());
  for (int i = 0; i < 3; ++i) throttle.record_failure("192.0.2.20", "me@example.com");
  ASSERT_TRUE(throttle.check("192.0.2.20", "me@example.com").allowed());
  throttle.record_success("192.0.2.20", "me@example.com");
  EXPECT_EQ(throttle.user_entries(), 1u);
  // The address and the account still have three failures: the next costs the fourth delay.
  EXPECT_EQ(throttle.record_failure("192.0.2.20", "me@example.com"), 2000ms);
  EXPECT_EQ(throttle.record_failure("192.0.2.21", "me@example.com"), 4000ms);
}

TEST(Throttle, EverySpellingOfAnAccountIsOneKey) {
  // Spellings the store takes for one account must not each get 30 guesses.
  FakeClock clock;
  ThrottleOptions options;
  options.max_failures_per_user = 4;
  LoginThrottle throttle(options, clock.function());
  const char* spellings[] = {"alice@example.test", "ALICE@Example.TEST", "\"alice\"@example.test",
                             "\"\\a\\lice\"@EXAMPLE.test"};
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(throttle.check("198.51.100." + std::to_string(i), spellings[i]).allowed()) << spellings[i];
    throttle.record_failure("198.51.100." + std::to_string(i), spellings[i]);
  }
  EXPECT_EQ(throttle.user_entries(), 1u);
  for (const char* spelling : spellings)
    EXPECT_EQ(throttle.check("203.0.113.1", spelling).status, AdmissionStatus::blocked) << spelling;
}

TEST(Throttle, Ipv6PrefixSharesOneCount) {
  FakeClock clock;
  LoginThrottle throttle({}, clock.function());
  for (int i = 0; i < 10; ++i) throttle.record_failure("2001:db8::" + std::to_string(i + 1), "");
  EXPECT_FALSE(throttle.check("2001:db8::ffff", "").allowed());
  EXPECT_TRUE(throttle.check("2001:db8:0:1::1", "").allowed());
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
  EXPECT_FALSE(throttle.check("192.0.2.1", "").allowed());
  throttle.record_failure("192.0.2.4", "");  // evicts 192.0.2.1, the least recently failing
  EXPECT_EQ(throttle.address_entries(), 3u);
  EXPECT_TRUE(throttle.check("192.0.2.1", "").allowed());
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
  EXPECT_TRUE(throttle.check("192.0.2.30", "x@example.com").allowed());
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

TEST(Throttle, AttemptsInProgressNeverBlock) {
  // Fifty clients behind one address log in at once with the right
  // password: none is refused. At most the limit are checked at a time;
  // the others wait for their turn.
  FakeClock clock;
  LoginThrottle throttle({}, clock.function());
  int waiting = 50;
  int logged_in = 0;
  while (waiting > 0) {
    int admitted = 0;
    for (int i = 0; i < waiting; ++i) {
      auto admission = throttle.check("192.0.2.9", "user" + std::to_string(i) + "@example.com");
      ASSERT_NE(admission.status, AdmissionStatus::blocked);
      if (admission.allowed()) ++admitted;
    }
    EXPECT_EQ(admitted, std::min(waiting, 10));
    for (int i = 0; i < admitted; ++i) throttle.record_success("192.0.2.9", "user" + std::to_string(i) + "@example.com");
    logged_in += admitted;
    waiting -= admitted;
  }
  EXPECT_EQ(logged_in, 50);
  EXPECT_EQ(throttle.address_entries(), 0u);
  EXPECT_EQ(throttle.check("192.0.2.9", "user0@example.com").status, AdmissionStatus::admitted);
}

TEST(Throttle, ParallelGuessesGetNoMoreChecksThanTheLimit) {
  // Parallel sessions: every check is made before any failure is recorded.
  FakeClock clock;
  LoginThrottle throttle({}, clock.function());
  int admitted = 0;
  for (int i = 0; i < 48; ++i) {
    auto admission = throttle.check("192.0.2.9", "victim@example.com");
    EXPECT_NE(admission.status, AdmissionStatus::blocked);  // nothing has failed yet
    if (admission.allowed()) ++admitted;
  }
  EXPECT_EQ(admitted, 10);  // the per-address limit, not 48
  for (int i = 0; i < admitted; ++i) throttle.record_failure("192.0.2.9", "victim@example.com");
  // The 38 waiting attempts, asking again, are now blocked.
  EXPECT_EQ(throttle.check("192.0.2.9", "victim@example.com").status, AdmissionStatus::blocked);
  // The owner, elsewhere, is not locked out: ten failures are under the account's limit.
  auto owner = throttle.check("198.51.100.1", "victim@example.com");
  EXPECT_TRUE(owner.allowed());
  throttle.record_success("198.51.100.1", "victim@example.com");
}

TEST(Throttle, FailuresLeaveFewerTurns) {
  FakeClock clock;
  LoginThrottle throttle({}, clock.function());
  for (int i = 0; i < 7; ++i) throttle.record_failure("192.0.2.11", "");
  int admitted = 0;
  for (int i = 0; i < 20; ++i)
    if (throttle.check("192.0.2.11", "u" + std::to_string(i) + "@example.com").allowed()) ++admitted;
  EXPECT_EQ(admitted, 3);
}

TEST(Throttle, UnavailableAttemptsStopCounting) {
  FakeClock clock;
  LoginThrottle throttle({}, clock.function());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(throttle.check("192.0.2.10", "u@example.com").allowed());
  EXPECT_EQ(throttle.check("192.0.2.10", "u@example.com").status, AdmissionStatus::wait);
  for (int i = 0; i < 10; ++i) throttle.record_unavailable("192.0.2.10", "u@example.com");
  EXPECT_TRUE(throttle.check("192.0.2.10", "u@example.com").allowed());
}

TEST(Throttle, UnknownUsersCountAgainstTheAddressOnly) {
  // A load test tries 90 names that are no accounts from one address.
  FakeClock clock;
  LoginThrottle throttle({}, clock.function());
  int checked = 0;
  for (int i = 0; i < 90; ++i) {
    const std::string name = "load" + std::to_string(i) + "@example.com";
    if (!throttle.check("127.0.0.1", name).allowed()) continue;
    throttle.record_failure("127.0.0.1", name, FailureKind::unknown_user);
    ++checked;
    clock.now += 1s;
  }
  EXPECT_EQ(checked, 10);         // guessing names is guessing: the address is blocked ...
  EXPECT_EQ(throttle.user_entries(), 0u);  // ... but no name got an entry
  // The block holds for everyone at that address until the oldest of the
  // ten counted failures (t=0; now t=10 s) is one window old, and refused
  // attempts do not extend it.
  auto refused = throttle.check("127.0.0.1", "real@example.com");
  EXPECT_EQ(refused.status, AdmissionStatus::blocked);
  EXPECT_EQ(refused.retry_after, 290s);
  for (int i = 0; i < 100; ++i) {
    clock.now += 2s;
    EXPECT_FALSE(throttle.check("127.0.0.1", "load@example.com").allowed());
  }
  clock.now += 89s;  // t=299 s: the first failure (t=0) is one window old
  EXPECT_FALSE(throttle.check("127.0.0.1", "real@example.com").allowed());
  clock.now += 1s;
  EXPECT_TRUE(throttle.check("127.0.0.1", "real@example.com").allowed());
  // Other addresses were never affected, and neither was any account.
  EXPECT_TRUE(throttle.check("127.0.0.2", "load5@example.com").allowed());
}

TEST(Throttle, UnknownUserFailuresNeverBlockTheName) {
  // Failures for a name that is no account (yet) never block that name: an
  // account created under it later, or one whose name a typo shares, is
  // not locked out by them.
  FakeClock clock;
  ThrottleOptions options;
  options.max_failures_per_user = 5;
  LoginThrottle throttle(options, clock.function());
  for (int i = 0; i < 40; ++i) {
    const std::string address = "198.51.100." + std::to_string(i);
    ASSERT_TRUE(throttle.check(address, "carol@example.com").allowed());
    throttle.record_failure(address, "carol@example.com", FailureKind::unknown_user);
  }
  EXPECT_EQ(throttle.user_entries(), 0u);
  EXPECT_TRUE(throttle.check("203.0.113.5", "carol@example.com").allowed());
}

TEST(Throttle, UnknownUsersCannotPushAccountsOutOfTheTable) {
  FakeClock clock;
  ThrottleOptions options;
  options.max_entries = 3;
  options.max_failures_per_user = 5;
  LoginThrottle throttle(options, clock.function());
  for (int i = 0; i < 5; ++i) throttle.record_failure("198.51.100." + std::to_string(i), "victim@example.com");
  for (int i = 0; i < 1000; ++i)
    throttle.record_failure("203.0.113." + std::to_string(i % 250), "n" + std::to_string(i) + "@example.com",
                            FailureKind::unknown_user);
  EXPECT_EQ(throttle.check("192.0.2.1", "victim@example.com").status, AdmissionStatus::blocked);
}

TEST(Throttle, TrustedNetworksSkipThePerAddressBlockOnly) {
  FakeClock clock;
  ThrottleOptions options;
  options.trusted_networks = {*IpNetwork::parse("10.0.0.0/8"), *IpNetwork::parse("2001:db8::/32")};
  LoginThrottle throttle(options, clock.function());
  EXPECT_TRUE(throttle.trusted("10.1.2.3"));
  EXPECT_TRUE(throttle.trusted("::ffff:10.1.2.3"));  // IPv4 through a dual-stack socket
  EXPECT_TRUE(throttle.trusted("2001:db8:5::1"));
  EXPECT_FALSE(throttle.trusted("192.0.2.1"));
  EXPECT_FALSE(throttle.trusted("2001:db9::1"));
  // A webmail host: many users, some typing wrong passwords, others unknown names.
  for (int i = 0; i < 100; ++i) {
    const std::string user = "user" + std::to_string(i) + "@example.com";
    ASSERT_TRUE(throttle.check("10.1.2.3", user).allowed()) << i;
    throttle.record_failure("10.1.2.3", user, i % 2 ? FailureKind::wrong_password : FailureKind::unknown_user);
  }
  EXPECT_EQ(throttle.address_entries(), 0u);
  EXPECT_TRUE(throttle.check("::ffff:10.1.2.3", "user0@example.com").allowed());
  throttle.record_success("::ffff:10.1.2.3", "user0@example.com");
  // The per-account limit still holds through it.
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(throttle.check("10.1.2.3", "alice@example.com").allowed()) << i;
    throttle.record_failure("10.1.2.3", "alice@example.com");
  }
  EXPECT_EQ(throttle.check("10.1.2.3", "alice@example.com").status, AdmissionStatus::blocked);
  EXPECT_EQ(throttle.check("192.0.2.1", "alice@example.com").status, AdmissionStatus::blocked);
  // An address outside the networks is blocked as before.
  for (int i = 0; i < 10; ++i) throttle.record_failure("192.0.2.1", "");
  EXPECT_EQ(throttle.check("192.0.2.1", "bob@example.com").status, AdmissionStatus::blocked);
}

TEST(Throttle, TrustedFailuresStillWait) {
  FakeClock clock;
  ThrottleOptions options;
  options.trusted_networks = {*IpNetwork::parse("10.0.0.0/8")};
  LoginThrottle throttle(options, clock.function());
  EXPECT_EQ(throttle.record_failure("10.0.0.1", "nobody@example.com", FailureKind::unknown_user), 250ms);
  EXPECT_EQ(throttle.record_failure("10.0.0.1", "nobody@example.com", FailureKind::unknown_user), 250ms);
  EXPECT_EQ(throttle.record_failure("10.0.0.1", "bob@example.com"), 250ms);
  EXPECT_EQ(throttle.record_failure("10.0.0.1", "bob@example.com"), 500ms);  // bob's own count grows
}

TEST(Throttle, LimitsAndWindowAreConfigurable) {
  FakeClock clock;
  ThrottleOptions options;
  options.max_failures_per_address = 3;
  options.max_failures_per_user = 5;
  options.window = 60s;
  LoginThrottle throttle(options, clock.function());
  for (int i = 0; i < 3; ++i) throttle.record_failure("192.0.2.40", "");
  auto refused = throttle.check("192.0.2.40", "");
  EXPECT_EQ(refused.status, AdmissionStatus::blocked);
  EXPECT_EQ(refused.retry_after, 60s);
  for (int i = 0; i < 5; ++i) throttle.record_failure("198.51.100." + std::to_string(i), "dave@example.com");
  EXPECT_EQ(throttle.check("203.0.113.1", "dave@example.com").status, AdmissionStatus::blocked);
  clock.now += 60s;
  EXPECT_TRUE(throttle.check("192.0.2.40", "").allowed());
  EXPECT_TRUE(throttle.check("203.0.113.1", "dave@example.com").allowed());
}

TEST(Throttle, UserKeys) {
  EXPECT_EQ(LoginThrottle::user_key("Alice@EXAMPLE.com"), "alice@example.com");
  EXPECT_EQ(LoginThrottle::user_key("\"Alice\"@example.com"), "alice@example.com");
  EXPECT_EQ(LoginThrottle::user_key("\"a b\"@example.com"), "\"a b\"@example.com");
  EXPECT_EQ(LoginThrottle::user_key("NoDomain"), "nodomain");
}

}  // namespace
}  // namespace tern::auth
