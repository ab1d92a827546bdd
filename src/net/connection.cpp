#include "net/connection.hpp"

#include "core/asio_tuple.hpp"

#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <sys/socket.h>

#include <cerrno>

namespace tern::net {

TcpConnection::TcpConnection(asio::ip::tcp::socket socket)
    : socket_(std::move(socket)), deadline_(socket_.get_executor()) {
  asio::error_code ec;
  auto endpoint = socket_.remote_endpoint(ec);
  if (!ec) {
    auto address = endpoint.address();
    if (address.is_v6() && address.to_v6().is_v4_mapped())
      address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    peer_address_ = address.to_string();
    peer_loopback_ = address.is_loopback();
  } else {
    peer_address_ = "unknown";
  }
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
}

void TcpConnection::arm(std::chrono::seconds timeout) {
  timed_out_ = false;
  deadline_.expires_after(timeout);
  deadline_.async_wait([this](asio::error_code ec) {
    if (!ec) {
      timed_out_ = true;
      asio::error_code ignored;
      socket_.cancel(ignored);
    }
  });
}

void TcpConnection::disarm() { deadline_.cancel(); }

asio::awaitable<std::pair<asio::error_code, std::size_t>> TcpConnection::read_some(
    char* buffer, std::size_t size, std::chrono::seconds timeout) {
  arm(timeout);
  reading_ = true;
  auto [ec, n] = tls_ ? co_await tls_->async_read_some(asio::buffer(buffer, size), use_tuple)
                      : co_await socket_.async_read_some(asio::buffer(buffer, size), use_tuple);
  reading_ = false;
  disarm();
  co_return std::pair{ec, n};
}

asio::awaitable<asio::error_code> TcpConnection::write(std::string_view data, std::chrono::seconds timeout) {
  arm(timeout);
  auto [ec, n] = tls_ ? co_await asio::async_write(*tls_, asio::buffer(data), use_tuple)
                      : co_await asio::async_write(socket_, asio::buffer(data), use_tuple);
  disarm();
  (void)n;
  co_return ec;
}

asio::awaitable<asio::error_code> TcpConnection::start_tls(std::shared_ptr<asio::ssl::context> context,
                                                        std::chrono::seconds timeout) {
  context_ = std::move(context);
  tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, *context_);
  arm(timeout);
  auto [ec] = co_await tls_->async_handshake(asio::ssl::stream_base::server, use_tuple);
  disarm();
  co_return ec;
}

asio::awaitable<asio::error_code> TcpConnection::start_tls_client(std::shared_ptr<asio::ssl::context> context,
                                                               const std::string& server_name,
                                                               std::chrono::seconds timeout) {
  context_ = std::move(context);
  tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, *context_);
  if (!server_name.empty()) SSL_set_tlsext_host_name(tls_->native_handle(), server_name.c_str());
  arm(timeout);
  auto [ec] = co_await tls_->async_handshake(asio::ssl::stream_base::client, use_tuple);
  disarm();
  co_return ec;
}

bool TcpConnection::has_pending_input() {
  asio::error_code ec;
  if (tls_ && SSL_pending(tls_->native_handle()) > 0) return true;
  return socket_.available(ec) > 0 && !ec;
}

asio::awaitable<asio::error_code> TcpConnection::wait_readable() {
  if (has_pending_input()) co_return asio::error_code{};
  for (;;) {
    reading_ = true;
    auto [ec] = co_await socket_.async_wait(asio::ip::tcp::socket::wait_read, use_tuple);
    reading_ = false;
    if (ec) co_return ec;
    // The reactor may report readiness for bytes an earlier read already
    // took: a caller that then reads would block with a wakeup lost. Only
    // bytes, the end of the stream or an error end the wait.
    char byte = 0;
    const ssize_t peeked = ::recv(socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (peeked >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) co_return asio::error_code{};
  }
}

std::optional<TlsInfo> TcpConnection::tls_info() const {
  if (!tls_) return std::nullopt;
  SSL* ssl = tls_->native_handle();
  return TlsInfo{SSL_get_version(ssl), SSL_get_cipher_name(ssl)};
}

void TcpConnection::close() {
  asio::error_code ignored;
  deadline_.cancel();
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

void TcpConnection::close_from_outside() {
  asio::post(socket_.get_executor(), [self = std::static_pointer_cast<TcpConnection>(shared_from_this())] {
    asio::error_code ignored;
    self->socket_.close(ignored);
  });
}

void TcpConnection::interrupt() {
  asio::post(socket_.get_executor(), [self = std::static_pointer_cast<TcpConnection>(shared_from_this())] {
    // Only a wait for the client is cancelled: a write in progress goes on.
    if (!self->reading_) return;
    asio::error_code ignored;
    self->socket_.cancel(ignored);
  });
}

}  // namespace tern::net
