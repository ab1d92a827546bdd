// IMAP renderings of a parsed message (RFC 9051 7.5.2; RFC 3501 7.4.2):
// string/nstring quoting, ENVELOPE, BODY and BODYSTRUCTURE. Byte-exact to
// Dovecot 2.3's answers where RFC 9051 leaves a choice (see docs/mime.md):
// quoted strings unless the value has CR, LF, NUL or 8-bit octets or more
// than four characters to escape, then a literal; subjects and display names
// "for humans" (folding removed, runs of white space collapsed, literal when
// anything had to change or needs escaping).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/structure.hpp"

namespace tern::mime {

// string / nstring (RFC 9051 4.3, 4.5).
void append_nstring(std::string& out, std::optional<std::string_view> value);
void append_literal(std::string& out, std::string_view value);
void append_string_for_humans(std::string& out, std::string_view raw);

// ENVELOPE of the header section `header`.
std::string render_envelope(std::string_view header);

// BODY (extended = false) or BODYSTRUCTURE (extended = true) of part `index`.
std::string render_body_structure(std::string_view message, const std::vector<PartInfo>& parts,
                                  std::uint32_t index, bool extended);

}  // namespace tern::mime
