// prepare_message: turns the bytes a client or peer sent into what the store
// keeps, once, before the store call: the canonical form every offset refers
// to (mime::canonicalize_line_endings), the header summary
// (mime::describe_message) and the serialized MIME structure
// (mime::analyze_message) that FETCH answers from. It runs on the caller's
// thread so that the store's single writer thread never parses mail.
#pragma once

#include <string_view>

#include "store/types.hpp"

namespace tern::store {

NewMessage prepare_message(std::string_view raw, UnixTime internal_date);

// The serialized structure of bytes already in canonical form.
std::string analyze_for_store(std::string_view canonical);

}  // namespace tern::store
