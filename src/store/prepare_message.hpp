// prepare_message: turns the bytes a client or peer sent into what the store
// keeps, once, before the store call: the canonical form every offset refers
// to (mime::canonicalize_line_endings), the header summary
// (mime::describe_message) and the serialized MIME structure
// (mime::analyze_message) that FETCH answers from. It runs on the caller's
// thread so that the store's single writer thread never parses mail.
#pragma once

#include <string_view>

#include "core/result.hpp"
#include "core/spool.hpp"
#include "store/types.hpp"

namespace tern::store {

NewMessage prepare_message(std::string_view raw, UnixTime internal_date);

// A message whose text is in `spool` (canonical already: SMTP refuses bare
// line endings, IMAP's spool canonicalizes), behind `prefix` (the trace
// fields). A spool file is mapped, not copied (core/spool.hpp MappedText):
// the NewMessage holds the mapping, and the pages read for the meta and
// the structure are released again.
Result<NewMessage> prepare_spooled(std::string_view prefix, const Spool& spool, UnixTime internal_date,
                                   std::uint64_t skip = 0);

// The serialized structure of bytes already in canonical form.
std::string analyze_for_store(std::string_view canonical);

}  // namespace tern::store
