// Mail addresses and domain names: parsing, validation and the canonical
// form used as keys in the store.
//   RFC 5321 4.1.2 (Mailbox, Local-part, Domain), 4.5.3.1.1-2 (64/255 octets),
//   RFC 1035 / 1123 (LDH labels), RFC 5890 (A-labels "xn--"),
//   RFC 6531 (UTF-8 local parts with SMTPUTF8).
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace tern::address {

struct Address {
  std::string local;   // as written, without quotes when quoting was unnecessary
  std::string domain;  // lower case
  std::string str() const;  // local@domain, the local part quoted when it must be
};

// A domain name as the store keeps it: lower case ASCII, LDH labels of 1..63
// octets, at most 253 octets, at least two labels, no trailing dot. A-labels
// (xn--) are accepted; U-labels (non-ASCII) are refused with a message saying
// to use the A-label form. Address literals ([1.2.3.4]) are not domains.
Result<std::string> normalize_domain(std::string_view text);

struct ParseOptions {
  bool allow_utf8 = false;     // RFC 6531 UTF-8 in the local part (SMTPUTF8)
  bool allow_catch_all = false; // accept "@domain" (empty local part) for aliases
};

// Parses "local@domain" (no angle brackets, no display name, no comments).
// The local part is a Dot-string or a Quoted-string (RFC 5321 4.1.2), at most
// 64 octets; the domain goes through normalize_domain. Source routes, "%"
// hacks and the like are not rejected here (they are legal syntax); policy
// code decides about them.
Result<Address> parse(std::string_view text, const ParseOptions& options = {});

// The form used as a store key: the local part as written (local parts are
// case sensitive per RFC 5321 2.4, but tern compares them case-insensitively
// for ASCII, so the key is lower-cased ASCII) and the domain lower case.
std::string canonical(const Address& address);

}  // namespace tern::address
