// prepare_message: canonical bytes, meta and structure of a message to store.
#include "store/prepare_message.hpp"

#include "mime/header.hpp"
#include "mime/message.hpp"
#include "mime/text.hpp"

namespace tern::store {

std::string analyze_for_store(std::string_view canonical) {
  return mime::serialize(mime::analyze_message(canonical));
}

NewMessage prepare_message(std::string_view raw, UnixTime internal_date) {
  NewMessage out;
  out.data = mime::canonicalize_line_endings(raw);
  out.internal_date = internal_date;
  out.meta = mime::describe_message(out.data);
  out.structure = analyze_for_store(out.data);
  return out;
}

Result<NewMessage> prepare_spooled(std::string_view prefix, const Spool& spool, UnixTime internal_date,
                                   std::uint64_t skip) {
  // MappedText maps a spool file and copies a spool still in memory.
  auto mapped = MappedText::map(prefix, spool, skip);
  if (!mapped) return std::move(mapped).error();
  NewMessage out;
  out.internal_date = internal_date;
  out.mapped = std::move(*mapped);
  const std::string_view bytes = out.bytes();
  out.meta = mime::describe_message(bytes);
  out.structure = analyze_for_store(bytes);
  out.mapped->release(0, bytes.size());
  return out;
}

}  // namespace tern::store
