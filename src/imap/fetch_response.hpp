// One FETCH response (RFC 9051 7.5.2) for one message, sans-I/O: the session
// gives the entry, and the message bytes and structure when the items need
// them; ENVELOPE, BODY and BODYSTRUCTURE come from the structure computed at
// delivery, sections are cut from the stored bytes (no parsing here).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "imap/mailbox_view.hpp"
#include "imap/protocol/command.hpp"
#include "mime/message.hpp"

namespace tern::imap {

struct FetchNeeds {
  bool message = false;    // the structure (ENVELOPE, BODY, BODYSTRUCTURE, sections)
  bool bytes = false;      // the message bytes too (sections, BINARY, RFC822*)
  bool sets_seen = false;  // BODY[...] / BINARY[...] / RFC822 / RFC822.TEXT without PEEK
  bool modseq = false;     // MODSEQ asked for (RFC 7162 3.1.4: enables CONDSTORE)
};
FetchNeeds fetch_needs(const std::vector<FetchItem>& items);

struct FetchInput {
  std::uint32_t seq = 0;
  const ViewEntry* entry = nullptr;
  std::string_view data;                          // canonical bytes, when FetchNeeds::message
  const mime::MessageStructure* structure = nullptr;
  bool add_uid = false;     // UID FETCH: UID is always part of the response
  bool add_flags = false;   // \Seen was just set implicitly (RFC 9051 6.4.5)
  bool add_modseq = false;  // CONDSTORE enabled: MODSEQ in every FETCH response
  bool utf8 = false;        // UTF8=ACCEPT enabled
  bool recent = false;      // IMAP4rev1: \Recent among the FLAGS of a recent entry
  // A large message sent without holding it: `data` has only its first
  // octets (at least the top-level header), and each literal whose bytes lie
  // beyond comes out as a Splice for the caller to fill from the store.
  bool streamed = false;
};

// Octets of the message that belong at `at` in the response (after the
// literal's "{n}\r\n"): [offset, offset + length) of the stored message,
// with NUL octets sent as 0x80 when `replace_nul` (as fetch_section does).
struct Splice {
  std::size_t at = 0;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  bool replace_nul = false;
};

struct FetchOutput {
  std::string response;    // "* 3 FETCH (...)\r\n", without the spliced octets
  std::string error_code;  // "UNKNOWN-CTE" or "PARSE" when a BINARY item could not decode (and was left out)
  std::vector<Splice> splices;  // in response order (FetchInput::streamed only)
};

// Whether every item can be answered for a streamed message: all but BINARY
// (decoded whole) and HEADER.FIELDS of an embedded message (its header is
// not at the top) are byte ranges of the stored message.
bool streamable(const std::vector<FetchItem>& items);

FetchOutput render_fetch(const std::vector<FetchItem>& items, const FetchInput& input);

// "1.2.HEADER.FIELDS (FROM TO)": the section as a FETCH response names it.
std::string format_section(const mime::SectionSpec& section);

}  // namespace tern::imap
