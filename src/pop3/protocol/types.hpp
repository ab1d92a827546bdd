// Values exchanged between the POP3 server protocol (a sans-I/O state
// machine) and the session that drives it: the listener's configuration, the
// actions the protocol asks the session to perform and the answers it takes
// back.
//   RFC 1939 (POP3), RFC 2449 (CAPA, response codes), RFC 2595 (STLS),
//   RFC 3206 (SYS and AUTH response codes), RFC 5034 (AUTH).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace tern::pop3 {

enum class Mode {
  pop3,   // port 110: STLS offered; USER/PASS and AUTH only after it
  pop3s,  // port 995: TLS from the first byte
};

struct ProtocolConfig {
  std::string hostname;               // greeting
  Mode mode = Mode::pop3;
  bool tls_available = false;         // a certificate is loaded: STLS can be offered
  bool allow_plaintext_auth = false;  // logins without TLS (loopback only, DESIGN.md rule 3)
  unsigned max_errors = 10;           // bad commands before the connection is closed
  // RETR of a message larger than this reads and sends it a piece of this
  // size at a time, so that a large message is never whole in memory.
  std::uint64_t piece_octets = 1024 * 1024;
};

struct TlsInfo {
  std::string version;  // "TLSv1.3"
  std::string cipher;
};

// One message of the maildrop as it was at login (RFC 1939 5: message
// numbers stay fixed for the session).
struct MaildropEntry {
  std::uint32_t uid = 0;
  std::uint64_t size = 0;      // octets as stored (CRLF line endings)
  std::int64_t message_id = 0; // the store's id, for reading it
};

struct Maildrop {
  std::uint32_t uidvalidity = 0;
  std::vector<MaildropEntry> entries;  // in UID order; message n is entries[n-1]
};

// Why a login did not open the maildrop (RFC 2449 8, RFC 3206).
enum class LoginRefusal {
  bad_credentials,  // -ERR [AUTH]: wrong user name or password, or throttled
  in_use,           // -ERR [IN-USE]: another session holds the maildrop
  unavailable,      // -ERR [SYS/TEMP]: the store or the authenticator failed
};

// What the protocol asks the session to do, in order. Replies with flush
// unset may be held and written together with later ones (RFC 2449 6.6
// PIPELINING); the session writes everything held when it sees flush,
// StartTls or Close, and before it reads again.
namespace action {
struct Reply {
  std::string text;  // one response or one piece of a multi-line response, CRLF line endings
  bool flush = false;
  bool refusal = false;  // a refusal: the session logs it with its code
};
// Write the held replies (the last is "+OK Begin TLS negotiation"), run the
// TLS handshake and call tls_established(); on failure drop the connection.
struct StartTls {};
// Verify the credentials, take the maildrop lock, load the INBOX and call
// logged_in() or login_refused().
struct Authenticate {
  std::string mechanism;  // "USER" (USER/PASS) or "PLAIN", for the log
  std::string username;
  std::string password;
};
// Read the message (or, when `length` is not 0, up to `length` octets of
// it from `offset`) and call message_loaded().
struct LoadMessage {
  std::int64_t message_id = 0;
  std::uint32_t uid = 0;
  std::uint64_t offset = 0;
  std::size_t length = 0;  // 0: the whole message
};
// RFC 1939 6 (UPDATE state): remove these UIDs from the INBOX durably, then
// call update_done().
struct Expunge {
  std::vector<std::uint32_t> uids;
};
// Write the held replies, then close the connection.
struct Close {};
}  // namespace action

using Action = std::variant<action::Reply, action::StartTls, action::Authenticate, action::LoadMessage,
                            action::Expunge, action::Close>;

}  // namespace tern::pop3
