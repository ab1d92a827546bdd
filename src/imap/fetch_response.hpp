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
};

struct FetchOutput {
  std::string response;    // "* 3 FETCH (...)\r\n"
  std::string error_code;  // "UNKNOWN-CTE" or "PARSE" when a BINARY item could not decode (and was left out)
};

FetchOutput render_fetch(const std::vector<FetchItem>& items, const FetchInput& input);

// "1.2.HEADER.FIELDS (FROM TO)": the section as a FETCH response names it.
std::string format_section(const mime::SectionSpec& section);

}  // namespace tern::imap
