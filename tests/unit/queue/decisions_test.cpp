// The scheduler's decisions (queue/decisions.hpp) with explicit times: the
// "clock" is the `now` passed in, the "DNS" the answer passed in.
#include "queue/decisions.hpp"

#include <gtest/gtest.h>

#include <set>

namespace tern::queue {
namespace {

using std::chrono::seconds;
namespace notify = store::notify;

constexpr store::UnixTime created = 1700000000;
constexpr std::int64_t hour = 3600;
constexpr std::int64_t day = 24 * hour;

QueueConfig config(std::int64_t warn_after = 0) {
  QueueConfig q;
  q.retry = {seconds(60), seconds(600), seconds(3600)};
  q.max_age = seconds(5 * day);
  q.warn_after = seconds(warn_after);
  return q;
}

store::QueueRecipient recipient(std::string address, std::uint8_t notify_bits = 0,
                                store::RecipientState state = store::RecipientState::pending) {
  store::QueueRecipient r;
  r.address = std::move(address);
  r.notify = notify_bits;
  r.state = state;
  return r;
}

store::QueueEntry entry(std::vector<store::QueueRecipient> recipients, std::string sender = "alice@a.example") {
  store::QueueEntry e;
  e.id = 7;
  e.message_id = 3;
  e.spec.sender = std::move(sender);
  e.spec.recipients = std::move(recipients);
  e.created = created;
  e.next_attempt = created;
  return e;
}

RecipientOutcome delivered() { return {Verdict::delivered, "2.0.0", "smtp; 250 2.0.0 ok", "mx.b.example"}; }
RecipientOutcome transient() { return {Verdict::transient, "4.2.0", "smtp; 450 4.2.0 busy", "mx.b.example"}; }
RecipientOutcome permanent() { return {Verdict::permanent, "5.1.1", "smtp; 550 5.1.1 no such user", "mx.b.example"}; }
RecipientOutcome no_answer() { return {Verdict::transient, "4.4.1", "X-tern; connection refused", ""}; }

using Indices = std::vector<std::size_t>;

// ---- retry schedule ----

TEST(RetryDelay, ScheduleInTurnLastRepeats) {
  std::vector<seconds> schedule{seconds(60), seconds(600), seconds(3600)};
  EXPECT_EQ(retry_delay(schedule, 0).count(), 60) << "attempt 0 is treated as the first";
  EXPECT_EQ(retry_delay(schedule, 1).count(), 60);
  EXPECT_EQ(retry_delay(schedule, 2).count(), 600);
  EXPECT_EQ(retry_delay(schedule, 3).count(), 3600);
  EXPECT_EQ(retry_delay(schedule, 4).count(), 3600);
  EXPECT_EQ(retry_delay(schedule, 1000000).count(), 3600);
  EXPECT_EQ(retry_delay({}, 1).count(), 300) << "no schedule: five minutes";
  EXPECT_EQ(retry_delay({}, 9).count(), 300);
  EXPECT_EQ(retry_delay({seconds(42)}, 1).count(), 42);
  EXPECT_EQ(retry_delay({seconds(42)}, 9).count(), 42);
}

// ---- NOTIFY ----

TEST(WantsNotice, DefaultIsFailureAndDelay) {
  EXPECT_TRUE(wants_notice(0, notify::failure));
  EXPECT_TRUE(wants_notice(0, notify::delay));
  EXPECT_FALSE(wants_notice(0, notify::success));
}

TEST(WantsNotice, ExplicitBits) {
  EXPECT_TRUE(wants_notice(notify::failure, notify::failure));
  EXPECT_FALSE(wants_notice(notify::failure, notify::delay));
  EXPECT_FALSE(wants_notice(notify::delay, notify::failure));
  EXPECT_TRUE(wants_notice(notify::delay, notify::delay));
  EXPECT_TRUE(wants_notice(notify::success, notify::success));
  EXPECT_FALSE(wants_notice(notify::success, notify::failure));
  const std::uint8_t all = notify::success | notify::failure | notify::delay;
  EXPECT_TRUE(wants_notice(all, notify::failure));
  EXPECT_TRUE(wants_notice(all, notify::delay));
}

TEST(WantsNotice, NeverWantsNothing) {
  for (std::uint8_t bit : {notify::success, notify::failure, notify::delay}) {
    EXPECT_FALSE(wants_notice(notify::never, bit));
    EXPECT_FALSE(wants_notice(static_cast<std::uint8_t>(notify::never | bit), bit));
  }
}

// ---- one attempt ----

TEST(DecideAttempt, AllDeliveredIsDone) {
  auto e = entry({recipient("bob@b.example"), recipient("carol@b.example")});
  auto d = decide_attempt(e, {delivered(), delivered()}, config(), created + 10);
  EXPECT_EQ(d.attempt.id, 7);
  EXPECT_EQ(d.attempt.attempts, 1u);
  EXPECT_TRUE(d.pending.empty());
  EXPECT_EQ(d.results, (std::vector<RecipientResult>{RecipientResult::delivered, RecipientResult::delivered}));
  for (const auto& r : d.attempt.recipients) {
    EXPECT_EQ(r.state, store::RecipientState::delivered);
    EXPECT_EQ(r.last_reply, "smtp; 250 2.0.0 ok");
  }
  EXPECT_EQ(d.attempt.last_error, "");
  EXPECT_TRUE(d.failure_notice.empty());
  EXPECT_TRUE(d.delay_notice.empty());
  EXPECT_FALSE(d.delay_notice_due);
  EXPECT_TRUE(d.attempt.notices.empty());
  EXPECT_TRUE(d.attempt.owner.empty()) << "the caller's";
}

TEST(DecideAttempt, TransientIsRetriedOnTheSchedule) {
  auto e = entry({recipient("bob@b.example")});
  const store::UnixTime now = created + 5;
  auto d = decide_attempt(e, {transient()}, config(), now);
  EXPECT_EQ(d.results, std::vector<RecipientResult>{RecipientResult::deferred});
  EXPECT_EQ(d.pending, Indices{0});
  EXPECT_EQ(d.attempt.recipients[0].state, store::RecipientState::pending);
  EXPECT_EQ(d.attempt.recipients[0].last_reply, "smtp; 450 4.2.0 busy");
  EXPECT_EQ(d.attempt.attempts, 1u);
  EXPECT_EQ(d.attempt.next_attempt, now + 60);
  EXPECT_EQ(d.attempt.last_error, "smtp; 450 4.2.0 busy");
  EXPECT_TRUE(d.failure_notice.empty());

  // Later attempts walk the schedule; the last delay repeats.
  e.attempts = 1;
  EXPECT_EQ(decide_attempt(e, {transient()}, config(), now).attempt.next_attempt, now + 600);
  e.attempts = 2;
  EXPECT_EQ(decide_attempt(e, {transient()}, config(), now).attempt.next_attempt, now + 3600);
  e.attempts = 30;
  auto late = decide_attempt(e, {transient()}, config(), now);
  EXPECT_EQ(late.attempt.attempts, 31u);
  EXPECT_EQ(late.attempt.next_attempt, now + 3600);
}

TEST(DecideAttempt, NoAnswerIsRetriedLikeA4xx) {
  auto e = entry({recipient("bob@b.example")});
  auto d = decide_attempt(e, {no_answer()}, config(), created + 1);
  EXPECT_EQ(d.pending, Indices{0});
  EXPECT_EQ(d.attempt.last_error, "X-tern; connection refused");
  EXPECT_EQ(d.outcomes[0].status, "4.4.1");
}

TEST(DecideAttempt, PermanentBouncesAtOnce) {
  auto e = entry({recipient("bob@b.example")});
  auto d = decide_attempt(e, {permanent()}, config(), created + 1);
  EXPECT_EQ(d.results, std::vector<RecipientResult>{RecipientResult::bounced});
  EXPECT_TRUE(d.pending.empty());
  EXPECT_EQ(d.attempt.recipients[0].state, store::RecipientState::failed);
  EXPECT_EQ(d.attempt.recipients[0].last_reply, "smtp; 550 5.1.1 no such user");
  EXPECT_EQ(d.failure_notice, Indices{0});
  EXPECT_EQ(d.outcomes[0].status, "5.1.1") << "as the server said";
  EXPECT_EQ(d.outcomes[0].diagnostic, "smtp; 550 5.1.1 no such user");
  EXPECT_EQ(d.attempt.last_error, "") << "only pending recipients set the entry's error";
}

TEST(DecideAttempt, MixedOutcomes) {
  auto e = entry({recipient("a@b.example"), recipient("b@b.example"), recipient("c@c.example"),
                  recipient("d@c.example")});
  auto d = decide_attempt(e, {delivered(), permanent(), transient(), no_answer()}, config(), created + 100);
  EXPECT_EQ(d.results, (std::vector<RecipientResult>{RecipientResult::delivered, RecipientResult::bounced,
                                                     RecipientResult::deferred, RecipientResult::deferred}));
  EXPECT_EQ(d.pending, (Indices{2, 3}));
  EXPECT_EQ(d.failure_notice, Indices{1});
  EXPECT_EQ(d.attempt.last_error, "smtp; 450 4.2.0 busy") << "the first deferred recipient's";
  EXPECT_EQ(d.attempt.next_attempt, created + 100 + 60);
}

TEST(DecideAttempt, DoneRecipientsAreLeftAlone) {
  auto e = entry({recipient("a@b.example", 0, store::RecipientState::delivered),
                  recipient("b@b.example", 0, store::RecipientState::failed), recipient("c@b.example")});
  e.spec.recipients[0].last_reply = "smtp; 250 earlier";
  e.spec.recipients[1].last_reply = "smtp; 550 earlier";
  e.attempts = 2;
  // The outcomes of recipients that were not pending are not looked at.
  auto d = decide_attempt(e, {permanent(), delivered(), transient()}, config(), created + 100);
  EXPECT_EQ(d.results, (std::vector<RecipientResult>{RecipientResult::unchanged, RecipientResult::unchanged,
                                                     RecipientResult::deferred}));
  EXPECT_EQ(d.attempt.recipients[0].state, store::RecipientState::delivered);
  EXPECT_EQ(d.attempt.recipients[0].last_reply, "smtp; 250 earlier");
  EXPECT_EQ(d.attempt.recipients[1].state, store::RecipientState::failed);
  EXPECT_EQ(d.attempt.recipients[1].last_reply, "smtp; 550 earlier");
  EXPECT_TRUE(d.failure_notice.empty());
  EXPECT_EQ(d.pending, Indices{2});
  EXPECT_EQ(d.attempt.attempts, 3u);
  EXPECT_EQ(d.attempt.next_attempt, created + 100 + 3600);
}

TEST(DecideAttempt, ExpiryAtMaxAgeBouncesWhatIsPending) {
  auto e = entry({recipient("a@b.example"), recipient("b@b.example")});
  e.attempts = 11;
  // One second before max_age: still retried.
  auto before = decide_attempt(e, {transient(), delivered()}, config(), created + 5 * day - 1);
  EXPECT_EQ(before.results[0], RecipientResult::deferred);
  EXPECT_TRUE(before.failure_notice.empty());
  // At max_age: given up, reported as 4.4.7 with the number of attempts.
  auto d = decide_attempt(e, {transient(), delivered()}, config(), created + 5 * day);
  EXPECT_EQ(d.results, (std::vector<RecipientResult>{RecipientResult::bounced, RecipientResult::delivered}));
  EXPECT_TRUE(d.pending.empty());
  EXPECT_EQ(d.attempt.recipients[0].state, store::RecipientState::failed);
  EXPECT_EQ(d.attempt.recipients[0].last_reply, "smtp; 450 4.2.0 busy") << "the reply as received";
  EXPECT_EQ(d.outcomes[0].status, "4.4.7");
  EXPECT_EQ(d.outcomes[0].diagnostic, "smtp; 450 4.2.0 busy (gave up after 12 attempts)");
  EXPECT_EQ(d.outcomes[0].remote_mta, "mx.b.example");
  EXPECT_EQ(d.outcomes[1].status, "2.0.0") << "a delivery is a delivery even when late";
  EXPECT_EQ(d.failure_notice, Indices{0});
  EXPECT_EQ(d.attempt.last_error, "");
  // A permanent answer after max_age keeps its own status.
  auto p = decide_attempt(e, {permanent(), transient()}, config(), created + 6 * day);
  EXPECT_EQ(p.outcomes[0].status, "5.1.1");
  EXPECT_EQ(p.outcomes[0].diagnostic, "smtp; 550 5.1.1 no such user");
  EXPECT_EQ(p.outcomes[1].status, "4.4.7");
  EXPECT_EQ(p.failure_notice, (Indices{0, 1}));
}

TEST(DecideAttempt, FailureNoticePerNotify) {
  auto e = entry({recipient("default@b.example"), recipient("failure@b.example", notify::failure),
                  recipient("delay@b.example", notify::delay), recipient("never@b.example", notify::never),
                  recipient("success@b.example", notify::success),
                  recipient("all@b.example", notify::success | notify::failure | notify::delay)});
  std::vector<RecipientOutcome> outcomes(6, permanent());
  auto d = decide_attempt(e, outcomes, config(), created + 1);
  EXPECT_EQ(d.failure_notice, (Indices{0, 1, 5}));
  EXPECT_EQ(d.failure_notice_dropped, 0u);
  for (const auto& r : d.attempt.recipients) EXPECT_EQ(r.state, store::RecipientState::failed) << r.address;
}

TEST(DecideAttempt, NoNoticeToTheNullSender) {
  auto e = entry({recipient("a@b.example"), recipient("b@b.example", notify::never), recipient("c@b.example")},
                 "");
  auto d = decide_attempt(e, {permanent(), permanent(), transient()}, config(hour), created + 2 * hour);
  EXPECT_TRUE(d.failure_notice.empty());
  EXPECT_EQ(d.failure_notice_dropped, 1u) << "only the one that wanted a report";
  EXPECT_TRUE(d.delay_notice_due);
  EXPECT_TRUE(d.attempt.warned) << "marked warned even though nobody is told";
  EXPECT_TRUE(d.delay_notice.empty());
}

TEST(DecideAttempt, DelayWarningOnceAfterWarnAfter) {
  auto e = entry({recipient("default@b.example"), recipient("delay@b.example", notify::delay),
                  recipient("failure@b.example", notify::failure), recipient("never@b.example", notify::never),
                  recipient("done@b.example")});
  std::vector<RecipientOutcome> outcomes{transient(), no_answer(), transient(), transient(), delivered()};
  const QueueConfig q = config(4 * hour);

  auto early = decide_attempt(e, outcomes, q, created + 4 * hour - 1);
  EXPECT_FALSE(early.delay_notice_due);
  EXPECT_FALSE(early.attempt.warned);
  EXPECT_TRUE(early.delay_notice.empty());

  auto due = decide_attempt(e, outcomes, q, created + 4 * hour);
  EXPECT_TRUE(due.delay_notice_due);
  EXPECT_TRUE(due.attempt.warned);
  EXPECT_EQ(due.delay_notice, (Indices{0, 1}));
  EXPECT_EQ(due.pending, (Indices{0, 1, 2, 3}));

  e.warned = true;  // already sent: never again
  auto again = decide_attempt(e, outcomes, q, created + 8 * hour);
  EXPECT_FALSE(again.delay_notice_due);
  EXPECT_TRUE(again.attempt.warned);
  EXPECT_TRUE(again.delay_notice.empty());
}

TEST(DecideAttempt, NoDelayWarningWithoutWarnAfterOrPending) {
  auto e = entry({recipient("a@b.example"), recipient("b@b.example")});
  auto off = decide_attempt(e, {transient(), transient()}, config(0), created + 4 * day);
  EXPECT_FALSE(off.delay_notice_due);
  EXPECT_FALSE(off.attempt.warned);
  // Nothing pending (delivered and bounced): no warning, even when late.
  auto settled = decide_attempt(e, {delivered(), permanent()}, config(hour), created + 2 * hour);
  EXPECT_FALSE(settled.delay_notice_due);
  EXPECT_FALSE(settled.attempt.warned);
  EXPECT_EQ(settled.failure_notice, Indices{1});
  // Expired: everything bounces, so no delay warning either.
  auto expired = decide_attempt(e, {transient(), transient()}, config(hour), created + 5 * day);
  EXPECT_FALSE(expired.delay_notice_due);
  EXPECT_EQ(expired.failure_notice, (Indices{0, 1}));
}

TEST(DecideAttempt, KeepsTheEntrysEnvelope) {
  auto e = entry({recipient("a@b.example", notify::failure)});
  e.spec.recipients[0].orcpt = "rfc822;A@b.example";
  auto d = decide_attempt(e, {transient()}, config(), created + 1);
  EXPECT_EQ(d.attempt.recipients[0].address, "a@b.example");
  EXPECT_EQ(d.attempt.recipients[0].orcpt, "rfc822;A@b.example");
  EXPECT_EQ(d.attempt.recipients[0].notify, notify::failure);
}

// ---- MX answers (a fake DNS: the answer is given) ----

// Every recipient of the domain gets `outcome`; no host is tried.
void expect_decided(const MxRoute& route, Verdict verdict, const std::string& status, const std::string& diagnostic) {
  EXPECT_TRUE(route.decided);
  EXPECT_EQ(route.outcome.verdict, verdict);
  EXPECT_EQ(route.outcome.status, status);
  EXPECT_EQ(route.outcome.diagnostic, diagnostic);
  EXPECT_EQ(route.outcome.remote_mta, "");
  EXPECT_TRUE(route.hops.empty());
}

TEST(RouteByMx, NoAnswerIsTransient) {
  std::mt19937 random(1);
  Result<DnsAnswer> answer = make_error(Errc::unavailable, "SERVFAIL for b.example");
  expect_decided(route_by_mx("b.example", answer, random), Verdict::transient, "4.4.3",
                 "X-tern; SERVFAIL for b.example");
}

TEST(RouteByMx, NxdomainIsPermanent) {
  std::mt19937 random(1);
  DnsAnswer nx;
  nx.nxdomain = true;
  nx.mx = {{10, "mx.nowhere.example"}};  // the nxdomain flag wins
  expect_decided(route_by_mx("nowhere.example", nx, random), Verdict::permanent, "5.1.2",
                 "X-tern; domain nowhere.example does not exist");
}

TEST(RouteByMx, NullMxIsPermanent) {
  std::mt19937 random(1);
  DnsAnswer null_mx;
  null_mx.mx = {{0, ""}};
  expect_decided(route_by_mx("b.example", null_mx, random), Verdict::permanent, "5.1.10",
                 "X-tern; domain b.example accepts no mail (null MX)");
}

TEST(RouteByMx, NoMxFallsBackToTheDomain) {
  std::mt19937 random(1);
  auto route = route_by_mx("b.example", DnsAnswer{}, random);
  EXPECT_FALSE(route.decided);
  EXPECT_TRUE(route.implicit_mx);
  ASSERT_EQ(route.hops.size(), 1u);
  EXPECT_EQ(route.hops[0].host, "b.example");
  EXPECT_EQ(route.hops[0].port, 25);
}

TEST(RouteByMx, HostsByPreferenceAtMostFive) {
  DnsAnswer answer;
  answer.mx = {{30, "c.example"}, {10, "a1.example"}, {10, "a2.example"}, {20, "b.example"},
               {40, "d.example"}, {50, "e.example"}, {60, "f.example"}, {20, "b.example"}};
  std::set<std::string> firsts;
  for (unsigned seed = 0; seed < 30; ++seed) {
    std::mt19937 random(seed);
    auto route = route_by_mx("x.example", answer, random);
    EXPECT_FALSE(route.decided);
    EXPECT_FALSE(route.implicit_mx);
    ASSERT_EQ(route.hops.size(), 5u) << "duplicates merged, then cut to five";
    EXPECT_EQ(route.hops[2].host, "b.example");
    EXPECT_EQ(route.hops[3].host, "c.example");
    EXPECT_EQ(route.hops[4].host, "d.example");
    for (const auto& hop : route.hops) EXPECT_EQ(hop.port, 25);
    firsts.insert(route.hops[0].host);
  }
  EXPECT_EQ(firsts, (std::set<std::string>{"a1.example", "a2.example"}));
}

TEST(RouteByMx, NullMxAmongOthersIsIgnored) {
  std::mt19937 random(1);
  DnsAnswer answer;
  answer.mx = {{0, ""}, {10, "mx.b.example"}};
  auto route = route_by_mx("b.example", answer, random);
  EXPECT_FALSE(route.decided);
  ASSERT_EQ(route.hops.size(), 1u);
  EXPECT_EQ(route.hops[0].host, "mx.b.example");
}

TEST(NoHostOutcome, ImplicitMxWithoutAddressIsPermanent) {
  auto o = no_host_outcome("b.example", true, false, "host b.example has no address");
  EXPECT_EQ(o.verdict, Verdict::permanent);
  EXPECT_EQ(o.status, "5.1.2");
  EXPECT_EQ(o.diagnostic, "X-tern; domain b.example has no MX and no address record");
}

TEST(NoHostOutcome, OtherwiseTransientWithTheLastError) {
  auto tried = no_host_outcome("b.example", true, true, "connection refused");
  EXPECT_EQ(tried.verdict, Verdict::transient);
  EXPECT_EQ(tried.status, "4.4.1");
  EXPECT_EQ(tried.diagnostic, "X-tern; connection refused");
  auto mx = no_host_outcome("b.example", false, false, "host mx.b.example has no address");
  EXPECT_EQ(mx.verdict, Verdict::transient);
  EXPECT_EQ(mx.diagnostic, "X-tern; host mx.b.example has no address");
}

}  // namespace
}  // namespace tern::queue
