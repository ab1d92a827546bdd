// The SMTP session: the protocol's handler for the session engine. It
// performs the core's actions in order (replies are held by the engine while
// a pipelined group is still arriving, RFC 2920). Recipient policy (DESIGN.md
// rule 2) and the delivery plan come from delivery/planner; the single
// durable delivery transaction (rule 1) is made here.
#include "smtp/session.hpp"

#include <fmt/format.h>

#include <array>
#include <ctime>
#include <map>
#include <random>

#include "core/address.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/spool.hpp"
#include "core/text.hpp"
#include "delivery/inbound_checks.hpp"
#include "delivery/planner.hpp"
#include "delivery/sender_policy.hpp"
#include "delivery/signing.hpp"
#include "delivery/srs.hpp"
#include "dns/resolver.hpp"
#include "mailauth/authentication_results.hpp"
#include "mailauth/dkim_verify.hpp"
#include "mime/header.hpp"
#include "session/core_handler.hpp"
#include "session/login.hpp"
#include "store/prepare_message.hpp"
#include "smtp/protocol/server_protocol.hpp"

namespace tern::smtp {

namespace {

Mode mode_for(Protocol protocol) {
  switch (protocol) {
    case Protocol::submission: return Mode::submission;
    case Protocol::submissions: return Mode::submissions;
    default: return Mode::smtp;
  }
}

// A number in [0, n): DMARC's pct= sampling.
std::uint32_t random_below(std::uint32_t n) {
  thread_local std::minstd_rand generator{std::random_device{}()};
  return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(generator);
}

std::string postmaster_domain(const std::string& hostname) {
  // mail.example.org -> example.org: where postmaster@ usually lives.
  auto dot = hostname.find('.');
  if (dot != std::string::npos && hostname.find('.', dot + 1) != std::string::npos)
    return hostname.substr(dot + 1);
  return hostname;
}

using CoreHandler =
    session::CoreHandler<ServerProtocol, Action, action::Reply, action::StartTls, action::Close, TlsInfo>;

// A stopping server lets a transaction in progress finish within the grace
// period: the core is idle only between transactions.
class Session final : public CoreHandler {
 public:
  using CoreHandler::CoreHandler;

  asio::awaitable<void> run() { co_await engine_.run(*this); }

  void start() override {
    core_.emplace(make_config(), make_facts());
    if (connection_->has_pending_input()) {
      log::warn("session={} event=pregreet peer={}", id_, connection_->peer_address());
      core_->client_spoke_early();
    } else {
      core_->start();
    }
  }

  std::chrono::seconds read_timeout() const override { return env_.config.limits.command_timeout; }

 private:
  ProtocolConfig make_config() const {
    ProtocolConfig c;
    c.hostname = env_.config.hostname;
    c.mode = mode_for(env_.protocol);
    c.max_message_size = env_.config.limits.max_message_size;
    c.spool = spool_options(env_.config.data_dir);
    c.max_recipients = env_.config.limits.max_recipients;
    c.tls_available = engine_.tls_available();
    c.allow_plaintext_auth = engine_.plaintext_auth_allowed();
    c.postmaster_domain = postmaster_domain(env_.config.hostname);
    return c;
  }

  Connection make_facts() const {
    Connection facts;
    facts.peer_address = connection_->peer_address();
    facts.tls = tls_facts();
    return facts;
  }

  // Performs one of SMTP's own actions; false ends the session.
  asio::awaitable<bool> perform(Action& action) override {
    if (auto* check = std::get_if<action::CheckRecipient>(&action)) {
      core_->recipient_checked(co_await check_recipient(*check));
      co_return true;
    }
    if (auto* sender = std::get_if<action::CheckSender>(&action)) {
      core_->sender_checked(co_await check_sender(*sender));
      co_return true;
    }
    if (auto* login = std::get_if<action::Authenticate>(&action)) {
      co_await authenticate(*login);
      co_return true;
    }
    if (auto* deliver = std::get_if<action::Deliver>(&action)) {
      auto outcome = co_await deliver_message(*deliver);
      if (refusal_) {
        core_->delivery_refused(refusal_->enhanced, refusal_->text);
        refusal_.reset();
      } else {
        core_->delivery_done(outcome);
      }
      resolved_.clear();
    }
    co_return true;
  }

