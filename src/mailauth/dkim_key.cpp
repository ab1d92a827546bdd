#include "mailauth/dkim_key.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fmt/format.h>

#include <vector>

#include "core/base64.hpp"

namespace tern::dkim {

namespace {

std::string openssl_error(std::string_view what) {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return std::string(what);
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return fmt::format("{}: {}", what, text);
}

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* key) { return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free); }

Result<KeyType> type_of(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_ED25519: return KeyType::ed25519;
    case EVP_PKEY_RSA: return KeyType::rsa;
    default: return make_error(Errc::invalid, "the key is neither Ed25519 nor RSA");
  }
}

}  // namespace

const char* key_type_name(KeyType type) { return type == KeyType::ed25519 ? "ed25519" : "rsa"; }

Result<KeyType> parse_key_type(std::string_view name) {
  if (name == "ed25519") return KeyType::ed25519;
  if (name == "rsa") return KeyType::rsa;
  return make_error(Errc::invalid, fmt::format("unknown key type '{}' (ed25519 or rsa)", name));
}

const char* algorithm_name(KeyType type) { return type == KeyType::ed25519 ? "ed25519-sha256" : "rsa-sha256"; }

Result<PrivateKey> PrivateKey::generate(KeyType type, unsigned rsa_bits) {
  EVP_PKEY* key = type == KeyType::ed25519 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                                           : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{rsa_bits});
  if (key == nullptr) return make_error(Errc::internal, openssl_error("cannot generate a key"));
  return PrivateKey(own(key), type);
}

Result<PrivateKey> PrivateKey::from_pem(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
                                                BIO_free);
  if (!bio) return make_error(Errc::internal, openssl_error("cannot read the key"));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) return make_error(Errc::invalid, openssl_error("not a PEM private key"));
  auto owned = own(key);
  auto type = type_of(key);
  if (!type) return std::move(type).error();
  return PrivateKey(std::move(owned), *type);
}

unsigned PrivateKey::bits() const { return key_ ? static_cast<unsigned>(EVP_PKEY_get_bits(key_.get())) : 0; }

std::string PrivateKey::pem() const {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    ERR_clear_error();
    return {};
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string PrivateKey::public_key() const {
  if (!key_) return {};
  if (type_ == KeyType::ed25519) {
    unsigned char raw[32];
    std::size_t size = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(key_.get(), raw, &size) != 1) {
      ERR_clear_error();
      return {};
    }
    return base64::encode(std::string_view(reinterpret_cast<const char*>(raw), size));
  }
  int size = i2d_PUBKEY(key_.get(), nullptr);
  if (size <= 0) {
    ERR_clear_error();
    return {};
  }
  std::string der(static_cast<std::size_t>(size), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  i2d_PUBKEY(key_.get(), &out);
  return base64::encode(der);
}

std::string PrivateKey::dns_record() const {
  return fmt::format("v=DKIM1; k={}; p={}", key_type_name(type_), public_key());
}

Result<std::string> PrivateKey::sign(std::string_view data) const {
  if (!key_) return make_error(Errc::internal, "no key to sign with");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx) return make_error(Errc::internal, openssl_error("cannot sign"));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  std::string_view input = data;
  const EVP_MD* md = EVP_sha256();
  if (type_ == KeyType::ed25519) {
    // RFC 8463 3: PureEdDSA over the SHA-256 hash of the data.
    if (EVP_Digest(data.data(), data.size(), digest, &digest_size, EVP_sha256(), nullptr) != 1)
      return make_error(Errc::internal, openssl_error("cannot hash"));
    input = std::string_view(reinterpret_cast<const char*>(digest), digest_size);
    md = nullptr;
  }
  if (EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key_.get()) != 1)
    return make_error(Errc::internal, openssl_error("cannot sign"));
  std::size_t size = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &size, in, input.size()) != 1)
    return make_error(Errc::internal, openssl_error("cannot sign"));
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size, in, input.size()) != 1)
    return make_error(Errc::internal, openssl_error("cannot sign"));
  signature.resize(size);
  return signature;
}

}  // namespace tern::dkim
