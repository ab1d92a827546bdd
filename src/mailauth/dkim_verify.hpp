// DKIM verification (RFC 6376 6, RFC 8463, RFC 8301): the DKIM-Signature
// tag list and the key record parsed with every check the RFCs ask for, and
// one signature checked against its message and its key. Sans-I/O: the
// caller looks the key up in DNS (key_name) and passes what it found.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "mailauth/dkim.hpp"

namespace tern::dkim {

// RFC 8601 2.7.1.
enum class Status { pass, fail, neutral, policy, temperror, permerror };
const char* status_name(Status status);

struct Signature {
  KeyType type = KeyType::rsa;  // a=
  Canonicalization header_c = Canonicalization::simple;
  Canonicalization body_c = Canonicalization::simple;
  std::string domain;                // d=, lower case
  std::string selector;              // s=
  std::string identity;              // i=, "@" d= when absent
  std::vector<std::string> headers;  // h=, lower case
  std::string body_hash;             // bh=, decoded
  std::string signature;             // b=, decoded
  std::string b_text;                // b= as written, whitespace removed (header.b of RFC 6008)
  std::optional<std::uint64_t> length;     // l=
  std::optional<std::int64_t> timestamp;   // t=
  std::optional<std::int64_t> expiration;  // x=
};

// The tags of a DKIM-Signature field. Errc::invalid with the reason for a
// signature that can never verify (a permerror): a missing or repeated
// tag, v= other than 1, an unknown algorithm (rsa-sha1 included: RFC
// 8301), h= without From, an i= outside d=, bad base64, x= before t=.
Result<Signature> parse_signature(const RawField& field);

// The DNS name of the key: SELECTOR._domainkey.DOMAIN.
std::string key_name(const Signature& signature);

struct PublicKey {
  KeyType type = KeyType::rsa;
  std::shared_ptr<EVP_PKEY> key;
  unsigned bits = 0;
  bool testing = false;  // t=y: the domain is testing DKIM
  bool strict = false;   // t=s: i= must be d= exactly
};

// A key record (the strings of one TXT record, joined). Errc::invalid for
// a malformed record or one whose algorithm is not the signature's kind;
// Errc::not_found for a revoked key (empty p=).
Result<PublicKey> parse_key_record(std::string_view record);

// What looking the key up in DNS gave.
struct KeyLookup {
  enum class Outcome { found, not_found, temporary_failure } outcome = Outcome::not_found;
  std::vector<std::string> records;  // the TXT records (each one's strings joined)
};

// The result of one signature, with what Authentication-Results reports.
struct Verdict {
  Status status = Status::permerror;
  std::string reason;  // why it did not pass (the A-R comment); "" on pass
  std::string domain, selector, identity, algorithm;
  std::string b_prefix;  // the first 8 characters of b= (RFC 6008)
  unsigned bits = 0;
};

// Checks one DKIM-Signature `field` of a message whose header section is
// `header` and body `body`, with the key lookup's outcome, at time `now`:
//   permerror  the signature or the key record is malformed; no key record;
//              a revoked key; the key's algorithm is not the signature's
//   temperror  the key lookup failed for now
//   fail       the body hash or the signature does not match; the signature
//              expired; an RSA key shorter than 1024 bits (RFC 8301)
//   policy     l= (a signature covering part of the body: anyone may add
//              content after it, so tern does not trust it)
//   pass       everything matches
Verdict verify(const RawField& field, std::string_view header, std::string_view body, const KeyLookup& key,
               std::int64_t now);

// The body hashes of one message, each computed when a signature first
// needs it: the signatures of a message mostly share one canonicalization.
struct BodyHashes {
  std::optional<Digest> simple, relaxed;
};

// verify() for a signature the caller parsed already (to look up its key),
// sharing the body hashes of the message's other signatures.
Verdict verify(const RawField& field, const Result<Signature>& signature, std::string_view header,
               std::string_view body, const KeyLookup& key, std::int64_t now, BodyHashes& hashes);

// The DKIM-Signature fields of a header section (at most `limit`, the
// first ones: each costs a DNS lookup).
std::vector<RawField> signature_fields(std::string_view header, std::size_t limit = 8);

// The header data a signature covers (RFC 6376 3.7): the fields named by
// h=, chosen from the bottom up, then the signature field itself with its
// b= value removed and without its final line break.
std::string signed_header_data(const Signature& signature, const RawField& field, std::string_view header);

}  // namespace tern::dkim
