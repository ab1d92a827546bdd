// An in-memory connection, for running real sessions in tests without
// sockets: the test plays the client (send, take_output, close_input) while
// the session reads and writes through the Connection interface. TLS is
// simulated: start_tls marks the connection secure (or fails on request), so
// the STARTTLS logic, not OpenSSL, is what such a test exercises.
// Single-threaded: everything runs on the executor given at construction.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/steady_timer.hpp>

#include <deque>

#include "net/connection.hpp"

namespace tern::net {

class MemoryConnection final : public Connection {
 public:
  explicit MemoryConnection(asio::any_io_executor executor, std::string peer_address = "192.0.2.10",
                            bool loopback = false);

  // The client's side. Each send is one segment: a read returns bytes of
  // one segment at most, as a socket read may return one TCP segment.
  void send(std::string_view bytes);  // readable by the session from now on
  void close_input();                 // the client's end of the stream (EOF after what was sent)
  std::string take_output();          // what the session wrote since the last call
  bool closed() const { return closed_; }
  void fail_next_handshake() { fail_handshake_ = true; }
  std::size_t handshakes() const { return handshakes_; }

  asio::awaitable<std::pair<asio::error_code, std::size_t>> read_some(char* buffer, std::size_t size,
                                                                      std::chrono::seconds timeout) override;
  asio::awaitable<asio::error_code> write(std::string_view data, std::chrono::seconds timeout) override;
  asio::awaitable<asio::error_code> start_tls(std::shared_ptr<asio::ssl::context> context,
                                              std::chrono::seconds timeout) override;
  asio::awaitable<asio::error_code> start_tls_client(std::shared_ptr<asio::ssl::context> context,
                                                     const std::string& server_name,
                                                     std::chrono::seconds timeout) override;
  bool has_pending_input() override { return !inbound_.empty(); }
  asio::awaitable<asio::error_code> wait_readable() override;
  bool secure() const override { return secure_; }
  std::optional<TlsInfo> tls_info() const override;
  void close() override;
  void close_from_outside() override;
  void interrupt() override;

 private:
  asio::awaitable<asio::error_code> handshake();
  void wake() { signal_.cancel(); }

  asio::any_io_executor executor_;
  asio::steady_timer signal_;  // a waiting read sleeps on it; send/close/interrupt cancel it
  std::deque<std::string> inbound_;  // segments not yet read
  std::string outbound_;
  bool eof_ = false;
  bool closed_ = false;
  bool interrupted_ = false;
  bool waiting_ = false;  // a read or wait_readable is in progress
  bool secure_ = false;
  bool fail_handshake_ = false;
  std::size_t handshakes_ = 0;
};

}  // namespace tern::net
