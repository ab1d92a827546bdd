// DKIM verification: the RFC 8463 example and signatures made by dkimpy
// (every canonicalization) pass; altered mail, bad tags, bad keys, l=,
// expiry and short keys get the result RFC 6376, RFC 8301 and RFC 8601 ask
// for; signatures tern makes verify.
#include <gtest/gtest.h>

#include <random>

#include "core/base64.hpp"
#include "mailauth/dkim.hpp"
#include "mailauth/dkim_verify.hpp"
#include "rfc8463_example.hpp"

namespace tern::dkim {
namespace {

const std::string rfc_public = "v=DKIM1; k=ed25519; p=" + std::string(example::public_key);
constexpr std::string_view rfc_header = example::header;
constexpr std::string_view rfc_body = example::body;

// RFC 8463 Appendix A.3.
constexpr std::string_view rfc8463_signature =
    "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
    " d=football.example.com; i=@football.example.com;\r\n"
    " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
    " subject : date : message-id : from : subject : date;\r\n"
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
    " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n";

// Made by dkimpy with the same key, one per canonicalization.
constexpr std::string_view dkimpy_signatures[] = {
    "DKIM-Signature: v=1; a=ed25519-sha256; c=simple/simple;\r\n"
    " d=football.example.com; i=@football.example.com; q=dns/txt;\r\n"
    " s=brisbane; t=1796680350; h=from : to : subject;\r\n"
    " bh=4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=;\r\n"
    " b=rzQ51afQXs5Khnt4LMVGZbP87zENV4I/E0ZdQBa3Z5WD6SN/YsXy/1F0MJqj6JJKAqvHi\r\n"
    " Yp+kemKncdx09ewDw==\r\n",
    "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/simple;\r\n"
    " d=football.example.com; i=@football.example.com; q=dns/txt;\r\n"
    " s=brisbane; t=1796680350; h=from : to : subject;\r\n"
    " bh=4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=;\r\n"
    " b=peDsb68SA4Ut8DNeKXZ5kEWG5zLSkYhTN8zSt+B858NKH9kto1NrQGx4s6iyHfIAXCiOb\r\n"
    " ZYUrkd1vuwOfl2hAg==\r\n",
    "DKIM-Signature: v=1; a=ed25519-sha256; c=simple/relaxed;\r\n"
    " d=football.example.com; i=@football.example.com; q=dns/txt;\r\n"
    " s=brisbane; t=1796680350; h=from : to : subject;\r\n"
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    " b=zc/PiqYKARsO19S7v/XA2xSaWNN7Gz7KUTlvhbwOB+kEFsMs+4fA1BnLfj1BgOjIEWSXr\r\n"
    " ZpvBFEewKEkTeitBg==\r\n",
};

constexpr std::int64_t now = 1800000000;

KeyLookup found(std::string_view record) {
  return KeyLookup{KeyLookup::Outcome::found, {std::string(record)}};
}

// Verifies the first DKIM-Signature of `header` (the signature fields on top).
Verdict check(const std::string& header, std::string_view body, const KeyLookup& key) {
  auto fields = signature_fields(header);
  EXPECT_FALSE(fields.empty());
  if (fields.empty()) return {};
  return verify(fields.front(), header, body, key, now);
}

std::string with(std::string_view signature, std::string_view header = rfc_header) {
  return std::string(signature) + std::string(header);
}

TEST(DkimVerify, Rfc8463ExamplePasses) {
  Verdict v = check(with(rfc8463_signature), rfc_body, found(rfc_public));
  EXPECT_EQ(v.status, Status::pass) << v.reason;
  EXPECT_EQ(v.domain, "football.example.com");
  EXPECT_EQ(v.selector, "brisbane");
  EXPECT_EQ(v.algorithm, "ed25519-sha256");
  EXPECT_EQ(v.b_prefix, "/gCrinpc");
  EXPECT_EQ(v.bits, 256u);
}

TEST(DkimVerify, DkimpySignaturesOfEveryCanonicalizationPass) {
  for (std::string_view sig : dkimpy_signatures) {
    Verdict v = check(with(sig), rfc_body, found(rfc_public));
    EXPECT_EQ(v.status, Status::pass) << v.reason << "\n" << sig;
  }
}

TEST(DkimVerify, AlteredMailFails) {
  std::string header = with(rfc8463_signature);
  Verdict body = check(header, "Hi.\r\n\r\nWe won the game.\r\n", found(rfc_public));
  EXPECT_EQ(body.status, Status::fail);
  EXPECT_EQ(body.reason, "body hash mismatch");

  std::string subject = header;
  subject.replace(subject.find("Is dinner ready?"), 16, "Is lunch ready??");
  EXPECT_EQ(check(subject, rfc_body, found(rfc_public)).reason, "signature verification failed");

  // A second From: added on top: the over-signed From catches it.
  std::string added = std::string(rfc8463_signature) + "From: mallory@evil.example\r\n" + std::string(rfc_header);
  EXPECT_EQ(check(added, rfc_body, found(rfc_public)).status, Status::fail);

  // A line appended to the body.
  EXPECT_EQ(check(header, std::string(rfc_body) + "P.S. send money\r\n", found(rfc_public)).status, Status::fail);

  // Relaxed tolerates whitespace and folding changes; simple does not.
  std::string refolded = header;
  refolded.replace(refolded.find("Subject: Is dinner ready?"), 25, "Subject:   Is dinner\r\n\tready?  ");
  EXPECT_EQ(check(refolded, rfc_body, found(rfc_public)).status, Status::pass);
  std::string simple = with(dkimpy_signatures[0]);
  simple.replace(simple.find("Subject: Is dinner ready?"), 25, "Subject:  Is dinner ready?");
  EXPECT_EQ(check(simple, rfc_body, found(rfc_public)).status, Status::fail);
}

TEST(DkimVerify, KeyLookupOutcomes) {
  std::string header = with(rfc8463_signature);
  EXPECT_EQ(check(header, rfc_body, KeyLookup{KeyLookup::Outcome::temporary_failure, {}}).status,
            Status::temperror);
  EXPECT_EQ(check(header, rfc_body, KeyLookup{KeyLookup::Outcome::not_found, {}}).status, Status::permerror);
  Verdict revoked = check(header, rfc_body, found("v=DKIM1; k=ed25519; p="));
  EXPECT_EQ(revoked.status, Status::permerror);
  EXPECT_EQ(revoked.reason, "the key is revoked");
  EXPECT_EQ(check(header, rfc_body, found("v=DKIM1; k=rsa; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")).status,
            Status::permerror);
  EXPECT_EQ(check(header, rfc_body, found("v=DKIM2; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")).status,
            Status::permerror);
  EXPECT_EQ(check(header, rfc_body, found("k=ed25519; p=!!!")).status, Status::permerror);
  EXPECT_EQ(check(header, rfc_body, found("k=ed25519; s=tlsrpt; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")).status,
            Status::permerror);
  // A key of another Ed25519 pair: a clean failure, not an error.
  auto other = PrivateKey::generate(KeyType::ed25519);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(check(header, rfc_body, found(other->dns_record())).status, Status::fail);
}

std::string sign_rfc_message(const PrivateKey& key, std::int64_t t = now) {
  std::vector<Signer> signers{Signer{"football.example.com", "sel", key}};
  auto field = sign_all(rfc_header, rfc_body, signers, t);
  EXPECT_TRUE(field.ok());
  return field ? *field : std::string();
}

TEST(DkimVerify, TernsOwnSignaturesPassAlsoBelowLaterTraceFields) {
  for (auto type : {KeyType::ed25519, KeyType::rsa}) {
    auto key = PrivateKey::generate(type);
    ASSERT_TRUE(key.ok());
    std::string header = sign_rfc_message(*key) + std::string(rfc_header);
    EXPECT_EQ(check(header, rfc_body, found(key->dns_record())).status, Status::pass);
    std::string relayed = "Received: from a by b; Mon, 7 Dec 2026 10:00:00 +0000\r\n" + header;
    auto fields = signature_fields(relayed);
    ASSERT_EQ(fields.size(), 1u);
    Verdict v = verify(fields[0], relayed, rfc_body, found(key->dns_record()), now);
    EXPECT_EQ(v.status, Status::pass) << v.reason;
    EXPECT_EQ(v.bits, type == KeyType::rsa ? 2048u : 256u);
  }
}

TEST(DkimVerify, ShortRsaKeysFail) {
  auto key = PrivateKey::generate(KeyType::rsa, 768);
  ASSERT_TRUE(key.ok());
  Verdict v = check(sign_rfc_message(*key) + std::string(rfc_header), rfc_body, found(key->dns_record()));
  EXPECT_EQ(v.status, Status::fail);
  EXPECT_EQ(v.reason, "768-bit RSA key is too short");
}

TEST(DkimVerify, PartialBodyAndExpiredSignatures) {
  std::string l = std::string(rfc8463_signature);
  l.replace(l.find("q=dns/txt;"), 10, "q=dns/txt; l=20;");
  EXPECT_EQ(check(with(l), rfc_body, found(rfc_public)).status, Status::policy);
  std::string x = std::string(rfc8463_signature);
  x.replace(x.find("t=1528637909;"), 13, "t=1528637909; x=1528638000;");
  Verdict expired = check(with(x), rfc_body, found(rfc_public));
  EXPECT_EQ(expired.status, Status::fail);
  EXPECT_EQ(expired.reason, "the signature has expired");
}

TEST(DkimVerify, MalformedSignaturesArePermerrors) {
  struct Case {
    std::string_view from, to, says;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"v=1;", "v=2;", "v= is not 1"},
           {"a=ed25519-sha256;", "a=rsa-sha1;", "rsa-sha1 is not accepted"},
           {"a=ed25519-sha256;", "a=hmac-md5;", "unknown algorithm"},
           {"h=from : to :\r\n subject : date : message-id : from : subject : date;", "h=to : subject;",
            "does not include From"},
           {"i=@football.example.com;", "i=@evil.example;", "i= is not within d="},
           {"i=@football.example.com;", "i=joe@football.example.com.evil;", "i= is not within d="},
           {"c=relaxed/relaxed;", "c=relaxed/fancy;", "unknown canonicalization"},
           {"q=dns/txt;", "q=http;", "does not offer dns/txt"},
           {"s=brisbane;", "s=brisbane; s=other;", "appears twice"},
           {"d=football.example.com;", "", "no d= tag"},
           {"bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;", "bh=***;", "bh= is not base64"},
           {"t=1528637909;", "t=1528637909; x=5;", "x= is before t="},
           {"t=1528637909;", "t=soon;", "t= is not a number"},
           {"q=dns/txt;", "q=dns/txt; =x;", "malformed tag name"},
           {"q=dns/txt;", "q=dns/txt; novalue;", "without '='"},
       }) {
    std::string sig(rfc8463_signature);
    ASSERT_NE(sig.find(c.from), std::string::npos) << c.from;
    sig.replace(sig.find(c.from), c.from.size(), c.to);
    Verdict v = check(with(sig), rfc_body, found(rfc_public));
    EXPECT_EQ(v.status, Status::permerror) << c.to;
    EXPECT_NE(v.reason.find(c.says), std::string::npos) << v.reason << " / " << c.to;
  }
}

TEST(DkimVerify, EnormousAndRandomTagListsNeverCrash) {
  std::string huge = "DKIM-Signature: v=1; a=rsa-sha256; d=x.test; s=s; h=from; bh=AAAA; b=" +
                     std::string(200000, 'A') + "\r\n";
  Verdict v = check(huge + "From: a@x.test\r\n\r\n", "", found("p="));
  EXPECT_NE(v.status, Status::pass);
  std::mt19937 random(11);
  const std::string alphabet = "=; \t\r\nabhvdsilqtxAZ09+/:@.";
  for (int round = 0; round < 2000; ++round) {
    std::string field = "DKIM-Signature:";
    std::size_t n = std::uniform_int_distribution<std::size_t>(0, 80)(random);
    for (std::size_t i = 0; i < n; ++i) field += alphabet[random() % alphabet.size()];
    field += "\r\n";
    auto parsed = parse_signature(RawField{"DKIM-Signature", field});
    if (!parsed) {
      EXPECT_FALSE(parsed.error().message.empty());
    }
    auto record = parse_key_record(field.substr(15));
    if (!record) {
      EXPECT_FALSE(record.error().message.empty());
    }
  }
}

}  // namespace
}  // namespace tern::dkim
