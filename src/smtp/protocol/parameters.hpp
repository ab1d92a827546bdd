// Parsing of the MAIL and RCPT arguments: the path in angle brackets and the
// ESMTP parameters after it.
//   RFC 5321 4.1.1.2-3 (MAIL, RCPT), 4.1.2 (Path, Mail-parameters),
//   4.5.1 (bare "<postmaster>"), RFC 1870 (SIZE), RFC 6152 (BODY=8BITMIME),
//   RFC 6531 3.4 (SMTPUTF8), RFC 3461 4.1-4.4 (NOTIFY, ORCPT, RET, ENVID,
//   xtext), RFC 4954 5 (AUTH=, accepted and ignored).
// Security: source routes in RCPT are refused rather than ignored (they only
// ever serve to trick a relay); non-ASCII paths need SMTPUTF8; every value is
// checked and bounded before it reaches the envelope.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "smtp/protocol/reply.hpp"
#include "smtp/protocol/types.hpp"

namespace tern::smtp {

struct MailArguments {
  std::optional<address::Address> sender;  // nullopt for "<>"
  std::optional<std::uint64_t> size;       // SIZE=, saturated at the maximum uint64
  BodyType body = BodyType::unspecified;
  bool smtputf8 = false;
  Ret ret = Ret::unspecified;
  std::string envid;                       // decoded
};

// `arguments` is everything after "MAIL " ("FROM:<a@b> SIZE=10").
std::variant<MailArguments, Refusal> parse_mail_arguments(std::string_view arguments);

// `arguments` is everything after "RCPT " ("TO:<a@b> NOTIFY=NEVER").
// `smtputf8` tells whether the transaction's MAIL carried SMTPUTF8.
std::variant<Recipient, Refusal> parse_rcpt_arguments(std::string_view arguments, bool smtputf8,
                                                      std::string_view postmaster_domain);

// RFC 3461 4: xtext, "+XX" for octets outside 33..126 and for '+' and '='.
std::optional<std::string> xtext_decode(std::string_view text);
std::string xtext_encode(std::string_view text);

}  // namespace tern::smtp
