#include "queue/decisions.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace tern::queue {

namespace {

constexpr std::size_t max_hosts = 5;  // MX hosts tried per attempt

RecipientOutcome tern_outcome(Verdict verdict, std::string status, const std::string& text) {
  return RecipientOutcome{verdict, std::move(status), "X-tern; " + text, {}};
}

}  // namespace

std::chrono::seconds retry_delay(const std::vector<std::chrono::seconds>& schedule, std::uint32_t attempts) {
  if (schedule.empty()) return std::chrono::minutes(5);
  std::size_t index = attempts == 0 ? 0 : std::min<std::size_t>(attempts - 1, schedule.size() - 1);
  return schedule[index];
}

bool wants_notice(std::uint8_t notify, std::uint8_t bit) {
  if (notify & store::notify::never) return false;
  return notify == 0 ? bit != store::notify::success : (notify & bit) != 0;  // RFC 3461 4.1 default: FAILURE,DELAY
}

AttemptDecision decide_attempt(const store::QueueEntry& entry, const std::vector<RecipientOutcome>& outcomes,
                               const QueueConfig& queue, store::UnixTime now) {
  AttemptDecision d;
  const bool expired = now - entry.created >= queue.max_age.count();
  auto& attempt = d.attempt;
  attempt.id = entry.id;
  attempt.recipients = entry.spec.recipients;
  attempt.attempts = entry.attempts + 1;
  attempt.next_attempt = now + retry_delay(queue.retry, attempt.attempts).count();
  attempt.warned = entry.warned;
  d.outcomes = outcomes;
  d.results.assign(attempt.recipients.size(), RecipientResult::unchanged);
  std::vector<std::size_t> failed;
  for (std::size_t i = 0; i < attempt.recipients.size(); ++i) {
    auto& r = attempt.recipients[i];
    if (r.state != store::RecipientState::pending) continue;
    auto& o = d.outcomes[i];
    r.last_reply = o.diagnostic;
    if (o.verdict == Verdict::delivered) {
      r.state = store::RecipientState::delivered;
      d.results[i] = RecipientResult::delivered;
    } else if (o.verdict == Verdict::permanent || expired) {
      if (o.verdict != Verdict::permanent) {
        o.status = "4.4.7";  // RFC 3463: delivery time expired
        o.diagnostic += fmt::format(" (gave up after {} attempts)", attempt.attempts);
      }
      r.state = store::RecipientState::failed;
      d.results[i] = RecipientResult::bounced;
      if (wants_notice(r.notify, store::notify::failure)) failed.push_back(i);
    } else {
      if (attempt.last_error.empty()) attempt.last_error = o.diagnostic;
      d.results[i] = RecipientResult::deferred;
      d.pending.push_back(i);
    }
  }

  const bool null_sender = entry.spec.sender.empty();  // a notice never causes another (RFC 5321 4.5.5)
  if (null_sender)
    d.failure_notice_dropped = failed.size();
  else
    d.failure_notice = std::move(failed);
  if (!d.pending.empty() && !entry.warned && queue.warn_after.count() > 0 &&
      now - entry.created >= queue.warn_after.count()) {
    d.delay_notice_due = true;
    attempt.warned = true;  // once per entry
    if (!null_sender)
      for (auto i : d.pending)
        if (wants_notice(attempt.recipients[i].notify, store::notify::delay)) d.delay_notice.push_back(i);
  }
  return d;
}

MxRoute route_by_mx(const std::string& domain, const Result<DnsAnswer>& answer, std::mt19937& random) {
  MxRoute route;
  if (!answer) {
    route.decided = true;
    route.outcome = tern_outcome(Verdict::transient, "4.4.3", answer.error().message);
  } else if (answer->nxdomain) {
    route.decided = true;
    route.outcome = tern_outcome(Verdict::permanent, "5.1.2", fmt::format("domain {} does not exist", domain));
  } else if (is_null_mx(answer->mx)) {  // RFC 7505 4.2
    route.decided = true;
    route.outcome =
        tern_outcome(Verdict::permanent, "5.1.10", fmt::format("domain {} accepts no mail (null MX)", domain));
  } else if (answer->mx.empty()) {
    route.hops.push_back(Hop{domain, 25});
    route.implicit_mx = true;
  } else {
    route.hops = order_mx(answer->mx, random);
    if (route.hops.size() > max_hosts) route.hops.resize(max_hosts);
  }
  return route;
}

RecipientOutcome no_host_outcome(const std::string& domain, bool implicit_mx, bool any_address,
                                 const std::string& last_error) {
  if (implicit_mx && !any_address)  // RFC 5321 5.1: neither MX nor address records
    return tern_outcome(Verdict::permanent, "5.1.2", fmt::format("domain {} has no MX and no address record", domain));
  return tern_outcome(Verdict::transient, "4.4.1", last_error);
}

}  // namespace tern::queue
