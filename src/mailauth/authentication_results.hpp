// The Authentication-Results header field (RFC 8601) that tern adds to mail
// arriving on port 25, and the authserv-id of the ones already there (a
// field claiming to be tern's own is forged: RFC 8601 5 says remove it).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "mailauth/dkim_verify.hpp"
#include "mailauth/dmarc.hpp"
#include "mailauth/spf.hpp"

namespace tern::mailauth {

// "Authentication-Results: AUTHSERV-ID;\r\n\tdkim=pass header.d=... ;..."
// with one dkim result per signature, or dkim=none without any, then the
// spf and dmarc results when given; folded, ending in CRLF. Values from the
// message are quoted where they are not plain tokens, and comments keep
// only printable characters.
std::string authentication_results(std::string_view authserv_id, std::span<const dkim::Verdict> dkim,
                                   const spf::Verdict* spf = nullptr, const dmarc::Verdict* dmarc = nullptr);

// The authserv-id of an Authentication-Results field's value (what comes
// before the first ";", comments and version removed), lower case.
std::string authserv_id_of(std::string_view field_value);

}  // namespace tern::mailauth
