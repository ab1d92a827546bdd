// The outbound SMTP client coroutine: one connection to one address, one
// mail transaction for the recipients of one domain. EHLO (HELO when EHLO is
// refused), STARTTLS whenever offered (opportunistic), AUTH PLAIN to a
// smarthost only over TLS, MAIL/RCPT/DATA pipelined when the server offers
// PIPELINING (RFC 2920), and the timeouts of RFC 5321 4.5.3.2. The protocol
// text comes from client_protocol.hpp; this file only does I/O and decides.
// A connection whose transaction ended cleanly may wait a few seconds in a
// ConnectionCache for the next message to the same address (RSET, then the
// next MAIL) instead of a new connection, greeting, EHLO and TLS handshake.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "net/connection.hpp"
#include "queue/client_protocol.hpp"
#include "store/types.hpp"

namespace tern::queue {

struct ClientTimeouts {  // RFC 5321 4.5.3.2
  std::chrono::seconds connect{30};
  std::chrono::seconds greeting{300};
  std::chrono::seconds command{300};    // EHLO, STARTTLS, AUTH, MAIL, RCPT
  std::chrono::seconds data_start{120};
  std::chrono::seconds data_block{180};
  std::chrono::seconds data_end{600};
};

// Idle connections after a finished transaction, by destination (address,
// server name, login). Shared by the scheduler's deliveries; thread-safe.
class ConnectionCache {
 public:
  struct Idle {
    std::shared_ptr<net::Connection> connection;
    asio::any_io_executor executor;  // the strand the connection's I/O objects belong to
    Capabilities caps;  // from the EHLO that the connection's state rests on
    std::chrono::steady_clock::time_point until;
  };

  explicit ConnectionCache(std::chrono::seconds idle_limit = std::chrono::seconds(5)) : idle_limit_(idle_limit) {}

  // An idle connection to `key`, most recently parked first; nullopt when none.
  std::optional<Idle> take(const std::string& key);
  void put(const std::string& key, std::shared_ptr<net::Connection> connection, asio::any_io_executor executor,
           const Capabilities& caps);
  // Closes the connections idle for longer than the limit (as Postfix's
  // connection cache does, without QUIT: the server sees the close).
  void expire();
  void close_all();

 private:
  std::chrono::seconds idle_limit_;
  std::mutex mutex_;
  std::multimap<std::string, Idle> idle_;
};

struct ClientOptions {
  std::string helo_name;                        // our hostname
  std::shared_ptr<asio::ssl::context> tls;      // null: never STARTTLS
  std::string auth_user;                        // non-empty: AUTH PLAIN required, over TLS only
  std::string auth_password;
  ClientTimeouts timeouts;
  // Called with the connection once it exists, so a shutdown can close it.
  std::function<void(std::shared_ptr<net::Connection>)> on_connect;
  std::shared_ptr<ConnectionCache> cache;       // null: one connection per transaction
};

enum class Verdict { delivered, transient, permanent };

struct RecipientOutcome {
  Verdict verdict = Verdict::transient;
  std::string status;      // RFC 3463 "4.4.1"
  std::string diagnostic;  // "smtp; 450 4.2.0 ..." or "X-tern; ..."
  std::string remote_mta;  // the host that answered, "" when none did
};

struct TransactionResult {
  // Nothing was decided by this server (no connection, a refusing greeting,
  // 4xx to EHLO or MAIL): the next address or MX host should be tried.
  bool try_next = false;
  std::string error;  // why, for the log and for the recipients if no host works
  std::vector<RecipientOutcome> recipients;  // one per recipient given, in order
};

// A queued message as the client sends it, without holding a large one:
// `head` is the whole stored message when it is small, else its header
// section, Return-Path: removed either way (RFC 5321 4.4); the stored
// octets from `rest_offset` to `size` are read a piece at a time through
// `read_part` (Store::read_message_part).
struct OutboundMessage {
  std::uint64_t size = 0;  // octets stored: what SIZE= announces
  std::string head;
  std::uint64_t rest_offset = 0;
  std::function<asio::awaitable<Result<std::string>>(std::uint64_t offset, std::size_t length)> read_part;
  bool whole() const { return rest_offset >= size; }
};

// Octets read and sent per piece of a large message.
inline constexpr std::size_t outbound_piece = 1024 * 1024;

// Delivers the message to the recipients over one connection. A piece that
// cannot be read mid-DATA drops the connection (the server then discards
// the transaction) and the recipients stay undecided (a transient failure).
// `server_name` is the host name that led to `endpoint` (SNI, Remote-MTA).
asio::awaitable<TransactionResult> send_message(const ClientOptions& options, asio::ip::tcp::endpoint endpoint,
                                                std::string server_name, const store::OutboundSpec& spec,
                                                std::vector<store::QueueRecipient> recipients,
                                                std::shared_ptr<const OutboundMessage> message);

}  // namespace tern::queue
