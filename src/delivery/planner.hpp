// The delivery planner: what becomes of one accepted message, decided in one
// place (the role of Postfix's cleanup). Pure: no I/O, no coroutines, no
// clock. The caller resolves the recipients first (store::Store::resolve),
// passes the resolutions, the time and an id in, and stores the plan's
// store::Delivery in one transaction after (DESIGN.md rule 1). The SMTP
// session and the queue's delivery status notices both plan through it.
//
//   relay_verdict  RCPT time: may this resolved recipient be accepted
//                  (DESIGN.md rule 2: no open relay; relay tricks).
//   plan_delivery  DATA time: runs a fixed chain of named steps over a Plan,
//                  then puts the trace fields in front of the message and
//                  prepares it for the store. The standard steps, in order:
//     route              a local target per account (INBOX), however many
//                        recipients or aliases reach it; an outbound
//                        recipient per address of another domain, whether
//                        given in RCPT or reached through an alias
//     outbound_envelope  the queue entry's reverse-path, ENVID, RET,
//                        SMTPUTF8, BODY=8BITMIME and submitting user
//     return_path        Return-Path: when some copy is delivered locally
//                        (RFC 5321 4.4: added at final delivery)
//     authentication_results  the Authentication-Results: field the caller
//                        made of its checks (Input::authentication_results)
//     received           Received: for mail that came over SMTP
//     submission_fields  Date: and Message-ID: that a message submitted by
//                        an authenticated client lacks (RFC 6409 8)
//     dkim_sign          DKIM-Signature: fields (RFC 6376, RFC 8463) by the
//                        keys the caller chose for the From: domain
//                        (Input::signers), over the header as it will be
//                        stored, trace fields included
//
// Extending: a filter (SPF, DKIM or DMARC verification, a spam check, Sieve)
// is one more Step inserted at its place in standard_steps(). A step reads
// the Input and changes the Plan: adds header fields to `trace`
// (Authentication-Results:, X-Spam-*), changes a local target's mailbox or
// flags (Sieve fileinto), drops targets. Answers that need I/O (SPF's DNS
// lookups, rspamd over HTTP) are gathered by the caller beforehand and
// passed in the Input, so that the planner stays pure and testable. A filter
// that refuses messages would add a refusal to the Plan for the session to
// answer with; none does yet.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/address.hpp"
#include "core/spool.hpp"
#include "delivery/srs.hpp"
#include "mailauth/dkim.hpp"
#include "smtp/protocol/types.hpp"
#include "store/types.hpp"

namespace tern::delivery {

// RCPT time. `resolution` is what the store made of the address;
// `may_relay` is true when the client authenticated (or is otherwise trusted
// to relay). Local domain: a relay trick (smtp::looks_like_relay_trick) from
// a client that may not relay is not_allowed, an address that resolves to
// nobody is unknown_user. Another domain: relay_denied unless `may_relay`.
smtp::RecipientVerdict relay_verdict(const store::Resolution& resolution, const address::Address& address,
                                     bool may_relay);

// Where the message came from; decides the trace fields.
enum class Origin {
  smtp,        // port 25: relayed or final delivery
  submission,  // ports 587 and 465: from a mail client
  notice,      // made by tern itself (a delivery status notice): no Received:
};

// One accepted recipient and what it resolved to at RCPT time.
struct Recipient {
  std::string address;       // as the envelope gave it: where mail for another domain goes
  std::string orcpt;         // RFC 3461 ORCPT, "" when not given
  std::uint8_t notify = 0;   // bits of store::notify, 0 when not given
  store::Resolution resolution;
};

struct Input {
  Origin origin = Origin::smtp;
  // Reverse-path, DSN and BODY parameters, and the session facts that go in
  // Received: (HELO, peer, TLS, authenticated user, the RCPTs).
  smtp::Envelope envelope;
  std::vector<Recipient> recipients;
  std::string hostname;       // this server: Received: "by", Message-ID: domain
  std::string id;             // the transaction: Received: "id", Message-ID:, logs
  std::int64_t now = 0;       // seconds since the epoch: Received: and Date:
  std::string_view message;   // as received: dot-unstuffed, CRLF line endings
  // When set, the message text lies in this spool (`message` views it) and
  // plan_delivery leaves delivery.message to the caller, who prepares it
  // from the spool without a copy: store::prepare_spooled(plan.trace, ...).
  const Spool* spool = nullptr;
  // The keys to sign with (signing.hpp chooses them for the From: domain of
  // mail from an authenticated user and of tern's own notices); none: the
  // message goes unsigned.
  std::vector<dkim::Signer> signers;
  // The Authentication-Results: field (RFC 8601) of the checks the caller
  // made (DKIM verification of mail from elsewhere); "" for none.
  std::string authentication_results;
  // SRS (srs.hpp): mail from elsewhere forwarded by an alias off-server
  // leaves with an SRS0 envelope sender at the alias's domain.
  const SrsKey* srs = nullptr;
};

struct Plan {
  store::Delivery delivery;   // local targets and outbound spec; the message once planned
  std::string trace;          // the header fields put in front of the message, in order
  std::string signing_error;  // why the message goes unsigned although it had signers

  std::size_t local_count() const { return delivery.local.size(); }
  std::size_t queued_count() const { return delivery.outbound ? delivery.outbound->recipients.size() : 0; }
  bool empty() const { return local_count() == 0 && queued_count() == 0; }
};

using Step = void (*)(const Input&, Plan&);
struct NamedStep {
  std::string_view name;
  Step run;
};

namespace step {
void route(const Input& input, Plan& plan);
void outbound_envelope(const Input& input, Plan& plan);
void return_path(const Input& input, Plan& plan);
void authentication_results(const Input& input, Plan& plan);
void received(const Input& input, Plan& plan);
void submission_fields(const Input& input, Plan& plan);
void dkim_sign(const Input& input, Plan& plan);
}  // namespace step

// route, outbound_envelope, return_path, authentication_results, received,
// submission_fields, dkim_sign.
std::span<const NamedStep> standard_steps();

// Runs `steps` in order, then (unless the plan is empty: nobody to deliver
// to, or the text is in input.spool) sets delivery.message to trace +
// message, prepared for the store.
Plan plan_delivery(const Input& input, std::span<const NamedStep> steps);
Plan plan_delivery(const Input& input);

// The envelope's recipients that were accepted at RCPT time: those that
// `resolved` (keyed by address::canonical) holds, in envelope order.
std::vector<Recipient> accepted_recipients(const smtp::Envelope& envelope,
                                           const std::map<std::string, store::Resolution>& resolved);

// The Input for a delivery status notice to `sender` (a queued message's
// reverse-path as stored), which the caller resolved: the null reverse-path
// (RFC 5321 4.5.5: a notice never causes another), no DSN parameters, the
// original's SMTPUTF8. An empty plan means the sender is a local address
// that reaches nobody: the notice is dropped.
Input notice_input(std::string sender, store::Resolution resolution, bool smtputf8, std::int64_t now,
                   std::string_view notice);

}  // namespace tern::delivery
