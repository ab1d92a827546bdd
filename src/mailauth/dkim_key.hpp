// DKIM key pairs (RFC 6376 3.3, RFC 8463): Ed25519 and RSA, made, read and
// written with OpenSSL, and the public half as the DNS record to publish.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace tern::dkim {

enum class KeyType { ed25519, rsa };

const char* key_type_name(KeyType type);             // "ed25519", "rsa"
Result<KeyType> parse_key_type(std::string_view name);  // the names above
const char* algorithm_name(KeyType type);           // a= of a signature: "ed25519-sha256", "rsa-sha256"

// A private key. Copies share the one OpenSSL key (which is immutable).
class PrivateKey {
 public:
  PrivateKey() = default;

  // A new key: Ed25519, or RSA of `rsa_bits` (2048 unless asked otherwise).
  static Result<PrivateKey> generate(KeyType type, unsigned rsa_bits = 2048);
  // PKCS #8 PEM ("-----BEGIN PRIVATE KEY-----"), as pem() writes it.
  static Result<PrivateKey> from_pem(std::string_view pem);

  explicit operator bool() const { return key_ != nullptr; }
  KeyType type() const { return type_; }
  unsigned bits() const;

  std::string pem() const;
  // The p= value of the DNS record: base64 of the raw 32-octet key for
  // Ed25519 (RFC 8463 4.2), of the DER SubjectPublicKeyInfo for RSA.
  std::string public_key() const;
  // The TXT record: "v=DKIM1; k=ed25519; p=...".
  std::string dns_record() const;

  // The signature of `data`: RSASSA-PKCS1-v1_5 with SHA-256 over it, or
  // Ed25519 over its SHA-256 digest (RFC 8463 3).
  Result<std::string> sign(std::string_view data) const;

  EVP_PKEY* get() const { return key_.get(); }

 private:
  PrivateKey(std::shared_ptr<EVP_PKEY> key, KeyType type) : key_(std::move(key)), type_(type) {}
  std::shared_ptr<EVP_PKEY> key_;
  KeyType type_ = KeyType::ed25519;
};

}  // namespace tern::dkim
