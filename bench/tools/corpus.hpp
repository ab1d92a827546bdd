// A deterministic generator of realistic messages: plain text, replies with
// quoted text, multipart/alternative (text + HTML), forwarded messages
// (message/rfc822 inside multipart/mixed) and messages with base64
// attachments. Sizes vary; the mix averages about 5 KB, as the POP3 and IMAP
// workloads ask. Lines end in CRLF; no line starts with ".".
#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace bench {

using Rng = std::mt19937_64;

// One message from `from` to `to`; `serial` makes its Message-ID unique.
std::string make_message(Rng& rng, const std::string& from, const std::string& to, std::uint64_t serial);

// A small message as a client would APPEND it (a sent reply, 2-6 KB), with the
// given Message-ID (without angle brackets).
std::string make_append_message(Rng& rng, const std::string& from, const std::string& message_id);

// A word that occurs in some subjects (for SEARCH SUBJECT).
std::string search_word(Rng& rng);

// SMTP dot-stuffing of a CRLF message, with the terminating ".\r\n".
std::string dot_stuff(const std::string& message);

}  // namespace bench