  asio::awaitable<RecipientVerdict> check_recipient(const action::CheckRecipient& check) {
    const std::string key = address::canonical(check.address);
    auto resolution = co_await env_.store.resolve(key);
    if (!resolution) {
      log::error("session={} event=store_error op=resolve error={}", id_, log::kv(resolution.error().message));
      co_return RecipientVerdict::temporary_failure;
    }
    // An SRS address of ours (a bounce of mail tern forwarded) goes on to
    // the original sender when its hash and age check out.
    if (resolution->local_domain && !resolution->found() && env_.srs != nullptr &&
        delivery::is_srs_local_part(key.substr(0, key.rfind('@')))) {
      if (auto original = env_.srs->reverse(key, static_cast<std::int64_t>(std::time(nullptr)))) {
        log::info("session={} event=srs_reverse to={} original={}", id_, log::kv(key), log::kv(*original));
        resolution->external.push_back(std::move(*original));
      }
    }
    const RecipientVerdict verdict = delivery::relay_verdict(*resolution, check.address, !check.auth_user.empty());
    log::info("session={} event=rcpt to={} verdict={}", id_, log::kv(key), verdict_name(verdict));
    if (verdict == RecipientVerdict::accept) resolved_[key] = std::move(*resolution);
    co_return verdict;
  }

  // The sender policy ([submission] sender_policy): by default the account
  // may use its own address and the aliases that deliver to it.
  // nullopt: the store could not answer.
  asio::awaitable<std::optional<bool>> may_send_as(const std::string& auth_user, const std::string& address) {
    if (address == auth_user) co_return true;
    auto account = co_await env_.store.find_account(auth_user);
    if (!account) co_return std::nullopt;
    if (!*account) co_return false;
    const SenderPolicy policy = env_.config.submission.policy_for(std::string_view(auth_user).substr(auth_user.rfind('@') + 1));
    if (policy == SenderPolicy::any) co_return true;
    auto resolution = co_await env_.store.resolve(address);
    if (!resolution) co_return std::nullopt;
    co_return delivery::may_send_as(policy, **account, address, *resolution);
  }

  asio::awaitable<SenderVerdict> check_sender(const action::CheckSender& check) {
    const std::string key = address::canonical(check.address);
    auto allowed = co_await may_send_as(check.auth_user, key);
    if (!allowed) {
      log::error("session={} event=store_error op=check_sender", id_);
      co_return SenderVerdict::temporary_failure;
    }
    if (!*allowed)
      log::warn("session={} event=sender_refused from={} user={}", id_, log::kv(key), log::kv(check.auth_user));
    co_return *allowed ? SenderVerdict::accept : SenderVerdict::not_owned;
  }

  // Every From: address of a message from an authenticated user must pass
  // the sender policy too: the envelope alone would let alice write
  // "From: Bob <bob@example.test>".
  asio::awaitable<Result<void>> check_from(const std::string& auth_user,
                                           const std::vector<std::string>& addresses) {
    constexpr std::size_t max_from = 50;
    if (addresses.size() > max_from)
      co_return make_error(Errc::denied, fmt::format("Too many From: addresses (more than {})", max_from));
    for (const auto& a : addresses) {
      auto allowed = co_await may_send_as(auth_user, a);
      if (!allowed) {
        log::error("session={} event=store_error op=check_from", id_);
        co_return make_error(Errc::unavailable, "store unavailable");
      }
      if (!*allowed) {
        log::warn("session={} event=from_refused from={} user={}", id_, log::kv(a), log::kv(auth_user));
        co_return make_error(Errc::denied,
                             fmt::format("From: <{}> is not an address of {}; sender address not allowed", a,
                                         auth_user));
      }
    }
    co_return Result<void>();
  }

  static const char* verdict_name(RecipientVerdict v) {
    switch (v) {
      case RecipientVerdict::accept: return "accept";
      case RecipientVerdict::unknown_user: return "unknown_user";
      case RecipientVerdict::relay_denied: return "relay_denied";
      case RecipientVerdict::not_allowed: return "not_allowed";
      case RecipientVerdict::temporary_failure: return "temporary_failure";
    }
    return "?";
  }

