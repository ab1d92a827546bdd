// What IMAP FETCH needs from a message, computed once at delivery: the part
// table and the ENVELOPE / BODY / BODYSTRUCTURE strings, with a compact binary
// serialization so the store can keep it beside the message bytes. FETCH then
// answers from this plus the raw bytes, without parsing again.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/structure.hpp"

namespace tern::mime {

struct MessageStructure {
  std::uint64_t size = 0;       // RFC822.SIZE: octets of the canonical message
  std::vector<PartInfo> parts;  // see structure.hpp
  std::string envelope;         // "(date subject from ...)"
  std::string body;             // BODY
  std::string bodystructure;    // BODYSTRUCTURE

  bool operator==(const MessageStructure&) const = default;
};

// `message` must be canonical (canonicalize_line_endings); the store keeps that form.
MessageStructure analyze_message(std::string_view message, const Limits& limits = {});

// Serialized form, version 1 (all integers LEB128 varints):
//   "TM" 0x01
//   size, part count, then per part:
//     parent+1 (0 = none), kind, encoding, header_offset, header_size,
//     body_offset - (header_offset + header_size), body_size
//   then envelope, body, bodystructure, each as length + bytes.
std::string serialize(const MessageStructure& structure);
// nullopt when the blob is not a valid version-1 encoding.
std::optional<MessageStructure> deserialize(std::string_view blob);

}  // namespace tern::mime
