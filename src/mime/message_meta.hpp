// The summary of a message's header section that the store keeps beside
// each message (mime::describe_message computes it).
#pragma once

#include <cstdint>
#include <string>

#include "core/unix_time.hpp"

namespace tern::mime {

// Header fields the protocols need without reparsing the message; computed
// once at delivery by mime::describe_message. Values are unfolded, raw
// (RFC 2047 words left encoded), empty when the field is absent.
struct MessageMeta {
  std::uint64_t size = 0;          // octets of the whole message
  std::uint64_t header_size = 0;   // octets of the header section incl. the empty line
  UnixTime date = 0;               // the Date: field, 0 when absent or unparsable
  std::string subject;
  std::string from;
  std::string sender;
  std::string reply_to;
  std::string to;
  std::string cc;
  std::string bcc;
  std::string in_reply_to;
  std::string message_id;
};

}  // namespace tern::mime
