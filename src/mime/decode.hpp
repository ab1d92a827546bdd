// Content-transfer decoding (RFC 2045 6.7 quoted-printable, 6.8 base64),
// RFC 2047 encoded words, charset conversion to UTF-8 (iconv), and the
// decoded text of a message for IMAP SEARCH BODY/TEXT.
#pragma once

#include <string>
#include <string_view>

#include "mime/structure.hpp"

namespace tern::mime {

struct Decoded {
  std::string data;
  bool valid = true;  // false: the input had octets the encoding does not allow
};

// Both skip what they cannot decode (RFC 2045 6.8 permits ignoring bad
// characters) and report it in `valid`; BINARY[] turns !valid into NO [PARSE]
// as Dovecot does (corpus 039, 063, 064).
Decoded decode_base64(std::string_view in);
Decoded decode_quoted_printable(std::string_view in);

// Converts `in` from `charset` to UTF-8. Unknown charsets and invalid octets
// degrade: bytes that are valid UTF-8 are kept, others become U+FFFD.
std::string to_utf8(std::string_view in, std::string_view charset);

// RFC 2047: decodes the encoded words of an unstructured header value (already
// unfolded) to UTF-8; white space between adjacent encoded words is dropped;
// malformed words are left as written.
std::string decode_header_value(std::string_view value);

// The searchable text of a message (IMAP SEARCH TEXT/BODY): every text/* and
// message/* leaf body, transfer-decoded and converted to UTF-8, joined by
// "\n". With `include_headers`, each part's header (RFC 2047-decoded) too.
std::string message_text(std::string_view message, const std::vector<PartInfo>& parts, bool include_headers);

}  // namespace tern::mime
