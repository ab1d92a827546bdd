// Fuzz target: IMAP SEARCH and FETCH rendering on arbitrary input. The
// first line is a command (parsed as a client would send it), the rest a
// message (canonicalized and analyzed as at delivery). A SEARCH key is
// evaluated against the message; a FETCH renders its items. Checks: no
// crash, no unbounded work, a FETCH response is one well-framed line.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "imap/fetch_response.hpp"
#include "imap/protocol/command.hpp"
#include "imap/search_eval.hpp"
#include "mime/message.hpp"
#include "mime/text.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto eol = input.find('\n');
  if (eol == std::string_view::npos) return 0;
  std::string line(input.substr(0, eol));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  line += "\r\n";
  const std::string message = tern::mime::canonicalize_line_endings(input.substr(eol + 1));
  auto parsed = tern::imap::parse_command(line);
  auto* command = std::get_if<tern::imap::Command>(&parsed);
  if (!command) return 0;
  const tern::mime::MessageStructure structure = tern::mime::analyze_message(message);
  std::vector<std::string> keywords{"$Label1", "Junk"};
  if (auto* search = std::get_if<tern::imap::command::Search>(&command->body)) {
    tern::imap::SearchScope scope;
    scope.max_seq = 3;
    scope.max_uid = 7;
    scope.saved_uids = {2, 7};
    tern::imap::SearchCandidate candidate;
    candidate.seq = 3;
    candidate.uid = 7;
    candidate.modseq = 12;
    candidate.flags = 5;
    candidate.keywords = &keywords;
    candidate.size = message.size();
    candidate.internal_date = 1700000000;
    candidate.data = message;
    candidate.structure = &structure;
    (void)tern::imap::needs_message(search->criteria);
    (void)tern::imap::matches(search->criteria, scope, candidate);
  } else if (auto* fetch = std::get_if<tern::imap::command::Fetch>(&command->body)) {
    tern::imap::ViewEntry entry;
    entry.uid = 7;
    entry.modseq = 12;
    entry.flags = 5;
    entry.keywords = keywords;
    entry.size = message.size();
    entry.internal_date = 1700000000;
    tern::imap::FetchInput in;
    in.seq = 3;
    in.entry = &entry;
    in.data = message;
    in.structure = &structure;
    in.add_uid = true;
    auto out = tern::imap::render_fetch(fetch->items, in);
    if (!out.response.starts_with("* 3 FETCH (") || !out.response.ends_with(")\r\n")) std::abort();
  }
  return 0;
}
