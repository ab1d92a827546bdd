#include "queue/scheduler.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/strand.hpp>
#include <fmt/format.h>

#include <ctime>
#include <fstream>
#include <set>

#include "core/address.hpp"
#include "core/asio_tuple.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "delivery/planner.hpp"
#include "net/tls.hpp"
#include "queue/bounce.hpp"
#include "queue/routing.hpp"

namespace tern::queue {

namespace {

constexpr std::size_t max_addresses_per_host = 4;

store::UnixTime unix_now() { return static_cast<store::UnixTime>(std::time(nullptr)); }

Result<std::string> read_password(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line))
    return make_error(Errc::invalid, fmt::format("key 'relay.smarthost_password_file': cannot read {}", path.string()));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

Result<std::shared_ptr<Scheduler>> Scheduler::create(const Config& config, store::Store& store,
                                                     asio::io_context& io, SchedulerOptions options) {
  std::shared_ptr<Resolver> resolver = options.resolver;
  if (!resolver) {
    auto created = Resolver::create(config.dns.servers);
    if (!created) return std::move(created).error();
    resolver = std::move(*created);
  }
  auto tls = net::make_client_context();
  if (!tls) return std::move(tls).error();
  std::string password;
  if (!config.relay.smarthost_user.empty()) {
    auto read = read_password(config.relay.smarthost_password_file);
    if (!read) return std::move(read).error();
    password = std::move(*read);
  }
  return std::shared_ptr<Scheduler>(new Scheduler(config, store, io, options, std::move(resolver),
                                                  std::move(*tls), std::move(password)));
}

Scheduler::Scheduler(const Config& config, store::Store& store, asio::io_context& io, SchedulerOptions options,
                     std::shared_ptr<Resolver> resolver, std::shared_ptr<asio::ssl::context> tls,
                     std::string password)
    : config_(config),
      store_(store),
      io_(io),
      options_(options),
      resolver_(std::move(resolver)),
      tls_(std::move(tls)),
      smarthost_password_(std::move(password)),
      owner_(config.hostname),
      random_(std::random_device{}()) {}

void Scheduler::start() {
  auto strand = asio::make_strand(io_);
  wake_ = std::make_shared<asio::steady_timer>(strand);
  asio::co_spawn(strand, [self = shared_from_this()] { return self->loop(); }, asio::detached);
}

asio::awaitable<void> Scheduler::stop(std::chrono::steady_clock::time_point deadline) {
  stopping_ = true;
  cache_->close_all();
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (in_flight_ > 0 && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(std::chrono::milliseconds(50));
    co_await timer.async_wait(use_tuple);
  }
  cache_->close_all();  // what the last deliveries left idle
  if (in_flight_ == 0) co_return;
  abandoned_ = true;
  std::lock_guard lock(mutex_);
  for (auto& weak : connections_)
    if (auto connection = weak.lock()) connection->close_from_outside();
  log::info("event=queue_stop abandoned={}", in_flight_.load());
}

asio::awaitable<void> Scheduler::loop() {
  auto self = shared_from_this();
  if (auto released = co_await store_.queue_release(owner_); !released) {
    log::error("event=queue_error op=release error={}", log::kv(released.error().message));
  } else if (*released > 0) {
    log::info("event=queue_leases_released count={}", *released);
  }
  log::info("event=queue_started owner={}", log::kv(owner_));
  while (!stopping_) {
    cache_->expire();
    const std::uint32_t busy = in_flight_;
    if (busy < options_.max_in_flight) {
      const auto now = unix_now();
      auto claimed = co_await store_.queue_claim(owner_, now, now + options_.lease.count(),
                                                 options_.max_in_flight - busy);
      if (!claimed) {
        log::error("event=queue_error op=claim error={}", log::kv(claimed.error().message));
      } else {
        for (auto& entry : *claimed) {
          if (stopping_) break;
          ++in_flight_;
          asio::co_spawn(asio::make_strand(io_),
                         [self, entry = std::move(entry)]() mutable { return self->deliver_entry(std::move(entry)); },
                         asio::detached);
        }
      }
    }
    wake_->expires_after(options_.poll);
    co_await wake_->async_wait(use_tuple);
  }
}

asio::awaitable<Result<std::shared_ptr<const OutboundMessage>>> Scheduler::load_outbound(store::Id message_id) {
  auto meta = co_await store_.message_meta(message_id);
  if (!meta) co_return std::move(meta).error();
  auto out = std::make_shared<OutboundMessage>();
  out->size = meta->size;
  const bool small = meta->size <= outbound_piece;
  // A small message is read whole; of a large one, only the header section now.
  Result<std::string> head;
  if (small) head = co_await store_.read_message(message_id);
  else head = co_await store_.read_message_part(message_id, 0, static_cast<std::size_t>(meta->header_size));
  if (!head) co_return std::move(head).error();
  out->rest_offset = small ? meta->size : std::min<std::uint64_t>(meta->header_size, meta->size);
  out->head = strip_return_path(*head);
  store::Store* store = &store_;
  out->read_part = [store, message_id](std::uint64_t offset, std::size_t length) {
    return store->read_message_part(message_id, offset, length);
  };
  co_return std::shared_ptr<const OutboundMessage>(std::move(out));
}

asio::awaitable<void> Scheduler::deliver_entry(store::QueueEntry entry) {
  auto self = shared_from_this();
  struct Done {
    std::atomic<std::uint32_t>& counter;
    ~Done() { --counter; }
  } done{in_flight_};
  try {
    auto loaded = co_await load_outbound(entry.message_id);
    std::vector<RecipientOutcome> outcomes(entry.spec.recipients.size());
    std::shared_ptr<const OutboundMessage> message;
    if (!loaded) {
      log::error("event=queue_error op=read_message queue_id={} error={}", entry.id, log::kv(loaded.error().message));
      for (auto& o : outcomes) o = RecipientOutcome{Verdict::transient, "4.3.0", "X-tern; " + loaded.error().message, {}};
      message = std::make_shared<const OutboundMessage>();
    } else {
      message = std::move(*loaded);
      // Pending recipients grouped by domain, one transaction per domain.
      std::map<std::string, std::vector<std::size_t>> by_domain;
      for (std::size_t i = 0; i < entry.spec.recipients.size(); ++i)
        if (entry.spec.recipients[i].state == store::RecipientState::pending)
          by_domain[domain_of(entry.spec.recipients[i].address)].push_back(i);
      for (const auto& [domain, indices] : by_domain) {
        std::vector<store::QueueRecipient> recipients;
        for (auto i : indices) recipients.push_back(entry.spec.recipients[i]);
        auto results = co_await deliver_domain(domain, entry.spec, std::move(recipients), message);
        for (std::size_t k = 0; k < indices.size(); ++k) outcomes[indices[k]] = std::move(results[k]);
      }
    }
    if (abandoned_) co_return;  // cut off by shutdown: delivered again after the restart
    co_await record(entry, outcomes, message);
  } catch (const std::exception& e) {
    log::error("event=queue_error op=deliver queue_id={} error={}", entry.id, log::kv(e.what()));
  }
}

asio::awaitable<void> Scheduler::acquire(const std::string& destination) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      auto& count = active_[destination];
      if (count < options_.per_destination) {
        ++count;
        co_return;
      }
    }
    timer.expires_after(std::chrono::milliseconds(100));
    co_await timer.async_wait(use_tuple);
  }
}

