// DKIM canonicalization, body hash and signing, against the examples of
// RFC 6376 and RFC 8463 (whose Ed25519 signature is deterministic, so tern
// must reproduce it to the octet).
#include <gtest/gtest.h>

#include <openssl/evp.h>

#include <random>

#include "core/base64.hpp"
#include "core/text.hpp"
#include "mailauth/dkim.hpp"
#include "rfc8463_example.hpp"

namespace tern::dkim {
namespace {

constexpr std::string_view rfc8463_secret = example::secret;
constexpr std::string_view rfc8463_public = example::public_key;
constexpr std::string_view rfc_header = example::header;
constexpr std::string_view rfc_body = example::body;

std::string b64(const Digest& d) {
  return base64::encode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

// PKCS #8 PEM of a raw Ed25519 seed (the RFC gives the seed alone).
std::string ed25519_pem(std::string_view seed_b64) {
  auto seed = base64::decode(seed_b64);
  EXPECT_TRUE(seed.ok());
  // DER prefix of an Ed25519 PrivateKeyInfo (RFC 8410 7), then the 32-octet seed.
  std::string der("\x30\x2e\x02\x01\x00\x30\x05\x06\x03\x2b\x65\x70\x04\x22\x04\x20", 16);
  der += *seed;
  std::string pem = "-----BEGIN PRIVATE KEY-----\n" + base64::encode(der) + "\n-----END PRIVATE KEY-----\n";
  return pem;
}

TEST(DkimCanonicalization, RelaxedHeaderFollowsRfc6376Example) {
  // RFC 6376 3.4.5.
  auto fields = split_header("A: X\r\nB : Y\t\r\n\tZ  \r\n\r\nbody");
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0].name, "A");
  EXPECT_EQ(fields[1].name, "B");
  EXPECT_EQ(canonical_header(fields[0], Canonicalization::relaxed), "a:X\r\n");
  EXPECT_EQ(canonical_header(fields[1], Canonicalization::relaxed), "b:Y Z\r\n");
  EXPECT_EQ(canonical_header(fields[1], Canonicalization::simple), "B : Y\t\r\n\tZ  \r\n");
}

TEST(DkimCanonicalization, RelaxedBodyFollowsRfc6376Example) {
  // RFC 6376 3.4.5: " C \r\nD \t E\r\n\r\n\r\n" -> " C\r\nD E\r\n".
  EXPECT_EQ(b64(body_hash(" C \r\nD \t E\r\n\r\n\r\n", Canonicalization::relaxed)),
            b64(body_hash(" C\r\nD E\r\n", Canonicalization::simple)));
  // simple keeps the whitespace but drops the empty lines at the end.
  EXPECT_EQ(b64(body_hash(" C \r\nD \t E\r\n\r\n\r\n", Canonicalization::simple)),
            b64(body_hash(" C \r\nD \t E\r\n", Canonicalization::simple)));
}

TEST(DkimCanonicalization, EmptyBodies) {
  // RFC 6376 3.4.3/3.4.4: simple makes an empty body one CRLF, relaxed leaves it empty.
  EXPECT_EQ(b64(body_hash("", Canonicalization::simple)), "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
  EXPECT_EQ(b64(body_hash("\r\n\r\n", Canonicalization::simple)), "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
  EXPECT_EQ(b64(body_hash("", Canonicalization::relaxed)), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  EXPECT_EQ(b64(body_hash(" \r\n\t\r\n", Canonicalization::relaxed)), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  // A last line without its CRLF gets one.
  EXPECT_EQ(b64(body_hash("x", Canonicalization::relaxed)), b64(body_hash("x\r\n", Canonicalization::relaxed)));
}

TEST(DkimCanonicalization, Rfc8463BodyHash) {
  EXPECT_EQ(b64(body_hash(rfc_body, Canonicalization::relaxed)), "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=");
  EXPECT_EQ(b64(body_hash(rfc_body, Canonicalization::simple)), "4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=");
}

TEST(DkimCanonicalization, BodyHashDoesNotDependOnHowTheBodyIsSplit) {
  std::string body = "a  b \t\r\n\r\n \r\nc\rd\r\n  e\t\r\n\r\n\r\n";
  for (int i = 0; i < 50; ++i) body += i % 7 == 0 ? "\r\n" : i % 3 == 0 ? " \t " : "word";
  body += "\r\n\r\n";
  std::mt19937 random(7);
  for (auto c : {Canonicalization::simple, Canonicalization::relaxed}) {
    const Digest whole = body_hash(body, c);
    for (int round = 0; round < 200; ++round) {
      BodyHasher hasher(c);
      std::size_t at = 0;
      while (at < body.size()) {
        std::size_t n = std::uniform_int_distribution<std::size_t>(1, 9)(random);
        hasher.update(std::string_view(body).substr(at, n));
        at += n;
      }
      EXPECT_EQ(b64(hasher.finish()), b64(whole));
    }
  }
}

TEST(DkimCanonicalization, LimitCountsCanonicalOctets) {
  BodyHasher hasher(Canonicalization::relaxed, 5);
  hasher.update("Hi  there\r\n");
  Digest limited = hasher.finish();
  EXPECT_EQ(hasher.canonical_length(), 10u);  // "Hi there\r\n"
  Digest expected{};
  unsigned int size = 0;
  EVP_Digest("Hi th", 5, expected.data(), &size, EVP_sha256(), nullptr);
  EXPECT_EQ(b64(limited), b64(expected));
}

TEST(DkimSigning, Rfc8463Ed25519SignatureIsReproduced) {
  auto key = PrivateKey::from_pem(ed25519_pem(rfc8463_secret));
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->type(), KeyType::ed25519);
  EXPECT_EQ(key->public_key(), rfc8463_public);

  // The data signed (RFC 6376 3.7): h= of the example, relaxed, then the
  // signature field with an empty b= and without its CRLF.
  auto fields = split_header(rfc_header);
  std::string data;
  for (std::string_view name : {"from", "to", "subject", "date", "message-id"})
    for (const auto& f : fields)
      if (text::iequals(f.name, name)) data += canonical_header(f, Canonicalization::relaxed);
  std::string self =
      "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
      " d=football.example.com; i=@football.example.com;\r\n"
      " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
      " subject : date : message-id : from : subject : date;\r\n"
      " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
      " b=\r\n";
  std::string canonical_self = canonical_header(split_header(self).at(0), Canonicalization::relaxed);
  data += canonical_self.substr(0, canonical_self.size() - 2);
  auto signature = key->sign(data);
  ASSERT_TRUE(signature.ok());
  EXPECT_EQ(base64::encode(*signature),
            "/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11BusFa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==")
      << data;
}

TEST(DkimSigning, FieldCarriesTheTagsAndOverSignsEveryName) {
  auto key = PrivateKey::generate(KeyType::ed25519);
  ASSERT_TRUE(key.ok());
  std::vector<Signer> signers{Signer{"football.example.com", "brisbane", *key}};
  auto field = sign_all(rfc_header, rfc_body, signers, 1528637909);
  ASSERT_TRUE(field.ok()) << field.error().message;
  EXPECT_TRUE(field->starts_with("DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;")) << *field;
  EXPECT_NE(field->find("d=football.example.com;"), std::string::npos);
  EXPECT_NE(field->find("s=brisbane;"), std::string::npos);
  EXPECT_NE(field->find("t=1528637909;"), std::string::npos);
  EXPECT_NE(field->find("bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;"), std::string::npos);
  // Unfolded, h= names From twice (once present, once over-signed) and cc once (absent).
  std::string unfolded;
  for (char c : *field)
    if (c != '\r' && c != '\n' && c != '\t') unfolded += c;
  EXPECT_NE(unfolded.find("h=from:from:reply-to:subject:subject:date:date:to:to:cc:message-id:message-id:"),
            std::string::npos)
      << unfolded;
  EXPECT_TRUE(field->ends_with("\r\n"));
  for (std::size_t at = 0, next; at < field->size(); at = next + 2) {
    next = field->find("\r\n", at);
    EXPECT_LE(next - at, 78u) << "line too long in " << *field;
  }
}

TEST(DkimKeys, GeneratedKeysRoundTripThroughPem) {
  for (auto type : {KeyType::ed25519, KeyType::rsa}) {
    auto key = PrivateKey::generate(type);
    ASSERT_TRUE(key.ok());
    auto again = PrivateKey::from_pem(key->pem());
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(again->type(), type);
    EXPECT_EQ(again->public_key(), key->public_key());
    EXPECT_EQ(key->bits(), type == KeyType::rsa ? 2048u : 256u);
    EXPECT_TRUE(key->dns_record().starts_with(type == KeyType::rsa ? "v=DKIM1; k=rsa; p=MIIBIjAN"
                                                                   : "v=DKIM1; k=ed25519; p="));
  }
  EXPECT_FALSE(PrivateKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").ok());
  EXPECT_FALSE(PrivateKey::from_pem("").ok());
}

}  // namespace
}  // namespace tern::dkim
