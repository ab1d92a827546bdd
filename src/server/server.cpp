#include "server/server.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include "core/asio_tuple.hpp"
#include "core/log.hpp"
#include "server/dispatch.hpp"

namespace tern::server {


struct Server::Listener {
  ListenerConfig config;
  asio::ip::tcp::acceptor acceptor;
};

Server::Server(const Config& config, asio::io_context& io) : config_(config), io_(io), slots_(config.limits) {}

Server::~Server() {
  if (services_ && services_->store) services_->store->close();
}

Result<void> Server::bind() {
  signals_ = std::make_unique<asio::signal_set>(io_, SIGTERM, SIGINT, SIGHUP);
  for (std::size_t i = 0; i < config_.listeners.size(); ++i) {
    const auto& lc = config_.listeners[i];
    if (!protocol_available(lc.protocol))
      return make_error(Errc::invalid, fmt::format("{}: key 'listen[{}].protocol': {} is not served by this "
                                                   "version of tern", config_.path.string(), i,
                                                   protocol_name(lc.protocol)));
    asio::error_code ec;
    asio::ip::tcp::resolver resolver(io_);
    auto endpoints = resolver.resolve(lc.host, std::to_string(lc.port),
                                      asio::ip::resolver_base::numeric_service, ec);
    if (ec || endpoints.empty())
      return make_error(Errc::invalid, fmt::format("{}: listen address {}: {}", config_.path.string(),
                                                   lc.address(), ec ? ec.message() : "no address"));
    auto endpoint = endpoints.begin()->endpoint();
    asio::ip::tcp::acceptor acceptor(io_);
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      return make_error(Errc::io, fmt::format("cannot listen on {} ({}): {}", lc.address(),
                                              protocol_name(lc.protocol), ec.message()));
    listeners_.push_back(std::make_unique<Listener>(Listener{lc, std::move(acceptor)}));
  }
  return {};
}

Result<void> Server::start() {
  services_ = std::make_unique<Services>(config_, nullptr, nullptr, nullptr, nullptr);
  services_->stress = &slots_.stress();
  net::KeyPairPaths paths{config_.tls.cert, config_.tls.key};
  if (paths.cert.empty()) {
    auto generated = net::ensure_self_signed(config_.data_dir, config_.hostname);
    if (!generated) return std::move(generated).error();
    paths = *generated;
  }
  services_->tls = std::make_unique<net::TlsContextHolder>(paths);
  if (auto r = services_->tls->load(); !r) return r;

  store::StoreOptions options;
  options.backend = config_.store.backend;
  options.data_dir = config_.data_dir.string();
  options.url = config_.store.url;
  auto opened = store::open_store(options);
  if (!opened) return std::move(opened).error();
  services_->store = std::move(*opened);
  services_->shared_changes = std::make_unique<store::SharedChanges>(*services_->store);
  services_->signing = std::make_unique<delivery::SigningKeys>(*services_->store);
  auto resolver = dns::Resolver::create(config_.dns.servers);
  if (!resolver) return std::move(resolver).error();
  services_->resolver = std::move(*resolver);
  if (config_.relay.srs) {
    const auto path = config_.relay.srs_secret_file.empty() ? config_.data_dir / "srs.secret"
                                                             : config_.relay.srs_secret_file;
    auto key = delivery::SrsKey::load_or_create(path);
    if (!key) return std::move(key).error();
    services_->srs = std::make_unique<delivery::SrsKey>(std::move(*key));
  }
  if (auto r = init_services(*services_); !r) return r;
  queue::SchedulerOptions scheduler_options;
  scheduler_options.signing = services_->signing.get();
  auto scheduler = queue::Scheduler::create(config_, *services_->store, io_, scheduler_options);
  if (!scheduler) return std::move(scheduler).error();
  scheduler_ = std::move(*scheduler);
  scheduler_->start();

  for (auto& listener : listeners_) {
    log::info("event=listen protocol={} address={}", protocol_name(listener->config.protocol),
              listener->config.address());
    asio::co_spawn(io_, accept_loop(*listener), asio::detached);
  }
  asio::co_spawn(io_, watch_signals(), asio::detached);
  return {};
}

int Server::run(unsigned threads) {
  std::vector<std::thread> workers;
  for (unsigned i = 1; i < threads; ++i) workers.emplace_back([this] { io_.run(); });
  io_.run();
  for (auto& w : workers) w.join();
  services_->store->close();
  log::info("event=stopped");
  return 0;
}

asio::awaitable<void> Server::accept_loop(Listener& listener) {
  while (!services_->stopping) {
    auto strand = asio::make_strand(io_);
    auto [ec, socket] = co_await listener.acceptor.async_accept(strand, use_tuple);
    if (ec) {
      if (services_->stopping || ec == asio::error::operation_aborted) break;
      log::warn("event=accept_error address={} error={}", listener.config.address(), log::kv(ec.message()));
      // Out of descriptors and the like: pause instead of spinning.
      asio::steady_timer pause(io_, std::chrono::milliseconds(100));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    auto connection = std::make_shared<net::TcpConnection>(std::move(socket));
    asio::co_spawn(strand, run_session(listener, std::move(connection)), asio::detached);
  }
}

asio::awaitable<void> Server::run_session(Listener& listener, std::shared_ptr<net::Connection> connection) {
  const std::string& ip = connection->peer_address();
  const std::uint64_t id = next_session_++;
  const auto admission = slots_.admit(id, connection);
  if (admission.verdict != SlotTable::Verdict::admitted) {
    log::warn("event=connection_refused protocol={} peer={} reason={}", protocol_name(listener.config.protocol),
              ip, admission.verdict == SlotTable::Verdict::network_full ? "per_ip_limit" : "server_full");
    co_await refuse_busy(listener.config.protocol, *connection);
    connection->close();
    co_return;
  }
  log::info("session={} event=connect protocol={} peer={}", id, protocol_name(listener.config.protocol), ip);
  try {
    co_await dispatch_session(*services_, listener.config, connection, id);
  } catch (const std::exception& e) {
    // A bug in a session must not take the server down; it is logged as such.
    log::error("session={} event=session_failed error={}", id, log::kv(e.what()));
  }
  connection->close();
  log::info("session={} event=disconnect", id);
  slots_.release(id);
}

asio::awaitable<void> Server::watch_signals() {
  for (;;) {
    auto [ec, signal] = co_await signals_->async_wait(use_tuple);
    if (ec) co_return;
    if (signal == SIGHUP) {
      services_->signing->reload();
      if (auto r = services_->tls->load(); !r) {
        log::error("event=tls_reload_failed error={}", log::kv(r.error().message));
      } else {
        log::info("event=tls_reloaded cert={}", log::kv(services_->tls->paths().cert.string()));
      }
      continue;
    }
    log::info("event=shutdown signal={}", signal == SIGTERM ? "TERM" : "INT");
    co_await shutdown();
    co_return;
  }
}

asio::awaitable<void> Server::shutdown() {
  services_->stopping = true;
  for (auto& listener : listeners_) {
    asio::error_code ignored;
    listener->acceptor.close(ignored);
  }
  // Sessions see `stopping` and end once idle (between transactions); idle
  // ones are woken to say goodbye; the rest are closed when the grace period
  // is over.
  auto deadline = std::chrono::steady_clock::now() + config_.limits.shutdown_grace;
  // The queue stops taking entries; deliveries in flight get the same grace.
  if (scheduler_) co_await scheduler_->stop(deadline);
  asio::steady_timer timer(io_);
  for (;;) {
    const auto open = slots_.open();
    if (open.empty()) break;
    bool late = std::chrono::steady_clock::now() >= deadline;
    for (auto& c : open) {
      if (late) c->close_from_outside();
      else if (c->idle()) c->interrupt();  // wakes the session to send its goodbye
    }
    timer.expires_after(std::chrono::milliseconds(50));
    co_await timer.async_wait(use_tuple);
  }
  io_.stop();
}

Result<void> drop_privileges(const std::string& user, const std::filesystem::path& data_dir) {
  if (user.empty()) {
    if (::geteuid() == 0)
      log::warn("event=running_as_root advice={}",
                log::kv("set 'user' in the config to an unprivileged account: as root, a flaw in a "
                        "session would reach the whole machine"));
    return {};
  }
  struct passwd* pw = ::getpwnam(user.c_str());
  if (!pw) return make_error(Errc::invalid, fmt::format("key 'user': no such user '{}'", user));
  if (::geteuid() != 0) {
    if (::geteuid() == pw->pw_uid) return {};
    log::warn("event=privileges_kept reason=\"not started as root\" user={}", user);
    return {};
  }
  std::error_code ec;
  // A data_dir made here holds mail and keys: the owner's alone, as the store makes it.
  if (std::filesystem::create_directories(data_dir, ec)) ::chmod(data_dir.c_str(), 0700);
  for (auto it = std::filesystem::recursive_directory_iterator(data_dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
    (void)::chown(it->path().c_str(), pw->pw_uid, pw->pw_gid);
  (void)::chown(data_dir.c_str(), pw->pw_uid, pw->pw_gid);
  if (::setgroups(0, nullptr) != 0 || ::setgid(pw->pw_gid) != 0 || ::setuid(pw->pw_uid) != 0)
    return make_error(Errc::io, fmt::format("cannot drop privileges to '{}'", user));
  if (::setuid(0) == 0) return make_error(Errc::internal, "privileges could be regained after dropping");
  log::info("event=privileges_dropped user={}", user);
  return {};
}

}  // namespace tern::server