void Scheduler::release(const std::string& destination) {
  std::lock_guard lock(mutex_);
  auto it = active_.find(destination);
  if (it != active_.end() && --it->second == 0) active_.erase(it);
}

void Scheduler::track(std::shared_ptr<net::Connection> connection) {
  std::lock_guard lock(mutex_);
  std::erase_if(connections_, [](const auto& weak) { return weak.expired(); });
  connections_.push_back(connection);
}

asio::awaitable<std::vector<RecipientOutcome>> Scheduler::deliver_domain(
    const std::string& domain, const store::OutboundSpec& spec, std::vector<store::QueueRecipient> recipients,
    std::shared_ptr<const OutboundMessage> message) {
  auto self = shared_from_this();
  const std::size_t count = recipients.size();
  auto everyone = [count](Verdict verdict, std::string status, std::string text) {
    return std::vector<RecipientOutcome>(count, RecipientOutcome{verdict, std::move(status), "X-tern; " + text, {}});
  };

  ClientOptions options;
  options.helo_name = config_.hostname;
  options.tls = tls_;
  options.timeouts = options_.timeouts;
  options.on_connect = [this](std::shared_ptr<net::Connection> c) { track(std::move(c)); };
  options.cache = cache_;

  // Where to: a route, the smarthost, or the MX hosts (RFC 5321 5.1).
  std::vector<Hop> hops;
  bool implicit_mx = false;
  std::string destination = domain;
  if (auto route = fixed_route(config_.relay, domain); route.found) {
    hops.push_back(route.hop);
    destination = fmt::format("{}:{}", route.hop.host, route.hop.port);
    if (route.smarthost && !config_.relay.smarthost_user.empty()) {
      options.auth_user = config_.relay.smarthost_user;
      options.auth_password = smarthost_password_;
    }
  } else {
    auto answer = co_await resolver_->lookup_mx(domain);
    MxRoute mx;
    {
      std::lock_guard lock(mutex_);
      mx = route_by_mx(domain, answer, random_);
    }
    if (mx.decided) co_return std::vector<RecipientOutcome>(count, std::move(mx.outcome));
    hops = std::move(mx.hops);
    implicit_mx = mx.implicit_mx;
  }

  co_await acquire(destination);
  struct Release {
    Scheduler& scheduler;
    const std::string& destination;
    ~Release() { scheduler.release(destination); }
  } release_guard{*this, destination};

  std::string last_error = "no host to deliver to";
  bool any_address = false;
  for (const auto& hop : hops) {
    std::vector<asio::ip::address> addresses;
    asio::error_code literal_error;
    auto literal = asio::ip::make_address(hop.host, literal_error);
    if (!literal_error) {
      addresses.push_back(literal);
    } else {
      auto found = co_await resolver_->lookup_addresses(hop.host);
      if (!found) {
        last_error = found.error().message;
        continue;
      }
      addresses = std::move(found->addresses);
      if (addresses.empty()) {
        last_error = fmt::format("host {} has no address", hop.host);
        continue;
      }
    }
    if (addresses.size() > max_addresses_per_host) addresses.resize(max_addresses_per_host);
    for (const auto& address : addresses) {
      if (abandoned_) co_return everyone(Verdict::transient, "4.3.2", "shutting down");
      any_address = true;
      const asio::ip::tcp::endpoint endpoint(address, hop.port);
      std::string server_name = hop.host;
      auto result = co_await send_message(options, endpoint, std::move(server_name), spec, recipients, message);
      if (!result.try_next) co_return std::move(result.recipients);
      log::info("event=delivery_host_failed domain={} host={} error={}", domain, hop.host, log::kv(result.error));
      last_error = result.error;
    }
  }
  co_return std::vector<RecipientOutcome>(count, no_host_outcome(domain, implicit_mx, any_address, last_error));
}

