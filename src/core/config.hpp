// The configuration file (TOML, DESIGN.md "Contract"): parsing and
// validation. Every error names the file, the key and what is wrong, so that
// `tern` can print it and exit 2.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip_network.hpp"
#include "core/result.hpp"

namespace tern {

enum class Protocol { smtp, submission, submissions, pop3, pop3s, imap, imaps };

const char* protocol_name(Protocol protocol) noexcept;
bool protocol_implicit_tls(Protocol protocol) noexcept;
// Whether clients must log in before they are served (all but port 25's SMTP).
bool protocol_requires_login(Protocol protocol) noexcept;

// What is done with mail from elsewhere (port 25) that fails a check:
// accept it (the result is recorded in Authentication-Results:), deliver it
// to the recipient's Junk mailbox, or refuse it with 550 5.7.x.
enum class InboundAction { accept, quarantine, reject };
const char* inbound_action_name(InboundAction action) noexcept;

struct InboundPolicy {
  InboundAction spf_fail = InboundAction::accept;  // DMARC weighs SPF with DKIM
  InboundAction dkim_fail = InboundAction::accept;
  InboundAction dmarc_reject = InboundAction::reject;           // the domain asks p=reject
  InboundAction dmarc_quarantine = InboundAction::quarantine;   // the domain asks p=quarantine
  // Mail that claims one of tern's own domains (MAIL FROM or From:) without
  // passing SPF or an aligned DKIM signature: its users submit on 587/465.
  InboundAction own_domain_unauthenticated = InboundAction::reject;
  // Clients whose mail is checked and recorded but never refused or
  // quarantined: the host's own programs (Postfix's mynetworks).
  std::vector<IpNetwork> trusted_networks = default_trusted_networks();
  static std::vector<IpNetwork> default_trusted_networks();
};

struct ListenerConfig {
  Protocol protocol = Protocol::smtp;
  std::string host;  // IPv4/IPv6 literal or "localhost"
  std::uint16_t port = 0;
  InboundPolicy inbound = {};  // [inbound], overridden by the listener's own keys
  std::string address() const;  // host:port, IPv6 in brackets
};

struct StoreConfig {
  std::string backend = "sqlite";
  std::string url;
};

struct TlsConfig {
  std::filesystem::path cert;  // empty: generate a self-signed pair in data_dir
  std::filesystem::path key;
};

struct DnsConfig {
  std::vector<std::string> servers;  // host:port; empty: the system's resolvers
};

struct QueueConfig {
  std::vector<std::chrono::seconds> retry;  // delays between attempts; the last repeats
  std::chrono::seconds max_age{5 * 24 * 3600};
  std::chrono::seconds warn_after{0};       // 0: no delay warnings
};

struct RelayConfig {
  std::string smarthost;                     // host:port, empty: deliver by MX
  std::map<std::string, std::string> routes; // domain -> host:port
  // AUTH PLAIN to the smarthost (RFC 4954), only ever over TLS: the user
  // name, and a file whose first line is the password (kept out of the config).
  std::string smarthost_user;
  std::filesystem::path smarthost_password_file;
  // SRS for mail forwarded off-server (delivery/srs.hpp), with the secret
  // in this file (made when missing; default: data_dir/srs.secret). Nodes
  // that share a store must share the file.
  bool srs = true;
  std::filesystem::path srs_secret_file;
};

struct LimitsConfig {
  std::uint64_t max_message_size = 50ull * 1024 * 1024;
  std::uint32_t max_recipients = 100;
  std::uint32_t max_connections = 1000;      // all listeners together
  std::uint32_t max_connections_per_ip = 50;
  std::uint32_t max_mailboxes = 1000;        // per account (IMAP CREATE and RENAME)
  // max_connections_per_ip counts the addresses of one network together:
  // IPv6 per /64 (one host usually holds the whole prefix), IPv4 per address.
  unsigned per_ip_prefix_v4 = 32;
  unsigned per_ip_prefix_v6 = 64;
  // Stress: once this share (percent) of max_connections is in use, sessions
  // not logged in wait at most stress_timeout for the client's next bytes,
  // and a new connection that finds every slot taken closes the oldest idle
  // one that is not logged in (authenticated sessions keep theirs).
  unsigned stress_threshold = 80;
  std::chrono::seconds stress_timeout{10};
  // Bounds a whole command (line, message body, literal), not one read:
  // command_timeout plus one second per min_data_rate octets received
  // (RFC 5321 4.5.3.2; slow senders of one byte at a time end here).
  std::uint32_t min_data_rate = 500;         // octets per second
  std::chrono::seconds command_timeout{300}; // RFC 5321 4.5.3.2.7: at least 5 minutes
  // The whole time before login on IMAP, POP3 and submission listeners.
  std::chrono::seconds login_timeout{180};
  std::chrono::seconds session_timeout{3600};
  std::chrono::seconds shutdown_grace{10};   // time sessions get to finish on SIGTERM
};

struct AuthConfig {
  // Rule 3 (DESIGN.md): passwords only over TLS, unless this allows it for
  // connections from loopback addresses (for tests and local tools).
  bool allow_plaintext_loopback = false;
  // The login throttle (docs/security.md): failed logins in the last
  // failure_window, per client address (IPv6: per /64) and per account.
  std::uint32_t max_failures_per_address = 10;
  std::uint32_t max_failures_per_user = 30;
  std::chrono::seconds failure_window{300};
  // Clients that many users share (a webmail host, a NAT): exempt from the
  // per-address count and block; the per-user limit still applies.
  std::vector<IpNetwork> trusted_networks;
};

// Which addresses an authenticated user may send as, in the envelope
// (MAIL FROM) and in the From: field (docs/smtp.md "Sender policy").
enum class SenderPolicy {
  own,     // the account's address and the aliases that deliver to it
  domain,  // also any address of the account's own domain
  any,     // no check (a gateway or smarthost client sending for others)
};
const char* sender_policy_name(SenderPolicy policy) noexcept;

struct SubmissionConfig {
  SenderPolicy sender_policy = SenderPolicy::own;
  // Per domain of the authenticated account (lower case, A-labels).
  std::map<std::string, SenderPolicy> domain_sender_policy;
  SenderPolicy policy_for(std::string_view account_domain) const;
};

struct Config {
  std::filesystem::path path;  // the file it came from
  std::string hostname;
  std::filesystem::path data_dir;
  std::string user;            // drop privileges to this user after binding
  std::string log_level = "info";
  StoreConfig store;
  TlsConfig tls;
  DnsConfig dns;
  QueueConfig queue;
  RelayConfig relay;
  LimitsConfig limits;
  AuthConfig auth;
  SubmissionConfig submission;
  InboundPolicy inbound;  // [inbound]: the default of every listener
  std::vector<ListenerConfig> listeners;
};

// Parses TOML text; `source` names the file in messages. Relative paths
// (data_dir, tls.cert, tls.key) are taken relative to `base_dir`.
Result<Config> parse_config(std::string_view text, const std::string& source,
                            const std::filesystem::path& base_dir);

// Reads and parses a file.
Result<Config> load_config(const std::filesystem::path& path);

// "30s", "5m", "2h", "5d" (a bare number is seconds).
Result<std::chrono::seconds> parse_duration(std::string_view text);

// "10M", "50MiB", "1G", "1048576".
Result<std::uint64_t> parse_size(std::string_view text);

// Parses "host:port" / "[v6]:port".
Result<ListenerConfig> parse_endpoint(std::string_view text);

}  // namespace tern
