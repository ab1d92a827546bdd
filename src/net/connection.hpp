// One connection: a byte stream that may be upgraded to TLS (STARTTLS, or
// at once for implicit-TLS listeners), with a deadline on every read and
// write. Errors are values (asio::error_code); a passed deadline cancels the
// pending operation (it ends with operation_aborted and timed_out() is set),
// so the session can still say goodbye.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace tern::net {

struct TlsInfo {
  std::string version;  // "TLSv1.3"
  std::string cipher;   // "TLS_AES_256_GCM_SHA384"
};

// What a session does with its connection. The server's connections are
// TcpConnection; tests run sessions over MemoryConnection (net/memory.hpp).
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  virtual ~Connection() = default;

  // Reads what is available (at most buffer size); 0 bytes with an error at EOF.
  virtual asio::awaitable<std::pair<asio::error_code, std::size_t>> read_some(char* buffer, std::size_t size,
                                                                              std::chrono::seconds timeout) = 0;
  virtual asio::awaitable<asio::error_code> write(std::string_view data, std::chrono::seconds timeout) = 0;
  // Server-side TLS handshake; the connection keeps the context alive.
  virtual asio::awaitable<asio::error_code> start_tls(std::shared_ptr<asio::ssl::context> context,
                                                      std::chrono::seconds timeout) = 0;
  // Client-side TLS handshake (outbound SMTP's STARTTLS); `server_name` is
  // sent as SNI. Whether the peer's certificate is checked is the context's
  // business (make_client_context: opportunistic, not verified).
  virtual asio::awaitable<asio::error_code> start_tls_client(std::shared_ptr<asio::ssl::context> context,
                                                             const std::string& server_name,
                                                             std::chrono::seconds timeout) = 0;
  // True when bytes are already waiting (e.g. a client that talks before
  // the greeting, or pipelines past STARTTLS).
  virtual bool has_pending_input() = 0;
  // Completes when the client has sent something, without reading it (IMAP
  // IDLE waits for this or a mailbox change, whichever comes first; a wait
  // cancelled by the other is harmless since nothing was consumed).
  virtual asio::awaitable<asio::error_code> wait_readable() = 0;

  // Whether the last read or write ended because its deadline passed.
  bool timed_out() const { return timed_out_; }

  virtual bool secure() const = 0;
  virtual std::optional<TlsInfo> tls_info() const = 0;
  const std::string& peer_address() const { return peer_address_; }
  bool peer_is_loopback() const { return peer_loopback_; }
  virtual void close() = 0;

  // A session marks the time it waits for the client's next command, so a
  // shutdown may close the connection at once instead of waiting.
  void set_idle(bool idle) { idle_ = idle; }
  bool idle() const { return idle_; }
  // A session marks its login, so that the connection limits keep its slot
  // when they make room for newcomers.
  void set_authenticated(bool authenticated) { authenticated_ = authenticated; }
  bool authenticated() const { return authenticated_; }
  // Asks the session to say goodbye and end, from any thread: the connection
  // limits made room for a newcomer (server/slots.hpp).
  void evict() {
    evicted_ = true;
    interrupt();
  }
  bool evicted() const { return evicted_; }
  // Closes from any thread (the close runs on the connection's executor).
  virtual void close_from_outside() = 0;
  // Cancels a pending read (or wait_readable) from any thread; the session
  // sees operation_aborted and may still say goodbye (shutdown). A write in
  // progress is not affected.
  virtual void interrupt() = 0;
  // Asks a session waiting for the client to work out its wait again, from
  // any thread: the connection limits came under stress, and the stress
  // timeout now applies to sessions that have not logged in.
  void nudge() {
    nudged_ = true;
    interrupt();
  }
  bool take_nudge() { return nudged_.exchange(false); }

 protected:
  std::string peer_address_;
  bool peer_loopback_ = false;
  bool timed_out_ = false;

 private:
  std::atomic<bool> idle_{false};
  std::atomic<bool> authenticated_{false};
  std::atomic<bool> evicted_{false};
  std::atomic<bool> nudged_{false};
};

// A TCP socket that may be upgraded to TLS.
class TcpConnection final : public Connection {
 public:
  explicit TcpConnection(asio::ip::tcp::socket socket);

  asio::awaitable<std::pair<asio::error_code, std::size_t>> read_some(char* buffer, std::size_t size,
                                                                      std::chrono::seconds timeout) override;
  asio::awaitable<asio::error_code> write(std::string_view data, std::chrono::seconds timeout) override;
  asio::awaitable<asio::error_code> start_tls(std::shared_ptr<asio::ssl::context> context,
                                              std::chrono::seconds timeout) override;
  asio::awaitable<asio::error_code> start_tls_client(std::shared_ptr<asio::ssl::context> context,
                                                     const std::string& server_name,
                                                     std::chrono::seconds timeout) override;
  bool has_pending_input() override;
  asio::awaitable<asio::error_code> wait_readable() override;
  bool secure() const override { return tls_ != nullptr; }
  std::optional<TlsInfo> tls_info() const override;
  void close() override;
  void close_from_outside() override;
  void interrupt() override;

 private:
  void arm(std::chrono::seconds timeout);
  void disarm();

  asio::ip::tcp::socket socket_;
  asio::steady_timer deadline_;
  std::shared_ptr<asio::ssl::context> context_;
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;
  bool reading_ = false;  // a read or wait_readable is in progress (on the connection's executor)
};

}  // namespace tern::net
