// The delivery planner's steps (see planner.hpp).
#include "delivery/planner.hpp"

#include <array>
#include <set>

#include "mime/header.hpp"
#include "smtp/protocol/policy.hpp"
#include "smtp/protocol/trace.hpp"
#include "store/prepare_message.hpp"

namespace tern::delivery {

smtp::RecipientVerdict relay_verdict(const store::Resolution& resolution, const address::Address& address,
                                     bool may_relay) {
  if (resolution.local_domain) {
    if (smtp::looks_like_relay_trick(address) && !may_relay) return smtp::RecipientVerdict::not_allowed;
    if (!resolution.found()) return smtp::RecipientVerdict::unknown_user;
    return smtp::RecipientVerdict::accept;
  }
  return may_relay ? smtp::RecipientVerdict::accept : smtp::RecipientVerdict::relay_denied;
}

namespace step {

void route(const Input& input, Plan& plan) {
  std::set<store::Id> accounts;
  for (const auto& r : plan.delivery.local) accounts.insert(r.account_id);
  auto add_outbound = [&](std::string address, const Recipient& r) {
    if (!plan.delivery.outbound) plan.delivery.outbound.emplace();
    plan.delivery.outbound->recipients.push_back(store::QueueRecipient{std::move(address), r.orcpt, r.notify, {}, {}});
  };
  for (const auto& r : input.recipients) {
    if (!r.resolution.local_domain) {
      add_outbound(r.address, r);
      continue;
    }
    for (auto account : r.resolution.accounts)
      if (accounts.insert(account).second) plan.delivery.local.push_back(store::LocalTarget{account, "INBOX", 0});
    for (const auto& external : r.resolution.external) add_outbound(external, r);
  }
}

void outbound_envelope(const Input& input, Plan& plan) {
  if (!plan.delivery.outbound) return;
  const smtp::Envelope& envelope = input.envelope;
  store::OutboundSpec& outbound = *plan.delivery.outbound;
  outbound.sender = envelope.reverse_path();
  outbound.envid = envelope.envid;
  outbound.ret = envelope.ret == smtp::Ret::full ? "FULL" : envelope.ret == smtp::Ret::headers ? "HDRS" : "";
  outbound.smtputf8 = envelope.smtputf8;
  outbound.eight_bit = envelope.body == smtp::BodyType::eight_bit_mime;
  outbound.auth_user = envelope.auth_user;
  // Mail from elsewhere that goes out again was forwarded by an alias: its
  // sender is rewritten (SRS) at the alias's domain, which names tern in SPF.
  if (input.srs == nullptr || input.origin != Origin::smtp || !envelope.auth_user.empty() || outbound.sender.empty())
    return;
  for (const auto& r : input.recipients) {
    if (!r.resolution.local_domain || r.resolution.external.empty()) continue;
    auto at = r.address.rfind('@');
    if (at == std::string::npos) continue;
    outbound.sender = input.srs->forward(outbound.sender, r.address.substr(at + 1), input.now);
    return;
  }
}

void return_path(const Input& input, Plan& plan) {
  if (!plan.delivery.local.empty()) plan.trace += smtp::trace::return_path_field(input.envelope);
}

void authentication_results(const Input& input, Plan& plan) { plan.trace += input.authentication_results; }

void received(const Input& input, Plan& plan) {
  if (input.origin == Origin::notice) return;
  plan.trace += smtp::trace::received_field(input.envelope, input.hostname, input.id, input.now);
}

void submission_fields(const Input& input, Plan& plan) {
  if (input.origin != Origin::submission || input.envelope.auth_user.empty()) return;
  plan.trace += smtp::trace::missing_submission_fields(input.message, input.hostname, input.id, input.now);
}

void dkim_sign(const Input& input, Plan& plan) {
  if (input.signers.empty() || plan.empty()) return;
  std::size_t header_end = mime::header_size(input.message);
  std::string header = plan.trace;
  header += input.message.substr(0, header_end);
  auto fields = dkim::sign_all(header, input.message.substr(header_end), input.signers, input.now);
  if (!fields) {
    plan.signing_error = fields.error().message;
    return;
  }
  // Below Return-Path:, which stays the topmost field (RFC 5321 4.4).
  std::size_t at = 0;
  if (plan.trace.starts_with("Return-Path:")) at = plan.trace.find("\r\n") + 2;
  plan.trace.insert(at, *fields);
}

}  // namespace step

std::span<const NamedStep> standard_steps() {
  static constexpr std::array<NamedStep, 7> steps{{
      {"route", step::route},
      {"outbound_envelope", step::outbound_envelope},
      {"return_path", step::return_path},
      {"authentication_results", step::authentication_results},
      {"received", step::received},
      {"submission_fields", step::submission_fields},
      {"dkim_sign", step::dkim_sign},
  }};
  return steps;
}

Plan plan_delivery(const Input& input, std::span<const NamedStep> steps) {
  Plan plan;
  for (const NamedStep& s : steps) s.run(input, plan);
  if (plan.empty() || input.spool != nullptr) return plan;
  std::string message;
  message.reserve(plan.trace.size() + input.message.size());
  message += plan.trace;
  message += input.message;
  plan.delivery.message = store::prepare_message(message, input.now);
  return plan;
}

Plan plan_delivery(const Input& input) { return plan_delivery(input, standard_steps()); }

std::vector<Recipient> accepted_recipients(const smtp::Envelope& envelope,
                                           const std::map<std::string, store::Resolution>& resolved) {
  std::vector<Recipient> out;
  for (const auto& r : envelope.recipients) {
    auto it = resolved.find(address::canonical(r.address));
    if (it == resolved.end()) continue;  // not accepted at RCPT time
    out.push_back(Recipient{r.address.str(), r.orcpt, r.notify, it->second});
  }
  return out;
}

Input notice_input(std::string sender, store::Resolution resolution, bool smtputf8, std::int64_t now,
                   std::string_view notice) {
  Input input;
  input.origin = Origin::notice;
  input.envelope.smtputf8 = smtputf8;  // the null reverse-path, no DSN parameters
  input.recipients.push_back(Recipient{std::move(sender), {}, 0, std::move(resolution)});
  input.now = now;
  input.message = notice;
  return input;
}

}  // namespace tern::delivery
