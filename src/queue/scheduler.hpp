// The queue scheduler: takes due entries from the store under a lease
// (so a crash leaves them to be delivered again: at-least-once; and two
// nodes never take the same entry), delivers each recipient domain by its
// route (relay.routes, smarthost, or MX), records per-recipient results in
// one store transaction together with any bounce or delay warning, and
// reschedules what is still pending on the [queue] retry schedule until
// [queue] max_age. New entries and `tern queue retry` are noticed by polling
// the store once a second.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "delivery/signing.hpp"
#include "net/connection.hpp"
#include "queue/decisions.hpp"
#include "dns/resolver.hpp"
#include "queue/smtp_client.hpp"
#include "store/store.hpp"

namespace tern::queue {

struct SchedulerOptions {
  std::chrono::milliseconds poll{1000};
  std::uint32_t max_in_flight = 32;    // queue entries being delivered at once
  std::uint32_t per_destination = 4;   // connections at once to one domain (or route)
  std::chrono::seconds lease{3600};    // longer than any one delivery can take
  ClientTimeouts timeouts;
  // The DKIM keys that sign delivery status notices; when absent, none.
  delivery::SigningKeys* signing = nullptr;
  // The DNS to route by; when absent, libunbound with [dns] servers.
  std::shared_ptr<Resolver> resolver;
};

class Scheduler : public std::enable_shared_from_this<Scheduler> {
 public:
  static Result<std::shared_ptr<Scheduler>> create(const Config& config, store::Store& store, asio::io_context& io,
                                                   SchedulerOptions options = {});
  // Starts the polling loop (after releasing this node's stale leases).
  void start();
  // Stops taking entries; waits for deliveries in flight until `deadline`,
  // then cuts the rest off (their leases are released at the next start, so
  // they are delivered again).
  asio::awaitable<void> stop(std::chrono::steady_clock::time_point deadline);

 private:
  Scheduler(const Config& config, store::Store& store, asio::io_context& io, SchedulerOptions options,
            std::shared_ptr<Resolver> resolver, std::shared_ptr<asio::ssl::context> tls, std::string password);

  asio::awaitable<void> loop();
  asio::awaitable<void> deliver_entry(store::QueueEntry entry);
  // The message as the client sends it (smtp_client.hpp), a large one
  // without its body.
  asio::awaitable<Result<std::shared_ptr<const OutboundMessage>>> load_outbound(store::Id message_id);
  asio::awaitable<std::vector<RecipientOutcome>> deliver_domain(const std::string& domain,
                                                                const store::OutboundSpec& spec,
                                                                std::vector<store::QueueRecipient> recipients,
                                                                std::shared_ptr<const OutboundMessage> message);
  asio::awaitable<void> record(const store::QueueEntry& entry, const std::vector<RecipientOutcome>& outcomes,
                               std::shared_ptr<const OutboundMessage> message);
  asio::awaitable<std::optional<store::Delivery>> make_notice(const store::QueueEntry& entry, bool delayed,
                                                              const std::vector<std::size_t>& indices,
                                                              const std::vector<RecipientOutcome>& outcomes,
                                                              const OutboundMessage& message);
  asio::awaitable<void> acquire(const std::string& destination);
  void release(const std::string& destination);
  void track(std::shared_ptr<net::Connection> connection);

  const Config& config_;
  store::Store& store_;
  asio::io_context& io_;
  SchedulerOptions options_;
  std::shared_ptr<Resolver> resolver_;
  std::shared_ptr<asio::ssl::context> tls_;
  std::string smarthost_password_;
  std::string owner_;
  std::shared_ptr<ConnectionCache> cache_ = std::make_shared<ConnectionCache>();  // idle connections, reused
  std::atomic<bool> stopping_{false};
  std::atomic<bool> abandoned_{false};
  std::atomic<std::uint32_t> in_flight_{0};
  std::mutex mutex_;  // guards what follows
  std::map<std::string, std::uint32_t> active_;  // destination -> connections
  std::vector<std::weak_ptr<net::Connection>> connections_;
  std::mt19937 random_;
  std::shared_ptr<asio::steady_timer> wake_;
};

}  // namespace tern::queue
