// The sans-I/O half of the outbound SMTP client: reply parsing (RFC 5321
// 4.2: "code-text" continuation lines, "code SP text" last line; RFC 2034
// enhanced codes), EHLO keywords (RFC 5321 4.1.1.1, RFC 2920 PIPELINING,
// RFC 1870 SIZE, RFC 6152 8BITMIME, RFC 6531 SMTPUTF8, RFC 3461 DSN,
// RFC 3207 STARTTLS, RFC 4954 AUTH) and the commands and message text the
// client sends (RFC 5321 4.5.2 dot-stuffing; RFC 3461 4 DSN parameters,
// xtext-encoded). No sockets here: the coroutine in smtp_client.cpp does the I/O.
// Security: a peer's reply is bounded (line length, line count) before it is
// kept; commands are built only from values the store validated at receipt.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "store/types.hpp"

namespace tern::queue {

struct Reply {
  unsigned code = 0;
  std::vector<std::string> lines;  // the text of each line, without code and separator

  bool positive() const { return code >= 200 && code < 400; }
  bool transient() const { return code >= 400 && code < 500; }
  bool permanent() const { return code >= 500; }
  // The RFC 3463 status of the first line ("5.1.1"), or one made from the code ("5.0.0").
  std::string status() const;
  // "550 5.1.1 No such user" (lines joined with " / "), printable, for logs and bounces.
  std::string summary() const;
};

// Collects bytes from the server and yields whole replies.
class ReplyReader {
 public:
  static constexpr std::size_t max_line = 4096;
  static constexpr std::size_t max_lines = 128;

  void feed(std::string_view bytes) { buffer_.append(bytes); }
  // The next whole reply; nullopt while more bytes are needed; an error when
  // the server sent something that is not a reply.
  Result<std::optional<Reply>> next();
  bool has_pending_bytes() const { return !buffer_.empty(); }

 private:
  std::string buffer_;
  Reply partial_;
};

struct Capabilities {
  bool esmtp = false;  // answered EHLO
  bool starttls = false;
  bool pipelining = false;
  bool eight_bit_mime = false;
  bool smtputf8 = false;
  bool dsn = false;
  bool auth_plain = false;
  std::optional<std::uint64_t> size;  // SIZE n; 0 means no fixed limit
};

Capabilities parse_ehlo(const Reply& reply);

// "MAIL FROM:<sender> ..." with the parameters the server supports, CRLF-terminated.
std::string mail_command(const store::OutboundSpec& spec, std::uint64_t message_size, const Capabilities& caps);
// "RCPT TO:<address> [NOTIFY=...] [ORCPT=...]" CRLF.
std::string rcpt_command(const store::QueueRecipient& recipient, const Capabilities& caps);
// "AUTH PLAIN <base64(\0user\0password)>" CRLF (RFC 4616).
std::string auth_plain_command(std::string_view user, std::string_view password);

// The message as sent after DATA: Return-Path: fields removed from the
// header section (RFC 5321 4.4: only the final delivery adds one), CRLF
// line endings kept, every line starting with "." doubled (4.5.2), and the
// terminating ".\r\n".
std::string data_text(std::string_view stored_message);

// data_text's dot-stuffing a piece at a time, for a message sent without
// holding it: feed() the text (Return-Path: already removed) in any pieces,
// then finish(); the octets are those data_text gives for the whole.
class DataStuffer {
 public:
  void feed(std::string_view text, std::string& out);
  // A missing final CRLF, then the terminating ".\r\n".
  void finish(std::string& out);

 private:
  bool line_start_ = true;
  bool any_ = false;      // some text was fed
  char last_ = 0;         // the last two octets fed
  char before_last_ = 0;
};

// The message with every Return-Path: field of its header section removed.
std::string strip_return_path(std::string_view message);

}  // namespace tern::queue
