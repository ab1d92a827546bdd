// Password hashing and verification. New hashes are argon2id PHC strings
// (RFC 9106; "$argon2id$v=19$m=...,t=...,p=...$salt$hash"). Verification also
// accepts argon2i/argon2d and SHA512-CRYPT ("$6$", with or without Dovecot's
// "{SHA512-CRYPT}" prefix) so that accounts can be migrated from Dovecot.
// Security: comparisons are constant time; empty passwords, passwords with a
// NUL and unknown schemes never verify.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace tern::auth {

// The argon2id cost. The defaults follow RFC 9106 4's second recommended
// option (t=3, 64 MiB); tests use a cheap cost.
struct Argon2Cost {
  std::uint32_t time_cost = 3;         // passes over memory
  std::uint32_t memory_kib = 64 * 1024;
  std::uint32_t parallelism = 1;
};

// A new argon2id PHC string with a 16-byte random salt and a 32-byte tag.
// Errc::invalid for an empty password or one containing NUL (it could never
// be verified) or a cost out of argon2's range, Errc::unavailable when the
// memory cannot be allocated, Errc::internal when the random generator fails.
Result<std::string> hash_password(std::string_view password, const Argon2Cost& cost = {});

// True only when `password` matches `stored` (any accepted scheme).
bool verify_password(std::string_view password, std::string_view stored);

// True when `stored` should be replaced by a fresh hash at the next
// successful login: not argon2id, or argon2id with a cost other than `cost`.
bool needs_rehash(std::string_view stored, const Argon2Cost& cost = {});

}  // namespace tern::auth
