// FETCH section extraction (RFC 9051 6.4.5 BODY[section]<partial>, RFC 3516
// BINARY[section] and BINARY.SIZE): part numbers resolved on the part table,
// bytes cut from the canonical message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/structure.hpp"

namespace tern::mime {

struct SectionSpec {
  enum class Text : std::uint8_t { none, header, header_fields, header_fields_not, text, mime };
  std::vector<std::uint32_t> path;  // "1.2" -> {1, 2}; empty for the whole message
  Text text = Text::none;
  std::vector<std::string> fields;  // HEADER.FIELDS (...) names
};

// Parses what is between the brackets, e.g. `1.2.HEADER.FIELDS (From To)`.
// nullopt on a syntax error (MIME without a part number is one).
std::optional<SectionSpec> parse_section(std::string_view text);

// The index of the part a path names (RFC 9051 6.4.5 part numbering; a
// non-multipart message has one part, 1), or nullopt when there is none.
std::optional<std::uint32_t> resolve_part(const std::vector<PartInfo>& parts, const std::vector<std::uint32_t>& path);

// The bytes of BODY[section], nullopt when the part does not exist (Dovecot
// then sends an empty string). NUL octets are served as 0x80 (Dovecot; corpus
// 042) since BODY[] is not allowed to carry NUL (RFC 9051 4.3).
std::optional<std::string> fetch_section(std::string_view message, const std::vector<PartInfo>& parts,
                                         const SectionSpec& spec);

// <start.length> (RFC 9051 6.4.5): the substring, empty when start is past the end.
std::string_view apply_partial(std::string_view data, std::uint64_t start, std::uint64_t length);

struct BinaryResult {
  enum class Status : std::uint8_t { ok, no_such_part, parse_error, unknown_encoding } status = Status::ok;
  std::string data;
  bool needs_literal8 = false;  // send as ~{n} (RFC 3516 4.2): decoded (Dovecot) or contains NUL
};

// BINARY[path]: the part's body with its Content-Transfer-Encoding undone.
// parse_error -> "NO [PARSE]" (Dovecot's choice for broken base64/QP),
// unknown_encoding -> "NO [UNKNOWN-CTE]" (RFC 3516 4.3, required).
BinaryResult fetch_binary(std::string_view message, const std::vector<PartInfo>& parts,
                          const std::vector<std::uint32_t>& path);

}  // namespace tern::mime
