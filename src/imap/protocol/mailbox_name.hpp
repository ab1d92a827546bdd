// Mailbox names: modified UTF-7 (RFC 3501 5.1.3, kept by RFC 9051 for
// clients that did not ENABLE UTF8=ACCEPT) and UTF-8 names (RFC 6855 3,
// RFC 9051 5.1). Names are kept in UTF-8 inside tern; these convert at the
// protocol edge.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tern::imap {

// UTF-8 -> modified UTF-7: "Entwürfe" -> "Entw&APw-rfe", "&" -> "&-".
// nullopt when the input is not valid UTF-8.
std::optional<std::string> encode_modified_utf7(std::string_view utf8);

// Modified UTF-7 -> UTF-8. Refuses what RFC 3501 5.1.3 forbids or a
// round trip would not reproduce: 8-bit octets, an unterminated or empty
// "&...-" run other than "&-", printable ASCII encoded in base64, bits left
// over, a broken UTF-16 surrogate pair, two adjacent encoded runs.
std::optional<std::string> decode_modified_utf7(std::string_view name);

// Whether `text` is well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF).
bool is_valid_utf8(std::string_view text);

// A mailbox name as the client sent it, in UTF-8: "INBOX" in any case
// becomes "INBOX" (RFC 9051 5.1); with UTF8=ACCEPT enabled the name is taken
// as UTF-8 (RFC 6855 3), otherwise decoded from modified UTF-7.
std::optional<std::string> decode_mailbox_name(std::string_view raw, bool utf8_enabled);

// A UTF-8 name as it is sent to the client.
std::string encode_mailbox_name(std::string_view utf8, bool utf8_enabled);

}  // namespace tern::imap
