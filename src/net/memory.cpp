#include "net/memory.hpp"

#include <asio/post.hpp>
#include <asio/ssl/error.hpp>

#include <algorithm>
#include <cstring>

#include "core/asio_tuple.hpp"

namespace tern::net {

MemoryConnection::MemoryConnection(asio::any_io_executor executor, std::string peer_address, bool loopback)
    : executor_(std::move(executor)), signal_(executor_) {
  peer_address_ = std::move(peer_address);
  peer_loopback_ = loopback;
}

void MemoryConnection::send(std::string_view bytes) {
  if (bytes.empty()) return;
  inbound_.emplace_back(bytes);
  wake();
}

void MemoryConnection::close_input() {
  eof_ = true;
  wake();
}

std::string MemoryConnection::take_output() {
  std::string out = std::move(outbound_);
  outbound_.clear();
  return out;
}

asio::awaitable<std::pair<asio::error_code, std::size_t>> MemoryConnection::read_some(
    char* buffer, std::size_t size, std::chrono::seconds timeout) {
  timed_out_ = false;
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (inbound_.empty()) {
    if (closed_) co_return std::pair{asio::error_code(asio::error::bad_descriptor), std::size_t{0}};
    if (eof_) co_return std::pair{asio::error_code(asio::error::eof), std::size_t{0}};
    if (interrupted_) {
      interrupted_ = false;
      co_return std::pair{asio::error_code(asio::error::operation_aborted), std::size_t{0}};
    }
    if (std::chrono::steady_clock::now() >= until) {
      timed_out_ = true;
      co_return std::pair{asio::error_code(asio::error::operation_aborted), std::size_t{0}};
    }
    signal_.expires_at(until);
    waiting_ = true;
    co_await signal_.async_wait(use_tuple);
    waiting_ = false;
  }
  std::string& segment = inbound_.front();
  const std::size_t n = std::min(size, segment.size());
  std::memcpy(buffer, segment.data(), n);
  segment.erase(0, n);
  if (segment.empty()) inbound_.pop_front();
  co_return std::pair{asio::error_code{}, n};
}

asio::awaitable<asio::error_code> MemoryConnection::write(std::string_view data, std::chrono::seconds) {
  timed_out_ = false;
  if (closed_) co_return asio::error::broken_pipe;
  outbound_ += data;
  co_return asio::error_code{};
}

asio::awaitable<asio::error_code> MemoryConnection::handshake() {
  ++handshakes_;
  if (closed_) co_return asio::error::bad_descriptor;
  if (fail_handshake_) {
    fail_handshake_ = false;
    co_return asio::error::connection_reset;
  }
  secure_ = true;
  co_return asio::error_code{};
}

asio::awaitable<asio::error_code> MemoryConnection::start_tls(std::shared_ptr<asio::ssl::context>,
                                                             std::chrono::seconds) {
  co_return co_await handshake();
}

asio::awaitable<asio::error_code> MemoryConnection::start_tls_client(std::shared_ptr<asio::ssl::context>,
                                                                    const std::string&, std::chrono::seconds) {
  co_return co_await handshake();
}

asio::awaitable<asio::error_code> MemoryConnection::wait_readable() {
  while (inbound_.empty() && !eof_ && !closed_) {
    if (interrupted_) {
      interrupted_ = false;
      co_return asio::error::operation_aborted;
    }
    signal_.expires_at(asio::steady_timer::time_point::max());
    waiting_ = true;
    co_await signal_.async_wait(use_tuple);
    waiting_ = false;
  }
  co_return asio::error_code{};
}

std::optional<TlsInfo> MemoryConnection::tls_info() const {
  if (!secure_) return std::nullopt;
  return TlsInfo{"TLSv1.3", "MEMORY"};
}

void MemoryConnection::close() {
  closed_ = true;
  wake();
}

void MemoryConnection::close_from_outside() {
  asio::post(executor_, [self = std::static_pointer_cast<MemoryConnection>(shared_from_this())] { self->close(); });
}

void MemoryConnection::interrupt() {
  asio::post(executor_, [self = std::static_pointer_cast<MemoryConnection>(shared_from_this())] {
    // Like cancelling a socket: only an operation in progress is affected.
    if (!self->waiting_) return;
    self->interrupted_ = true;
    self->wake();
  });
}

}  // namespace tern::net
