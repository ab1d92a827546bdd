// MIME header field values: Content-Type and Content-Disposition with their
// parameters (RFC 2045 5.1, RFC 2183), RFC 2231 continuations, and
// Content-Language lists (RFC 3282). Comments and folding are skipped; case
// is kept as written (IMAP echoes it).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tern::mime {

using Parameters = std::vector<std::pair<std::string, std::string>>;

struct ContentType {
  std::string type;     // as written, e.g. "TEXT"
  std::string subtype;  // as written
  Parameters params;    // in order; RFC 2231 sections joined (see join_rfc2231)
};

// nullopt when the value has no "type/subtype".
std::optional<ContentType> parse_content_type(std::string_view value);

struct Disposition {
  std::string type;
  Parameters params;
};
std::optional<Disposition> parse_disposition(std::string_view value);

// The first token (Content-Transfer-Encoding), empty when there is none.
std::string parse_token_value(std::string_view value);

// Comma-separated tokens (Content-Language).
std::vector<std::string> parse_token_list(std::string_view value);

// RFC 2231 3-4: "name*0", "name*1*"... are joined into one parameter named
// "name" (or "name*" when any section is extended); the value stays encoded
// (charset'language'%XX), as Dovecot sends it. Starred parameters follow the
// plain ones.
Parameters join_rfc2231(const Parameters& raw);

// Finds a parameter by name (case-insensitive).
const std::string* find_param(const Parameters& params, std::string_view name);

}  // namespace tern::mime