  asio::awaitable<void> authenticate(const action::Authenticate& login) {
    auto outcome = co_await session::login(env_, id_, connection_->peer_address(), login.mechanism, login.username,
                                           login.password);
    switch (outcome.status) {
      case session::LoginStatus::ok: core_->auth_result(true, outcome.account->address); break;
      case session::LoginStatus::unavailable: core_->auth_unavailable(); break;
      case session::LoginStatus::failed:
      case session::LoginStatus::throttled: core_->auth_result(false, ""); break;
    }
  }

  // The checks of a message from elsewhere (DKIM, SPF, DMARC: the result
  // in Authentication-Results: on top, each logged), what the listener's
  // inbound policy makes of them, and the header section without the fields
  // that claim to be ours (RFC 8601 5), when there were any (nullopt when
  // none). A refusal is left in refusal_ (the reply) with Errc::denied.
  asio::awaitable<Result<std::optional<std::string>>> check_inbound(delivery::Input& input,
                                                                   std::vector<std::string> from,
                                                                   bool& quarantine) {
    constexpr std::size_t max_rewritten_header = 1 << 20;
    const std::size_t header_end = mime::header_size(input.message);
    const std::string_view header = input.message.substr(0, header_end);
    delivery::InboundMessage message;
    message.header = header;
    message.body = input.message.substr(header_end);
    message.helo = input.envelope.helo;
    message.peer_address = input.envelope.peer_address;
    const std::string reverse_path = input.envelope.reverse_path();
    message.reverse_path = reverse_path;
    message.from = std::move(from);
    message.hostname = input.hostname;
    message.now = input.now;
    message.sample = static_cast<unsigned>(random_below(100));
    const InboundPolicy& policy = env_.inbound_policy();
    auto verdict = co_await delivery::check_inbound(env_.resolver, env_.store, policy, message);
    for (const auto& v : verdict.dkim)
      log::info("session={} event=dkim id={} result={} domain={} selector={} reason={}", id_, input.id,
                dkim::status_name(v.status), log::kv(v.domain), log::kv(v.selector), log::kv(v.reason));
    if (verdict.spf)
      log::info("session={} event=spf id={} result={} identity={} domain={} client={} mechanism={}", id_, input.id,
                spf::status_name(verdict.spf->status), verdict.spf->helo ? "helo" : "mailfrom",
                log::kv(verdict.spf->domain), verdict.spf->client, log::kv(verdict.spf->mechanism));
    for (const auto& d : verdict.dmarc)
      log::info("session={} event=dmarc id={} result={} from={} policy={} applied={} spf_aligned={} "
                "dkim_aligned={} reason={}",
                id_, input.id, dmarc::status_name(d.status), log::kv(d.from_domain),
                dmarc::disposition_name(d.policy), dmarc::disposition_name(d.applied), d.spf_aligned,
                d.dkim_aligned, log::kv(d.reason));
    if (verdict.action != InboundAction::accept)
      log::warn("session={} event=inbound_policy id={} action={} check={} reason={}", id_, input.id,
                inbound_action_name(verdict.action), verdict.check, log::kv(verdict.text));
    if (verdict.action == InboundAction::reject) {
      refusal_ = Refusal{verdict.enhanced, verdict.text};
      co_return make_error(Errc::denied, verdict.text);
    }
    quarantine = verdict.action == InboundAction::quarantine;
    input.authentication_results = std::move(verdict.authentication_results);

    const std::string own = text::to_lower(input.hostname);
    std::optional<std::string> rewritten;
    std::size_t kept_until = 0;
    for (const auto& field : dkim::split_header(header)) {
      if (!text::iequals(field.name, "Authentication-Results")) continue;
      if (mailauth::authserv_id_of(field.text.substr(field.text.find(':') + 1)) != own) continue;
      if (header_end > max_rewritten_header)
        co_return make_error(Errc::invalid, "header section too large to remove a forged Authentication-Results");
      if (!rewritten) rewritten.emplace();
      const auto at = static_cast<std::size_t>(field.text.data() - header.data());
      rewritten->append(header.substr(kept_until, at - kept_until));
      kept_until = at + field.text.size();
      log::warn("session={} event=forged_authentication_results id={} removed={}", id_, input.id,
                log::kv(field.text.substr(0, 200)));
    }
    if (rewritten) rewritten->append(header.substr(kept_until));
    co_return rewritten;
  }

