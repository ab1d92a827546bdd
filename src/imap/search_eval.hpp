// SEARCH evaluation (RFC 9051 6.4.4): whether one message matches a parsed
// search key. Sans-I/O: the session gives each candidate's entry data and,
// only when the key needs them (needs_message()), the message bytes and its
// structure; nothing here touches the store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imap/protocol/command.hpp"
#include "mime/message.hpp"

namespace tern::imap {

// What the session knows of the mailbox while searching.
struct SearchScope {
  std::uint32_t max_seq = 0;   // "*" in a sequence set
  std::uint32_t max_uid = 0;   // "*" in a UID set
  // "$" (RFC 5182): the UIDs the last SEARCH ... RETURN (SAVE) saved, ascending; empty when none.
  std::vector<std::uint32_t> saved_uids;
  // Minutes east of UTC used to turn INTERNALDATE into a date for
  // BEFORE/ON/SINCE (RFC 9051 6.4.4: "disregarding time and timezone").
  int timezone_minutes = 0;
};

// One candidate message.
struct SearchCandidate {
  std::uint32_t seq = 0;
  std::uint32_t uid = 0;
  std::uint64_t modseq = 0;
  std::uint32_t flags = 0;  // store::flag bits
  const std::vector<std::string>* keywords = nullptr;
  bool recent = false;
  std::uint64_t size = 0;
  std::int64_t internal_date = 0;  // Unix seconds, UTC
  // Set only when needs_message(key): canonical bytes and their structure.
  // When !needs_body(key), the header section alone may stand in for the
  // bytes, without a structure.
  std::string_view data;
  const mime::MessageStructure* structure = nullptr;
};

// Whether evaluating `key` may need the message bytes (header fields, SENT*
// dates, BODY, TEXT).
bool needs_message(const SearchKey& key);

// Whether evaluating `key` may need more than the header section (BODY,
// TEXT).
bool needs_body(const SearchKey& key);

// Whether `candidate` matches `key`. Caches nothing between calls.
bool matches(const SearchKey& key, const SearchScope& scope, const SearchCandidate& candidate);

}  // namespace tern::imap