asio::awaitable<std::optional<store::Delivery>> Scheduler::make_notice(const store::QueueEntry& entry, bool delayed,
                                                                       const std::vector<std::size_t>& indices,
                                                                       const std::vector<RecipientOutcome>& outcomes,
                                                                       const OutboundMessage& message) {
  const auto now = unix_now();
  Notice notice;
  notice.delayed = delayed;
  notice.hostname = config_.hostname;
  notice.to = entry.spec.sender;
  notice.envid = entry.spec.envid;
  notice.return_full = entry.spec.ret == "FULL";
  notice.arrival = entry.created;
  notice.now = now;
  notice.retry_until = entry.created + config_.queue.max_age.count();
  notice.unique = make_unique_id();
  for (auto i : indices) {
    const auto& r = entry.spec.recipients[i];
    const auto& o = outcomes[i];
    notice.recipients.push_back(NoticeRecipient{r.address, r.orcpt, o.status, o.remote_mta, o.diagnostic});
  }
  // The original whole only when it was read whole (it is small); of a
  // large one its header section (RFC 3461 allows returning less).
  std::string text = build_notice(notice, message.head, message.whole());

  auto sender = address::parse(entry.spec.sender, address::ParseOptions{.allow_utf8 = true});
  if (!sender) {
    log::warn("event=bounce_dropped queue_id={} reason=bad_sender sender={}", entry.id, log::kv(entry.spec.sender));
    co_return std::nullopt;
  }
  auto resolution = co_await store_.resolve(address::canonical(*sender));
  if (!resolution) {
    log::error("event=queue_error op=resolve_sender queue_id={} error={}", entry.id,
               log::kv(resolution.error().message));
    co_return std::nullopt;
  }
  auto input = delivery::notice_input(entry.spec.sender, std::move(*resolution), entry.spec.smtputf8, now, text);
  if (options_.signing != nullptr) {
    auto signers = co_await options_.signing->signers_for(delivery::from_domain(text));
    input.signers = std::move(signers);
  }
  auto plan = delivery::plan_delivery(input);
  if (!plan.signing_error.empty())
    log::error("event=dkim_sign_failed queue_id={} error={}", entry.id, log::kv(plan.signing_error));
  if (plan.empty()) {
    log::warn("event=bounce_dropped queue_id={} reason=unknown_local_sender sender={}", entry.id,
              log::kv(entry.spec.sender));
    co_return std::nullopt;
  }
  co_return std::move(plan.delivery);
}

