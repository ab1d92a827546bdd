// Values exchanged between the SMTP server protocol (a sans-I/O state
// machine) and the session that drives it: the listener's configuration, the
// facts of one connection, the envelope of a mail transaction, the actions the
// protocol asks the session to perform and the answers it takes back.
//   RFC 5321 (SMTP), RFC 3461 (DSN: NOTIFY, ORCPT, RET, ENVID),
//   RFC 6152 (8BITMIME), RFC 6531 (SMTPUTF8), RFC 1870 (SIZE).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/address.hpp"
#include "core/spool.hpp"

namespace tern::smtp {

// Which service the listener offers; it decides STARTTLS and AUTH policy.
enum class Mode {
  smtp,         // port 25: STARTTLS offered, AUTH never offered
  submission,   // port 587: STARTTLS required before AUTH, AUTH before MAIL
  submissions,  // port 465: TLS from the first byte, AUTH before MAIL
};

struct ProtocolConfig {
  std::string hostname;                              // greeting, EHLO, replies
  Mode mode = Mode::smtp;
  std::uint64_t max_message_size = 50ull * 1024 * 1024;
  SpoolOptions spool;                // where message text beyond a small size goes
  unsigned max_recipients = 100;
  unsigned max_errors = 10;          // error replies before "421" and close
  bool tls_available = false;        // a certificate is loaded: STARTTLS can be offered
  bool allow_plaintext_auth = false; // AUTH without TLS (loopback only, DESIGN.md rule 3)
  std::string postmaster_domain;     // where "RCPT TO:<postmaster>" goes; "" means hostname
};

struct TlsInfo {
  std::string version;  // "TLSv1.3"
  std::string cipher;   // "TLS_AES_256_GCM_SHA384"
};

// What the session knows about the peer before the first byte.
struct Connection {
  std::string peer_address;    // "192.0.2.1" or "2001:db8::1"
  std::string peer_name;       // forward-confirmed reverse DNS name, "" when none
  std::optional<TlsInfo> tls;  // set when the connection began in TLS (submissions)
};

enum class BodyType { unspecified, seven_bit, eight_bit_mime };  // MAIL BODY= (RFC 6152)
enum class Ret { unspecified, full, headers };                   // MAIL RET= (RFC 3461 4.3)

struct Recipient {
  address::Address address;
  std::string orcpt;        // RFC 3461 4.2, xtext decoded: "rfc822;user@example.com"; "" when absent
  std::uint8_t notify = 0;  // bits of store::notify; 0 when NOTIFY was not given
  bool postmaster = false;  // written as the bare "<postmaster>" of RFC 5321 4.5.1
};

struct Envelope {
  std::optional<address::Address> sender;  // nullopt for the null reverse-path "<>"
  std::vector<Recipient> recipients;
  BodyType body = BodyType::unspecified;
  bool smtputf8 = false;
  std::optional<std::uint64_t> declared_size;  // MAIL SIZE=
  std::string envid;                           // RFC 3461 4.4, xtext decoded
  Ret ret = Ret::unspecified;
  // Facts of the session, for the Received: field and for policy.
  std::string helo;
  bool esmtp = false;       // EHLO rather than HELO
  bool chunking = false;    // the message came in BDAT chunks
  std::string auth_user;    // the account that authenticated, "" when none
  std::optional<TlsInfo> tls;
  std::string peer_address;
  std::string peer_name;

  std::string reverse_path() const { return sender ? sender->str() : std::string(); }
};

// What the protocol asks the session to do, in order. Replies with flush
// unset may be held and written together with later ones (RFC 2920 pipelining);
// the session writes everything held when it sees flush, StartTls or Close.
namespace action {
struct Reply {
  std::string text;  // one whole reply, every line ending in CRLF
  bool flush = false;
  bool refusal = false;  // a refusal: the session logs it with its code
};
// Write the held replies (the last is "220 2.0.0"), then run the TLS handshake
// and call tls_established(); on handshake failure just drop the connection.
struct StartTls {};
// Resolve the recipient and call recipient_checked().
struct CheckRecipient {
  address::Address address;
  bool postmaster = false;  // RFC 5321 4.5.1: must be accepted
  std::string auth_user;    // "" unless authenticated: decides relaying (DESIGN.md rule 2)
};
// Verify the password and call auth_result() (or auth_unavailable()).
struct Authenticate {
  std::string mechanism;  // "PLAIN" or "LOGIN", for the log
  std::string username;
  std::string password;
};
// Store the message durably and call delivery_done(). The message is
// dot-unstuffed, CRLF line endings, in a spool (memory or a spool file);
// trace fields are the session's to add.
struct Deliver {
  Envelope envelope;
  Spool message;
};
// Write the held replies, then close the connection.
struct Close {};
// An authenticated client named this reverse-path: decide whether the account
// may use it (its own address or an alias of it) and call sender_checked().
struct CheckSender {
  address::Address address;
  std::string auth_user;
};
}  // namespace action

using Action = std::variant<action::Reply, action::StartTls, action::CheckRecipient,
                            action::Authenticate, action::Deliver, action::Close, action::CheckSender>;

// The session's answer to CheckSender.
enum class SenderVerdict {
  accept,             // 250 2.1.0
  not_owned,          // 553 5.7.1: the account may not send as this address
  temporary_failure,  // 451 4.3.0
};

// The session's answer to CheckRecipient.
enum class RecipientVerdict {
  accept,             // 250 2.1.5
  unknown_user,       // 550 5.1.1: the domain is ours, the mailbox is not
  relay_denied,       // 550 5.7.1: not our domain and not authenticated
  not_allowed,        // 550 5.7.1: refused by policy (e.g. looks_like_relay_trick)
  temporary_failure,  // 451 4.3.0: the store could not answer now
};

}  // namespace tern::smtp
