// Writing IMAP responses (RFC 9051 7): status responses with response codes,
// strings as atoms, quoted strings or literals, flag lists, LIST/LSUB lines,
// ESEARCH (RFC 4731) and compact sequence sets.
// Security: every string that may carry client or store bytes goes through
// quote_string() (a literal when it holds CR, LF, NUL or 8-bit octets the
// client did not enable), and free text through printable_text(), so no
// response can be split into two.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imap/protocol/command.hpp"

namespace tern::imap {

enum class Status : std::uint8_t { ok, no, bad, bye, preauth };

// Strings longer than this are sent as literals even when they could be quoted.
inline constexpr std::size_t max_quoted_octets = 1024;

// A string (RFC 9051 4.3): quoted when short and safe, else a literal; with
// utf8 (UTF8=ACCEPT enabled, RFC 6855 3) valid UTF-8 may be quoted. NUL
// forces literal8 "~{n}" (RFC 3516 4.2), which only BINARY may send.
std::string quote_string(std::string_view text, bool utf8 = false);
// An astring: the atom itself when possible (never "NIL", never empty).
std::string format_astring(std::string_view text, bool utf8 = false);
// An nstring: NIL for nullopt.
std::string format_nstring(const std::optional<std::string>& text, bool utf8 = false);

// Free text of a response: control characters become '?' so it stays one line.
std::string printable_text(std::string_view text);

// "tag OK [CODE] text\r\n"; tag "*" for untagged, code "" for none. A tag
// that could not be read is answered with "*" (RFC 9051 7.1.5).
std::string status_response(std::string_view tag, Status status, std::string_view code, std::string_view text);
// "+ text\r\n" (RFC 9051 7.5).
std::string continuation(std::string_view text);

// "(\Seen $Junk)".
std::string format_flag_list(const std::vector<std::string>& flags);

// "* LIST (\HasNoChildren) "/" name\r\n"; `name` in UTF-8, sent as modified
// UTF-7 unless utf8 (RFC 9051 7.3.1, RFC 6855 3). No delimiter: NIL.
// `extended` is appended inside the line as given (e.g. CHILDINFO data).
std::string list_response(std::string_view verb, const std::vector<std::string>& attributes,
                          std::optional<char> delimiter, std::string_view name, bool utf8,
                          std::string_view extended = {});

// "MESSAGES", "HIGHESTMODSEQ": the name a STATUS response uses for an item.
std::string_view status_item_name(StatusItem item);

// "01-Jul-2024 12:00:00 +0000" with its quotes (RFC 9051 9 "date-time", INTERNALDATE).
std::string format_date_time(const DateTime& date_time);

struct EsearchResult {
  std::optional<std::uint32_t> min;
  std::optional<std::uint32_t> max;
  std::optional<std::uint32_t> count;
  std::optional<std::vector<std::uint32_t>> all;  // sent compacted; omitted when empty (RFC 4731 3.1)
};
// "* ESEARCH (TAG "a1") UID MIN 2 COUNT 3\r\n" (RFC 9051 7.3.4).
std::string esearch_response(std::string_view tag, bool uid, const EsearchResult& result);

}  // namespace tern::imap
