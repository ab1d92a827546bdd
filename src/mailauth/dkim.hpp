// DKIM (RFC 6376) with the Ed25519 algorithm of RFC 8463: canonicalization,
// the body hash, the header selection and the DKIM-Signature field that
// tern puts on the mail it sends. Sans-I/O: the caller brings the message
// and the keys (mailauth/dkim_key.hpp); nothing here touches DNS or disk.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "mailauth/dkim_key.hpp"

namespace tern::dkim {

enum class Canonicalization { simple, relaxed };

// One header field as written: `name` (without the colon) and `text`, the
// whole field with its continuation lines and its final CRLF.
struct RawField {
  std::string_view name;
  std::string_view text;
};

// The fields of a header section (which may or may not include the empty
// line that ends it), in order. Lines that are no field (no colon, or a
// continuation line before any field) are skipped.
std::vector<RawField> split_header(std::string_view header);

// RFC 6376 3.4.1 and 3.4.2: one field as it enters the header hash,
// including its CRLF. relaxed: name in lower case, value unfolded, runs of
// WSP made one SP, WSP around the colon and at the end removed.
std::string canonical_header(const RawField& field, Canonicalization c);

using Digest = std::array<std::uint8_t, 32>;

// The body hash (RFC 6376 3.4.3, 3.4.4, 3.7) over a body fed in pieces of
// any size: SHA-256 of the canonical body, with the empty lines at its end
// removed. The state is a few counters, never the body: a message of any
// size costs the same memory. `limit` stops hashing after that many
// canonical octets (the l= tag of a signature being verified).
class BodyHasher {
 public:
  explicit BodyHasher(Canonicalization c, std::uint64_t limit = UINT64_MAX);
  ~BodyHasher();
  BodyHasher(const BodyHasher&) = delete;
  BodyHasher& operator=(const BodyHasher&) = delete;

  void update(std::string_view piece);
  Digest finish();
  // Canonical octets of the whole body (also past `limit`); after finish().
  std::uint64_t canonical_length() const { return length_; }

 private:
  void emit(std::string_view octets);
  void emit_line_breaks();
  void flush();

  Canonicalization c_;
  std::uint64_t limit_;
  std::uint64_t length_ = 0;      // canonical octets so far
  std::uint64_t empty_lines_ = 0;  // line breaks held back: they may end the body
  bool in_line_ = false;          // the current line has content
  bool wsp_ = false;              // relaxed: WSP seen and not yet written
  bool cr_ = false;               // a CR waiting for its LF
  std::string buffer_;            // a few KiB of canonical octets before they are hashed
  struct State;
  State* state_;
};

Digest body_hash(std::string_view body, Canonicalization c);

// The header fields tern signs, in the order they go in h=. Every one is
// also "over-signed" (named once more than it occurs), so that nobody on
// the way can add one, or a second one, without breaking the signature.
std::span<const std::string_view> signed_field_names();

struct Signer {
  std::string domain;    // d=
  std::string selector;  // s=
  PrivateKey key;
};

// The DKIM-Signature field (folded, ending in CRLF) for a message whose
// header section is `header` (trace fields already in front) and whose body
// hash is `bh` (relaxed). relaxed/relaxed; t= is `now`.
Result<std::string> sign(std::string_view header, const Digest& bh, const Signer& signer, std::int64_t now);

// sign() for every signer, the fields in the order given (the first ends up
// on top). The body is hashed once. Any signer failing fails the lot: the
// caller decides whether mail goes out unsigned.
Result<std::string> sign_all(std::string_view header, std::string_view body, std::span<const Signer> signers,
                             std::int64_t now);

}  // namespace tern::dkim
