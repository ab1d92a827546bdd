// The scheduler's decisions as pure functions: what one delivery attempt of a
// queue entry leads to (each recipient delivered, bounced or deferred; the
// next attempt; whether a failure report or a delay warning goes to the
// sender and for whom, RFC 3461 NOTIFY), and where a domain's mail goes after
// its MX lookup. No clock, no DNS, no store: the caller passes `now` and the
// answers, and carries the result out.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/result.hpp"
#include "queue/routing.hpp"
#include "queue/smtp_client.hpp"
#include "store/types.hpp"

namespace tern::queue {

// The delay before attempt number `attempts` + 1 (attempts >= 1): the
// schedule's entries in turn, the last one repeating; 5 minutes without a schedule.
std::chrono::seconds retry_delay(const std::vector<std::chrono::seconds>& schedule, std::uint32_t attempts);

// Whether a recipient with these NOTIFY bits (0: not given) wants a notice of
// kind `bit` (notify::failure, notify::delay): NEVER wants none, the default
// (RFC 3461 4.1) is FAILURE and DELAY.
bool wants_notice(std::uint8_t notify, std::uint8_t bit);

// What happened to one recipient in this attempt.
enum class RecipientResult {
  unchanged,  // not pending before the attempt: left as it was
  delivered,
  bounced,    // failed for good: a permanent answer, or the entry expired (max_age)
  deferred,   // still pending: retried at next_attempt
};

struct AttemptDecision {
  // Every recipient in queue order with its new state and last reply, the
  // attempt count, the next attempt, the entry's last error and warned flag:
  // what Store::queue_record_attempt records (id, owner, notices left to the caller).
  store::QueueAttempt attempt;
  // The outcomes as reported: those of recipients bounced for expiry say
  // 4.4.7 and how many attempts were made.
  std::vector<RecipientOutcome> outcomes;
  std::vector<RecipientResult> results;       // per recipient, in queue order
  std::vector<std::size_t> pending;           // the deferred recipients
  std::vector<std::size_t> failure_notice;    // bounced recipients the sender is told about
  std::size_t failure_notice_dropped = 0;     // bounced ones that wanted a report to the null sender
  bool delay_notice_due = false;              // a delay warning is due now (marks the entry warned)
  std::vector<std::size_t> delay_notice;      // deferred recipients the delay warning is about
};

// Decides one attempt of `entry`: `outcomes` holds one outcome per recipient
// in queue order (only those of pending recipients are looked at), `now` is
// the time of the attempt.
AttemptDecision decide_attempt(const store::QueueEntry& entry, const std::vector<RecipientOutcome>& outcomes,
                               const QueueConfig& queue, store::UnixTime now);

// Where a domain without a fixed route goes, after its MX lookup
// (RFC 5321 5.1, RFC 7505): either every recipient's outcome is decided
// (`decided`: no answer, no such domain, a null MX) or the hosts to try.
struct MxRoute {
  bool decided = false;
  RecipientOutcome outcome;  // for every recipient, when decided
  std::vector<Hop> hops;     // in order, at most `max_hosts`
  bool implicit_mx = false;  // no MX: the domain itself is the host
};

MxRoute route_by_mx(const std::string& domain, const Result<DnsAnswer>& answer, std::mt19937& random);

// What to tell every recipient of a domain when no host took the message:
// RFC 5321 5.1 permanent failure when there was neither an MX nor an address
// (implicit MX and no address found), else a transient failure with the last error.
RecipientOutcome no_host_outcome(const std::string& domain, bool implicit_mx, bool any_address,
                                 const std::string& last_error);

}  // namespace tern::queue
