// The outbound SMTP client coroutine: one connection to one address, one
// mail transaction for the recipients of one domain. EHLO (HELO when EHLO is
// refused), STARTTLS whenever offered (opportunistic), AUTH PLAIN to a
// smarthost only over TLS, MAIL/RCPT/DATA pipelined when the server offers
// PIPELINING (RFC 2920), and the timeouts of RFC 5321 4.5.3.2. The protocol
// text comes from client_protocol.hpp; this file only does I/O and decides.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "net/connection.hpp"
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

struct ClientOptions {
  std::string helo_name;                        // our hostname
  std::shared_ptr<asio::ssl::context> tls;      // null: never STARTTLS
  std::string auth_user;                        // non-empty: AUTH PLAIN required, over TLS only
  std::string auth_password;
  ClientTimeouts timeouts;
  // Called with the connection once it exists, so a shutdown can close it.
  std::function<void(std::shared_ptr<net::Connection>)> on_connect;
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

// Delivers `data` (the stored message) to the recipients over one connection.
// `server_name` is the host name that led to `endpoint` (SNI, Remote-MTA).
asio::awaitable<TransactionResult> send_message(const ClientOptions& options, asio::ip::tcp::endpoint endpoint,
                                                std::string server_name, const store::OutboundSpec& spec,
                                                std::vector<store::QueueRecipient> recipients,
                                                std::shared_ptr<const std::string> message);

}  // namespace tern::queue
