// Tests for auth/password: argon2id hashing, and verification of argon2 and
// SHA512-CRYPT hashes against published vectors.
#include "auth/password.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tern::auth {
namespace {

// Cheap enough for tests; production uses the defaults.
constexpr Argon2Cost cheap{1, 64, 1};

// From the reference implementation's test suite (password "password", salt "somesalt").
constexpr const char* argon2id_64mib =
    "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";
constexpr const char* argon2id_256kib =
    "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4";
constexpr const char* argon2i_64mib = "$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG";

// `openssl passwd -6 -salt saltsalt secret`
constexpr const char* sha512_secret =
    "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1";
// Python crypt.crypt("secret", "$6$rounds=10000$saltsalt$")
constexpr const char* sha512_rounds =
    "$6$rounds=10000$saltsalt$WowrPBpEDVlCoruBosYlrZycTCx3//TyDHYqEhX9DUHHt0XTztUqzQDDUuvUGRA8aUe9p55hcAxeGcu58sm3u.";
// From the SHA-crypt specification's test vectors ("Hello world!").
constexpr const char* sha512_spec =
    "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1";

TEST(Password, HashIsArgon2idAndVerifies) {
  auto hash = hash_password("correct horse battery staple", cheap);
  ASSERT_TRUE(hash) << hash.error().message;
  EXPECT_TRUE(hash->starts_with("$argon2id$v=19$m=64,t=1,p=1$")) << *hash;
  EXPECT_TRUE(verify_password("correct horse battery staple", *hash));
  EXPECT_FALSE(verify_password("correct horse battery stapl", *hash));
  EXPECT_FALSE(verify_password("Correct horse battery staple", *hash));
}

TEST(Password, SaltIsRandom) {
  auto a = hash_password("same", cheap);
  auto b = hash_password("same", cheap);
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
}

TEST(Password, DefaultCostIsRfc9106SecondOption) {
  Argon2Cost defaults;
  EXPECT_EQ(defaults.time_cost, 3u);
  EXPECT_EQ(defaults.memory_kib, 65536u);
  EXPECT_EQ(defaults.parallelism, 1u);
}

TEST(Password, HashRefusesUnverifiablePasswordsAndBadCost) {
  auto empty = hash_password("", cheap);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, Errc::invalid);
  auto nul = hash_password(std::string("a\0b", 3), cheap);
  ASSERT_FALSE(nul);
  EXPECT_EQ(nul.error().code, Errc::invalid);
  auto bad_cost = hash_password("x", Argon2Cost{0, 64, 1});
  ASSERT_FALSE(bad_cost);
  EXPECT_EQ(bad_cost.error().code, Errc::invalid);
  EXPECT_NE(bad_cost.error().message.find("argon2"), std::string::npos);
}

TEST(Password, KnownArgon2Vectors) {
  EXPECT_TRUE(verify_password("password", argon2id_256kib));
  EXPECT_TRUE(verify_password("password", argon2id_64mib));
  EXPECT_TRUE(verify_password("password", argon2i_64mib));
  EXPECT_FALSE(verify_password("passwort", argon2id_256kib));
  EXPECT_TRUE(verify_password("password", std::string("{ARGON2ID}") + argon2id_256kib));
  EXPECT_TRUE(verify_password("password", std::string("{argon2id}") + argon2id_256kib));
  EXPECT_TRUE(verify_password("password", std::string("{ARGON2I}") + argon2i_64mib));
}

TEST(Password, KnownSha512CryptVectors) {
  EXPECT_TRUE(verify_password("secret", sha512_secret));
  EXPECT_TRUE(verify_password("secret", std::string("{SHA512-CRYPT}") + sha512_secret));
  EXPECT_TRUE(verify_password("secret", sha512_rounds));
  EXPECT_TRUE(verify_password("Hello world!", sha512_spec));
  EXPECT_FALSE(verify_password("Secret", sha512_secret));
  EXPECT_FALSE(verify_password("secret ", sha512_secret));
  EXPECT_FALSE(verify_password("secret", std::string("{SHA512-CRYPT}") + sha512_rounds + "x"));
}

TEST(Password, PrefixMustMatchTheHash) {
  EXPECT_FALSE(verify_password("secret", std::string("{ARGON2ID}") + sha512_secret));
  EXPECT_FALSE(verify_password("password", std::string("{SHA512-CRYPT}") + argon2id_256kib));
  EXPECT_FALSE(verify_password("password", std::string("{ARGON2I}") + argon2id_256kib));
  EXPECT_FALSE(verify_password("secret", std::string("{CRYPT}") + sha512_secret));
  EXPECT_FALSE(verify_password("secret", std::string("{SHA512-CRYPT") + sha512_secret));
}

TEST(Password, EmptyAndNulPasswordsNeverVerify) {
  EXPECT_FALSE(verify_password("", sha512_secret));
  EXPECT_FALSE(verify_password("", argon2id_256kib));
  // A NUL would truncate the password for crypt(3): "secret\0x" must not pass as "secret".
  EXPECT_FALSE(verify_password(std::string("secret\0x", 8), sha512_secret));
  EXPECT_FALSE(verify_password(std::string("password\0", 9), argon2id_256kib));
}

TEST(Password, UnknownAndMalformedHashesNeverVerify) {
  const std::string malformed[] = {
      "",
      "secret",                       // plain text is not a scheme
      "{PLAIN}secret",
      "$1$saltsalt$abc",              // MD5-crypt is not accepted
      "$5$saltsalt$abc",              // nor SHA256-crypt
      "$2b$10$abcdefghijklmnopqrstuv",  // nor bcrypt
      "$6$",
      "$6$saltsalt",
      "$6$saltsalt$",
      "$6$saltsalt$short",
      "$argon2id$",
      "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$",
      "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR",
      "$argon2id$v=19$m=256,t=2,p=1$$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
      "$argon2id$v=19$m=x,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
      "$argon2id$v=19$m=256,t=0,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
      "$argon2x$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
      std::string(argon2id_256kib) + "\n",
      std::string("$6$saltsalt\0$x", 14),
  };
  for (const auto& stored : malformed) {
    EXPECT_FALSE(verify_password("password", stored)) << stored;
    EXPECT_FALSE(verify_password("secret", stored)) << stored;
  }
}

TEST(Password, NeedsRehash) {
  auto current = hash_password("x", cheap);
  ASSERT_TRUE(current);
  EXPECT_FALSE(needs_rehash(*current, cheap));
  EXPECT_FALSE(needs_rehash("{ARGON2ID}" + *current, cheap));
  EXPECT_TRUE(needs_rehash(*current, Argon2Cost{}));
  EXPECT_TRUE(needs_rehash(sha512_secret, cheap));
  EXPECT_TRUE(needs_rehash(argon2i_64mib, Argon2Cost{2, 65536, 4}));
  EXPECT_FALSE(needs_rehash(argon2id_64mib, Argon2Cost{2, 65536, 1}));
  EXPECT_TRUE(needs_rehash("$argon2id$v=19$m=65536", Argon2Cost{2, 65536, 1}));
  EXPECT_TRUE(needs_rehash("", cheap));
}

}  // namespace
}  // namespace tern::auth
