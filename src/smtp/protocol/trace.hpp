// Trace and submission header fields the session adds on delivery; pure
// functions of the envelope, the host name, an id and the time.
//   RFC 5321 4.4 (Received: "from ... by ... with ... id ... for ...; date",
//   Return-Path:), RFC 3848 (ESMTPS / ESMTPA / ESMTPSA), RFC 6531 3.7.3
//   (UTF8SMTP...), RFC 5322 3.3 (date-time), 3.6.4 (Message-ID),
//   RFC 6409 8.2-8.3 (a submission server may add Date: and Message-ID:).
// Security: every value that came from the client (HELO name, user name) is
// reduced to characters that cannot end a comment, a field or a line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "smtp/protocol/types.hpp"

namespace tern::smtp::trace {

// "Tue, 14 Mar 2023 10:00:00 +0000" for seconds since the epoch, in UTC.
std::string format_date(std::int64_t unix_time);

// "SMTP", "ESMTP", "ESMTPS", "ESMTPA", "ESMTPSA" or the UTF8SMTP forms.
std::string protocol_name(const Envelope& envelope);

// The whole "Received:" field, folded, ending in CRLF. `id` names the
// transaction in the logs; "for <rcpt>" only when there is one recipient, so
// that a message does not reveal its other recipients.
std::string received_field(const Envelope& envelope, std::string_view hostname, std::string_view id,
                           std::int64_t unix_time);

// "Return-Path: <sender>" CRLF, "<>" for the null sender (RFC 5321 4.4),
// added at final delivery.
std::string return_path_field(const Envelope& envelope);

// Whether the header section of `message` has a field named `name`
// (case-insensitive); only the header section is looked at.
bool has_field(std::string_view message, std::string_view name);

// The Date: and Message-ID: fields a submitted message lacks (possibly
// none), to be put in front of it. `unique` must be unique per message.
std::string missing_submission_fields(std::string_view message, std::string_view hostname,
                                      std::string_view unique, std::int64_t unix_time);

}  // namespace tern::smtp::trace
