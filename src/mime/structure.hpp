// The MIME tree of a message (RFC 2045, RFC 2046 5.1 multipart, 5.2.1
// message/rfc822) as a flat table of parts with exact byte offsets, computed
// in one forward pass over the lines: linear in the message size times the
// nesting depth, which is bounded.
//
// Tolerance follows Dovecot (the reference answers in tests/data/mime-corpus):
// a line that starts with "--boundary" of any enclosing multipart ends the
// part even when more text follows (corpus 036); a missing close delimiter
// lets the last part run to the end (037); a multipart without a boundary
// parameter has one empty part (062); a part whose header has no empty line
// is all header (028, 036); the CRLF before a delimiter belongs to the
// delimiter (RFC 2046 5.1.1).
//
// Offsets are into the canonical form (see canonicalize_line_endings).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tern::mime {

enum class PartKind : std::uint8_t {
  leaf = 0,
  multipart = 1,
  message = 2,  // message/rfc822: one child, the embedded message
};

// The transfer encoding that BINARY[] undoes (RFC 3516). Dovecot takes the
// last Content-Transfer-Encoding field for this (corpus 039).
enum class TransferEncoding : std::uint8_t {
  identity = 0,  // 7bit, 8bit, binary or none
  base64 = 1,
  quoted_printable = 2,
  unknown = 3,  // BINARY answers NO [UNKNOWN-CTE]
};

inline constexpr std::uint32_t no_parent = 0xffffffffu;

struct PartInfo {
  std::uint32_t parent = no_parent;  // index into MessageStructure::parts
  PartKind kind = PartKind::leaf;
  TransferEncoding encoding = TransferEncoding::identity;
  std::uint64_t header_offset = 0;
  std::uint64_t header_size = 0;  // including the empty line, when there is one
  std::uint64_t body_offset = 0;
  std::uint64_t body_size = 0;

  bool operator==(const PartInfo&) const = default;
};

struct Limits {
  std::size_t max_depth = 100;   // nesting of multipart and message/rfc822
  std::size_t max_parts = 10000;
};

// Parts in pre-order: parts[0] is the message itself; a child follows its
// parent, siblings are in order.
std::vector<PartInfo> parse_parts(std::string_view message, const Limits& limits = {});

// Indexes of the children of part `index`, in order.
std::vector<std::uint32_t> children_of(const std::vector<PartInfo>& parts, std::uint32_t index);

// Number of LF octets in [offset, offset+size) (body-fld-lines).
std::uint64_t count_lines(std::string_view message, std::uint64_t offset, std::uint64_t size);

}  // namespace tern::mime
