// Byte-level helpers shared by the MIME layer: line-ending canonicalization,
// raw header-field splitting (RFC 5322 2.2) and unfolding (2.2.3).
// Everything here works on bytes; nothing allocates per byte.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tern::mime {

// The bytes a message is stored and served as: every bare LF becomes CRLF and
// CR CR LF becomes CR LF (what Dovecot serves; corpus 040, 041). Bare CRs stay.
// All offsets of the MIME layer are offsets into this form.
std::string canonicalize_line_endings(std::string_view raw);

// One header field as written: `value` is everything after the colon up to
// (not including) the field's final line ending, folds included.
struct RawField {
  std::string_view name;   // trimmed of trailing white space
  std::string_view value;  // raw, with folding CRLFs
  std::size_t offset = 0;  // of the first byte of the field line in the header
  std::size_t size = 0;    // the field's lines including the final line ending
};

// Splits a header section (up to its empty line, which is not a field).
// A line without a colon is a field whose name is the whole line.
std::vector<RawField> split_fields(std::string_view header);

// RFC 5322 2.2.3 unfolding as Dovecot does it: CR and LF are deleted, the
// white space that follows them stays; leading white space is trimmed.
std::string unfold(std::string_view raw_value);

// The first / last field named `name` (case-insensitive), or nullptr.
const RawField* first_field(const std::vector<RawField>& fields, std::string_view name);
const RawField* last_field(const std::vector<RawField>& fields, std::string_view name);

}  // namespace tern::mime