  asio::awaitable<Result<std::string>> deliver_message(action::Deliver& deliver) {
    delivery::Input input;
    input.origin = env_.protocol == Protocol::smtp ? delivery::Origin::smtp : delivery::Origin::submission;
    input.recipients = delivery::accepted_recipients(deliver.envelope, resolved_);
    input.envelope = std::move(deliver.envelope);
    input.hostname = env_.config.hostname;
    input.id = make_unique_id();
    input.now = static_cast<std::int64_t>(std::time(nullptr));
    // The text is read where it lies: a spool still in memory, or the spool
    // file mapped (file pages, not heap).
    auto body = MappedText::map("", deliver.message);
    if (!body) {
      log::error("session={} event=spool_error error={}", id_, log::kv(body.error().message));
      co_return std::move(body).error();
    }
    input.message = (*body)->view();
    input.spool = &deliver.message;
    input.srs = env_.srs;
    // The From: addresses of mail from an authenticated user: checked by
    // the sender policy, and their domain chooses the DKIM keys.
    std::vector<std::string> from = delivery::from_addresses(input.message);
    if (!input.envelope.auth_user.empty()) {
      auto from_ok = co_await check_from(input.envelope.auth_user, from);
      if (!from_ok) co_return std::move(from_ok).error();
    }
    // Mail from elsewhere has its DKIM signatures checked, the results on top
    // in Authentication-Results:, and any such field claiming to be ours
    // removed (a rewritten header section then replaces the spool's own).
    std::string rewritten_header;
    std::uint64_t skip = 0;
    bool quarantine = false;
    if (input.envelope.auth_user.empty()) {
      auto checked = co_await check_inbound(input, from, quarantine);
      if (!checked) co_return std::move(checked).error();
      if (*checked) {
        skip = mime::header_size(input.message);
        rewritten_header = std::move(**checked);
      }
    }
    // Mail from an authenticated user is signed with its From: domain's keys.
    if (env_.signing != nullptr && !input.envelope.auth_user.empty()) {
      auto signers = co_await env_.signing->signers_for(delivery::from_domain(from));
      input.signers = std::move(signers);
    }
    delivery::Plan plan = delivery::plan_delivery(input);
    // Quarantined mail goes to each local recipient's Junk mailbox.
    if (quarantine)
      for (auto& target : plan.delivery.local) target.mailbox = "Junk";
    if (!plan.signing_error.empty())
      log::error("session={} event=dkim_sign_failed id={} error={}", id_, input.id, log::kv(plan.signing_error));
    body->reset();
    if (!plan.empty()) {
      auto prepared = store::prepare_spooled(plan.trace + rewritten_header, deliver.message, input.now, skip);
      if (!prepared) {
        log::error("session={} event=spool_error error={}", id_, log::kv(prepared.error().message));
        co_return std::move(prepared).error();
      }
      plan.delivery.message = std::move(*prepared);
    }
    const Envelope& envelope = input.envelope;
    const std::string& txid = input.id;

    const std::size_t local_count = plan.local_count();
    const std::size_t remote_count = plan.queued_count();
    auto result = co_await env_.store.deliver(std::move(plan.delivery));
    if (!result) {
      log::error("session={} event=store_error op=deliver id={} error={}", id_, txid,
                 log::kv(result.error().message));
      co_return std::move(result).error();
    }
    log::info("session={} event=accepted id={} from={} local={} queued={} size={}", id_, txid,
              log::kv("<" + envelope.reverse_path() + ">"), local_count, remote_count, deliver.message.size());
    co_return txid;
  }

  std::map<std::string, store::Resolution> resolved_;
  // Why the inbound policy refused the message being delivered.
  struct Refusal {
    std::string enhanced, text;
  };
  std::optional<Refusal> refusal_;
};

}  // namespace

asio::awaitable<void> run_session(const SessionEnv& env, std::shared_ptr<net::Connection> connection,
                                  std::uint64_t id) {
  Session session(env, std::move(connection), id);
  co_await session.run();
}

}  // namespace tern::smtp