asio::awaitable<void> Scheduler::record(const store::QueueEntry& entry, const std::vector<RecipientOutcome>& outcomes,
                                        std::shared_ptr<const OutboundMessage> message) {
  const auto now = unix_now();
  AttemptDecision decision = decide_attempt(entry, outcomes, config_.queue, now);
  store::QueueAttempt& attempt = decision.attempt;
  attempt.owner = owner_;
  const auto& final_outcomes = decision.outcomes;
  const auto& pending = decision.pending;
  for (std::size_t i = 0; i < attempt.recipients.size(); ++i) {
    const char* result = "deferred";
    switch (decision.results[i]) {
      case RecipientResult::unchanged: continue;
      case RecipientResult::delivered: result = "delivered"; break;
      case RecipientResult::bounced: result = "bounced"; break;
      case RecipientResult::deferred: break;
    }
    const auto& r = attempt.recipients[i];
    const auto& o = final_outcomes[i];
    log::info("event=delivery queue_id={} to={} result={} status={} relay={} diagnostic={} attempt={}", entry.id,
              log::kv(r.address), result, o.status, log::kv(o.remote_mta.empty() ? "none" : o.remote_mta),
              log::kv(o.diagnostic), attempt.attempts);
  }

  if (decision.failure_notice_dropped > 0)
    log::info("event=bounce_dropped queue_id={} reason=null_sender recipients={}", entry.id,
              decision.failure_notice_dropped);
  if (!decision.failure_notice.empty())
    if (auto notice = co_await make_notice(entry, false, decision.failure_notice, final_outcomes, *message))
      attempt.notices.push_back(std::move(*notice));
  if (!decision.delay_notice.empty())
    if (auto notice = co_await make_notice(entry, true, decision.delay_notice, final_outcomes, *message))
      attempt.notices.push_back(std::move(*notice));

  const std::size_t notices = attempt.notices.size();
  auto recorded = co_await store_.queue_record_attempt(attempt);
  if (!recorded && notices > 0 && recorded.error().code != Errc::not_found &&
      recorded.error().code != Errc::conflict) {
    // A notice that cannot be stored is dropped; the attempt itself still counts.
    log::error("event=bounce_dropped queue_id={} reason=store error={}", entry.id, log::kv(recorded.error().message));
    attempt.notices.clear();
    recorded = co_await store_.queue_record_attempt(attempt);
  }
  if (!recorded) {
    log::error("event=queue_error op=record queue_id={} error={}", entry.id, log::kv(recorded.error().message));
    co_return;
  }
  if (notices > 0) log::info("event=notice_sent queue_id={} to={} count={}", entry.id, log::kv(entry.spec.sender), notices);
  if (pending.empty()) {
    log::info("event=queue_done queue_id={} attempts={}", entry.id, attempt.attempts);
  } else {
    log::info("event=queue_deferred queue_id={} pending={} next_attempt={}", entry.id, pending.size(),
              attempt.next_attempt);
  }
}

}  // namespace tern::queue
