// TLS for every listener: the server context (TLS 1.2 and later only), a
// self-signed key pair generated in data_dir when none is configured, and
// reloading of the certificate on SIGHUP without dropping sessions (a session
// keeps the context it started with; new handshakes use the new one).
#pragma once

#include <asio/ssl/context.hpp>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "core/result.hpp"

namespace tern::net {

struct KeyPairPaths {
  std::filesystem::path cert;
  std::filesystem::path key;
};

// Writes DIR/tls/cert.pem and DIR/tls/key.pem (ECDSA P-256, subject and SAN
// `hostname`, SHA-256, valid ten years) unless both exist. The key file is 0600.
Result<KeyPairPaths> ensure_self_signed(const std::filesystem::path& data_dir,
                                        const std::string& hostname);

// Builds a server context from PEM files (the cert file may hold a chain).
Result<std::shared_ptr<asio::ssl::context>> make_server_context(const KeyPairPaths& paths);

// A client context for outbound SMTP (TLS 1.2 and later). STARTTLS to other
// MTAs is opportunistic (RFC 3207 4.1, RFC 7435): the peer's certificate is
// not verified, since most MX hosts' names and certificates do not match.
Result<std::shared_ptr<asio::ssl::context>> make_client_context();

// Holds the current server context; reload() swaps it atomically.
class TlsContextHolder {
 public:
  explicit TlsContextHolder(KeyPairPaths paths) : paths_(std::move(paths)) {}
  Result<void> load();  // (re)reads the files; keeps the old context on failure
  std::shared_ptr<asio::ssl::context> current() const;
  const KeyPairPaths& paths() const { return paths_; }

 private:
  KeyPairPaths paths_;
  mutable std::mutex mutex_;
  std::shared_ptr<asio::ssl::context> context_;
};

}  // namespace tern::net
