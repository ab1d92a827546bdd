// Real sessions (SMTP, POP3, IMAP) run by the session engine over an
// in-memory connection (net::MemoryConnection) on a real SQLite store in a
// temporary directory: the test plays the client, byte for byte, with no
// sockets. TLS is simulated by the connection (what is tested is the
// engine's STARTTLS logic; OpenSSL is covered by the interop tests).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "auth/authenticator.hpp"
#include "auth/password.hpp"
#include "auth/throttle.hpp"
#include "core/run_blocking.hpp"
#include "net/memory.hpp"
#include "net/tls.hpp"
#include "session/env.hpp"
#include "store/store.hpp"
#include "support/temp_store.hpp"

namespace tern::session::testing {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Runs one session coroutine; the test sends bytes and waits for replies.
using SessionRunner = std::function<asio::awaitable<void>(const SessionEnv&, std::shared_ptr<net::Connection>,
                                                          std::uint64_t)>;

class Client {
 public:
  Client(asio::io_context& io, std::unique_ptr<SessionEnv> env, std::shared_ptr<net::MemoryConnection> connection)
      : io_(io), env_(std::move(env)), connection_(std::move(connection)) {}

  void start(SessionRunner runner, std::uint64_t id) {
    // Kept here: a coroutine lambda's captures live in the lambda object.
    runner_ = std::move(runner);
    asio::co_spawn(io_, runner_(*env_, connection_, id), [this](std::exception_ptr e) {
      finished_ = true;
      failed_ = e != nullptr;
    });
  }

  void send(std::string_view bytes) { connection_->send(bytes); }
  void close_input() { connection_->close_input(); }
  net::MemoryConnection& connection() { return *connection_; }

  // Runs the session until everything it wrote since the last call contains
  // `needle` (or `timeout` passes, or the session ends); returns that output.
  std::string expect(std::string_view needle, std::chrono::milliseconds timeout = 5000ms) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (output_.find(needle) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      if (finished_) {
        output_ += connection_->take_output();
        break;
      }
      step();
    }
    std::string out = std::move(output_);
    output_.clear();
    return out;
  }

  // Sends a line (CRLF added) and waits for output containing `needle`.
  std::string command(std::string_view line, std::string_view needle,
                      std::chrono::milliseconds timeout = 5000ms) {
    send(std::string(line) + "\r\n");
    return expect(needle, timeout);
  }

  // Runs the session until it ends; returns what it wrote meanwhile.
  std::string run_to_end(std::chrono::milliseconds timeout = 5000ms) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!finished_ && std::chrono::steady_clock::now() < deadline) step();
    std::string out = std::move(output_) + connection_->take_output();
    output_.clear();
    return out;
  }

  // Runs the session for a while (it must still be going afterwards, or not).
  void run_for(std::chrono::milliseconds duration) {
    const auto deadline = std::chrono::steady_clock::now() + duration;
    while (!finished_ && std::chrono::steady_clock::now() < deadline) step();
  }

  bool finished() const { return finished_; }
  bool failed() const { return failed_; }

 private:
  void step() {
    if (io_.stopped()) io_.restart();
    io_.run_one_for(10ms);
    output_ += connection_->take_output();
  }

  asio::io_context& io_;
  std::unique_ptr<SessionEnv> env_;
  std::shared_ptr<net::MemoryConnection> connection_;
  SessionRunner runner_;
  std::string output_;
  bool finished_ = false;
  bool failed_ = false;
};

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(store_.open("tern-session"));
    config_.hostname = "mail.example.test";
    config_.data_dir = store_.dir();
    config_.limits.command_timeout = 5s;
    auth::AuthenticatorOptions auth_options;
    auth_options.cost = tern::testing::cheap_cost;
    auto authenticator = auth::Authenticator::create(auth_options);
    ASSERT_TRUE(authenticator);
    authenticator_ = std::move(*authenticator);
    auto pair = net::ensure_self_signed(store_.dir(), config_.hostname);
    ASSERT_TRUE(pair) << pair.error().message;
    tls_ = std::make_unique<net::TlsContextHolder>(*pair);
    ASSERT_TRUE(tls_->load());
    ASSERT_TRUE(run_blocking(store_->add_domain("example.test")));
    add_user("alice@example.test", "alice-password");
  }

  void TearDown() override {
    for (auto& client : clients_) {
      if (client->finished()) continue;
      client->connection().close();
      client->run_to_end(2000ms);
    }
    clients_.clear();
    io_.stop();
    store_.close();
  }

  void add_user(const std::string& address, const std::string& password) { store_.add_account(address, password); }

  // A session of `protocol` from `peer`; `before` is sent before it starts.
  Client& connect(Protocol protocol, const SessionRunner& runner, std::string_view before = {},
                  std::string peer = "192.0.2.10", bool loopback = false) {
    auto env = std::make_unique<SessionEnv>(SessionEnv{config_, protocol, *store_, *tls_, *authenticator_,
                                                       throttle_, stopping_, nullptr, &stress_});
    auto connection = std::make_shared<net::MemoryConnection>(io_.get_executor(), std::move(peer), loopback);
    if (!before.empty()) connection->send(before);
    clients_.push_back(std::make_unique<Client>(io_, std::move(env), std::move(connection)));
    clients_.back()->start(runner, clients_.size());
    return *clients_.back();
  }

  // A stop as the server does it: the flag, then idle sessions are woken.
  void stop_server() {
    stopping_ = true;
    for (auto& client : clients_)
      if (client->connection().idle()) client->connection().interrupt();
  }

  Config config_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  tern::testing::TempStore store_;
  std::unique_ptr<net::TlsContextHolder> tls_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  auth::LoginThrottle throttle_{auth::ThrottleOptions{.first_delay = 1ms, .max_delay = 1ms}};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> stress_{false};  // the server's connection slots under pressure
  std::vector<std::unique_ptr<Client>> clients_;
};

// "\0user\0password", base64 (SASL PLAIN, RFC 4616).
std::string plain_credentials(const std::string& user, const std::string& password);

}  // namespace tern::session::testing
