// Password hashing with libargon2 (RFC 9106) and SHA512-CRYPT verification
// with libxcrypt, for accounts migrated from Dovecot (its "{SCHEME}" prefixes
// are understood). Secrets copied into NUL-terminated buffers for the C
// libraries are wiped after use.
#include "auth/password.hpp"

#include <argon2.h>
#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>
#include <cstring>
#include <memory>

#include "core/text.hpp"

namespace tern::auth {
namespace {

constexpr std::size_t salt_octets = 16;
constexpr std::size_t tag_octets = 32;

// A copy of a secret that is wiped when it goes out of scope.
class SecretCopy {
 public:
  explicit SecretCopy(std::string_view text) : text_(text) {}
  ~SecretCopy() { OPENSSL_cleanse(text_.data(), text_.size()); }
  SecretCopy(const SecretCopy&) = delete;
  SecretCopy& operator=(const SecretCopy&) = delete;
  const char* c_str() const { return text_.c_str(); }

 private:
  std::string text_;
};

enum class Scheme { argon2i, argon2d, argon2id, sha512_crypt, unknown };

Scheme scheme_of(std::string_view hash) {
  if (hash.starts_with("$argon2id$")) return Scheme::argon2id;
  if (hash.starts_with("$argon2i$")) return Scheme::argon2i;
  if (hash.starts_with("$argon2d$")) return Scheme::argon2d;
  if (hash.starts_with("$6$")) return Scheme::sha512_crypt;
  return Scheme::unknown;
}


// Removes a Dovecot "{SCHEME}" prefix and returns the hash proper, or an
// empty view when the prefix names a scheme tern does not verify or does not
// agree with the hash behind it.
std::string_view strip_scheme_prefix(std::string_view stored) {
  if (!stored.starts_with('{')) return stored;
  std::size_t close = stored.find('}');
  if (close == std::string_view::npos) return {};
  const std::string name = text::to_upper(stored.substr(1, close - 1));
  std::string_view hash = stored.substr(close + 1);
  Scheme expected = Scheme::unknown;
  if (name == "ARGON2ID") expected = Scheme::argon2id;
  else if (name == "ARGON2I") expected = Scheme::argon2i;
  else if (name == "ARGON2D") expected = Scheme::argon2d;
  else if (name == "SHA512-CRYPT") expected = Scheme::sha512_crypt;
  if (expected == Scheme::unknown || scheme_of(hash) != expected) return {};
  return hash;
}

bool verify_argon2(std::string_view password, std::string_view hash, argon2_type type) {
  SecretCopy secret(password);
  std::string encoded(hash);
  return argon2_verify(encoded.c_str(), secret.c_str(), password.size(), type) == ARGON2_OK;
}

bool verify_sha512_crypt(std::string_view password, std::string_view hash) {
  SecretCopy secret(password);
  std::string setting(hash);
  // crypt_data is about 32 KiB: too big for a coroutine or pool thread stack.
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_rn(secret.c_str(), setting.c_str(), data.get(), static_cast<int>(sizeof(crypt_data)));
  bool match = out != nullptr && std::strlen(out) == setting.size() &&
               CRYPTO_memcmp(out, setting.data(), setting.size()) == 0;
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  return match;
}

// Reads "NAME=<number>" at the start of `text` and advances past it.
bool read_parameter(std::string_view& text, std::string_view name, std::uint32_t& value) {
  if (!text.starts_with(name) || text.size() <= name.size() || text[name.size()] != '=') return false;
  const char* first = text.data() + name.size() + 1;
  const char* last = text.data() + text.size();
  auto [end, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || end == first) return false;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return true;
}

}  // namespace

Result<std::string> hash_password(std::string_view password, const Argon2Cost& cost) {
  if (password.empty()) return make_error(Errc::invalid, "password is empty");
  if (password.find('\0') != std::string_view::npos) {
    return make_error(Errc::invalid, "password contains a NUL character");
  }
  std::array<unsigned char, salt_octets> salt{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
    return make_error(Errc::internal, "the random number generator failed");
  }
  std::size_t length = argon2_encodedlen(cost.time_cost, cost.memory_kib, cost.parallelism,
                                         static_cast<std::uint32_t>(salt.size()), tag_octets, Argon2_id);
  std::string encoded(length + 1, '\0');
  int rc = argon2id_hash_encoded(cost.time_cost, cost.memory_kib, cost.parallelism, password.data(),
                                 password.size(), salt.data(), salt.size(), tag_octets, encoded.data(),
                                 encoded.size());
  if (rc != ARGON2_OK) {
    return make_error(rc == ARGON2_MEMORY_ALLOCATION_ERROR ? Errc::unavailable : Errc::invalid,
                      std::string("argon2 refused the hash: ") + argon2_error_message(rc));
  }
  encoded.resize(std::strlen(encoded.c_str()));
  return encoded;
}

bool verify_password(std::string_view password, std::string_view stored) {
  if (password.empty() || password.find('\0') != std::string_view::npos) return false;
  if (stored.find('\0') != std::string_view::npos) return false;
  std::string_view hash = strip_scheme_prefix(stored);
  switch (scheme_of(hash)) {
    case Scheme::argon2id: return verify_argon2(password, hash, Argon2_id);
    case Scheme::argon2i: return verify_argon2(password, hash, Argon2_i);
    case Scheme::argon2d: return verify_argon2(password, hash, Argon2_d);
    case Scheme::sha512_crypt: return verify_sha512_crypt(password, hash);
    case Scheme::unknown: return false;
  }
  return false;
}

bool needs_rehash(std::string_view stored, const Argon2Cost& cost) {
  std::string_view hash = strip_scheme_prefix(stored);
  if (scheme_of(hash) != Scheme::argon2id) return true;
  std::string_view rest = hash.substr(std::string_view("$argon2id$").size());
  std::uint32_t version = 0;
  std::uint32_t memory = 0;
  std::uint32_t time = 0;
  std::uint32_t lanes = 0;
  if (!read_parameter(rest, "v", version) || !rest.starts_with('$')) return true;
  rest.remove_prefix(1);
  if (!read_parameter(rest, "m", memory) || !rest.starts_with(',')) return true;
  rest.remove_prefix(1);
  if (!read_parameter(rest, "t", time) || !rest.starts_with(',')) return true;
  rest.remove_prefix(1);
  if (!read_parameter(rest, "p", lanes) || !rest.starts_with('$')) return true;
  return version != ARGON2_VERSION_13 || memory != cost.memory_kib || time != cost.time_cost ||
         lanes != cost.parallelism;
}

}  // namespace tern::auth
