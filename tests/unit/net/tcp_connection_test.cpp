// TcpConnection over a real loopback socket: reads, the read deadline, the
// end of the stream, and what interrupt() and nudge() cancel (a wait for the
// client, never a write in progress).
#include "net/connection.hpp"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace tern::net {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class TcpConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    asio::ip::tcp::acceptor acceptor(io_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    client_.connect(acceptor.local_endpoint());
    asio::ip::tcp::socket accepted(io_);
    acceptor.accept(accepted);
    connection_ = std::make_shared<TcpConnection>(std::move(accepted));
  }

  // Starts a read of the server's side; its result lands in read_.
  void start_read(std::chrono::seconds timeout) {
    read_.reset();
    asio::co_spawn(
        io_,
        [this, timeout]() -> asio::awaitable<void> {
          auto [ec, n] = co_await connection_->read_some(buffer_, sizeof buffer_, timeout);
          read_.emplace(ec, std::string(buffer_, n));
        },
        asio::detached);
  }

  // Runs the server's side until `done` or `limit` passes.
  template <class Done>
  void run_until(Done done, std::chrono::milliseconds limit = 5000ms) {
    const auto until = Clock::now() + limit;
    while (!done() && Clock::now() < until) {
      io_.restart();
      io_.run_for(10ms);
    }
  }

  void run_for(std::chrono::milliseconds duration) {
    run_until([] { return false; }, duration);
  }

  asio::io_context io_;
  asio::io_context client_io_;
  asio::ip::tcp::socket client_{client_io_};
  std::shared_ptr<TcpConnection> connection_;
  char buffer_[4096];
  std::optional<std::pair<asio::error_code, std::string>> read_;
};

TEST_F(TcpConnectionTest, ReadsWhatTheClientSends) {
  EXPECT_EQ(connection_->peer_address(), "127.0.0.1");
  EXPECT_TRUE(connection_->peer_is_loopback());
  EXPECT_FALSE(connection_->secure());
  asio::write(client_, asio::buffer(std::string("EHLO client\r\n")));
  run_until([&] { return connection_->has_pending_input(); });
  EXPECT_TRUE(connection_->has_pending_input());
  start_read(5s);
  run_until([&] { return read_.has_value(); });
  ASSERT_TRUE(read_);
  EXPECT_FALSE(read_->first);
  EXPECT_EQ(read_->second, "EHLO client\r\n");
  EXPECT_FALSE(connection_->timed_out());
}

TEST_F(TcpConnectionTest, TheReadDeadlineEndsASilentWait) {
  const auto begun = Clock::now();
  start_read(1s);
  run_until([&] { return read_.has_value(); });
  ASSERT_TRUE(read_);
  EXPECT_EQ(read_->first, asio::error::operation_aborted);
  EXPECT_TRUE(connection_->timed_out());
  EXPECT_GE(Clock::now() - begun, 900ms);
}

TEST_F(TcpConnectionTest, TheEndOfTheStreamIsAnError) {
  start_read(5s);
  client_.close();
  run_until([&] { return read_.has_value(); });
  ASSERT_TRUE(read_);
  EXPECT_TRUE(read_->first);
  EXPECT_FALSE(connection_->timed_out());
}

TEST_F(TcpConnectionTest, InterruptCancelsAWaitForTheClient) {
  start_read(30s);
  run_for(100ms);
  ASSERT_FALSE(read_);
  connection_->interrupt();
  run_until([&] { return read_.has_value(); });
  ASSERT_TRUE(read_);
  EXPECT_EQ(read_->first, asio::error::operation_aborted);
  EXPECT_FALSE(connection_->timed_out()) << "an interruption is not a timeout";
  // The connection still works afterwards.
  asio::write(client_, asio::buffer(std::string("NOOP\r\n")));
  start_read(5s);
  run_until([&] { return read_.has_value(); });
  ASSERT_TRUE(read_);
  EXPECT_EQ(read_->second, "NOOP\r\n");
}

TEST_F(TcpConnectionTest, NudgeWakesTheWaitAndIsTakenOnce) {
  start_read(30s);
  run_for(100ms);
  connection_->nudge();
  run_until([&] { return read_.has_value(); });
  ASSERT_TRUE(read_);
  EXPECT_EQ(read_->first, asio::error::operation_aborted);
  EXPECT_TRUE(connection_->take_nudge());
  EXPECT_FALSE(connection_->take_nudge());
}

TEST_F(TcpConnectionTest, InterruptNeverCancelsAWriteInProgress) {
  // More than the socket buffers hold: the write waits for the client to read.
  const std::string big(32u << 20, 'x');
  std::optional<asio::error_code> written;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> { written = co_await connection_->write(big, std::chrono::seconds(30)); },
      asio::detached);
  run_for(200ms);
  ASSERT_FALSE(written) << "the write finished before the client read: raise the size";
  connection_->interrupt();
  connection_->evict();
  run_for(200ms);
  EXPECT_FALSE(written) << "the write was cancelled";
  std::size_t received = 0;
  std::thread reader([&] {
    std::vector<char> chunk(1 << 20);
    asio::error_code ec;
    while (received < big.size()) {
      const std::size_t n = client_.read_some(asio::buffer(chunk), ec);
      if (ec) break;
      received += n;
    }
  });
  run_until([&] { return written.has_value(); }, 20000ms);
  connection_->close();  // the reader sees the end, whatever happened
  reader.join();
  ASSERT_TRUE(written);
  EXPECT_FALSE(*written) << written->message();
  EXPECT_EQ(received, big.size());
  EXPECT_TRUE(connection_->evicted());
}

}  // namespace
}  // namespace tern::net
