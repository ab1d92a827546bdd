// `tern serve`: the listeners, one coroutine per connection, signals
// (SIGTERM/SIGINT: graceful stop; SIGHUP: reload the TLS certificate), the
// connection limits (server/slots.hpp), and privilege dropping after the
// ports are bound.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/signal_set.hpp>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/result.hpp"
#include "net/connection.hpp"
#include "net/tls.hpp"
#include "queue/scheduler.hpp"
#include "server/services.hpp"
#include "server/slots.hpp"

namespace tern::server {

class Server {
 public:
  Server(const Config& config, asio::io_context& io);
  ~Server();

  // Binds every listener (before privileges are dropped).
  Result<void> bind();
  // Loads TLS, opens the store and starts accepting. Call after bind().
  Result<void> start();
  // Runs until a stop signal and the sessions have finished (or the grace
  // period passed). Returns the process exit code.
  int run(unsigned threads);

 private:
  struct Listener;
  asio::awaitable<void> accept_loop(Listener& listener);
  asio::awaitable<void> run_session(Listener& listener, std::shared_ptr<net::Connection> connection);
  asio::awaitable<void> watch_signals();
  asio::awaitable<void> shutdown();

  const Config& config_;
  asio::io_context& io_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::unique_ptr<Services> services_;
  std::shared_ptr<queue::Scheduler> scheduler_;  // outbound delivery from the store's queue
  // Installed before the first port is bound, so that a SIGTERM that
  // arrives during start-up is handled, not fatal.
  std::unique_ptr<asio::signal_set> signals_;

  SlotTable slots_;
  std::atomic<std::uint64_t> next_session_{1};
};

// Drops root privileges to `user` (setgroups, setgid, setuid); chowns data_dir first.
Result<void> drop_privileges(const std::string& user, const std::filesystem::path& data_dir);

}  // namespace tern::server
