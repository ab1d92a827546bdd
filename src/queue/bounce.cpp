#include "queue/bounce.hpp"

#include <fmt/format.h>

#include "queue/client_protocol.hpp"
#include "smtp/protocol/reply.hpp"
#include "smtp/protocol/trace.hpp"

namespace tern::queue {

namespace {

// Values that came from the network are made single printable lines.
std::string field_value(std::string_view text) { return smtp::printable(text); }

std::string original_recipient(std::string_view orcpt) {
  auto semicolon = orcpt.find(';');
  if (semicolon == std::string_view::npos) return field_value(orcpt);
  return field_value(fmt::format("{}; {}", orcpt.substr(0, semicolon), orcpt.substr(semicolon + 1)));
}

}  // namespace

std::string_view header_section(std::string_view message) {
  if (message.starts_with("\r\n")) return message.substr(0, 2);
  auto end = message.find("\r\n\r\n");
  if (end == std::string_view::npos) return message;
  return message.substr(0, end + 4);
}

std::string build_notice(const Notice& notice, std::string_view original_message, bool original_complete) {
  const std::string boundary = fmt::format("=_tern_{}", notice.unique);
  std::string out;
  out += fmt::format("From: Mail Delivery System <MAILER-DAEMON@{}>\r\n", notice.hostname);
  out += fmt::format("To: <{}>\r\n", notice.to);
  out += notice.delayed ? "Subject: Delayed Mail (still being retried)\r\n"
                        : "Subject: Undelivered Mail Returned to Sender\r\n";
  out += fmt::format("Date: {}\r\n", smtp::trace::format_date(notice.now));
  out += fmt::format("Message-ID: <{}.dsn@{}>\r\n", notice.unique, notice.hostname);
  out += "Auto-Submitted: auto-replied\r\n";  // RFC 3834 5
  out += "MIME-Version: 1.0\r\n";
  out += fmt::format("Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"{}\"\r\n",
                     boundary);
  out += "\r\nThis is a MIME-encapsulated message.\r\n\r\n";

  // 1: for people.
  out += fmt::format("--{}\r\nContent-Type: text/plain; charset=us-ascii\r\n"
                     "Content-Description: Notification\r\n\r\n",
                     boundary);
  out += fmt::format("This is the mail system at host {}.\r\n\r\n", notice.hostname);
  if (notice.delayed) {
    out += "Your message could not be delivered yet to the recipients below.\r\n"
           "It is still being retried; you do not need to send it again.\r\n";
    out += fmt::format("The mail system will give up on {}.\r\n\r\n", smtp::trace::format_date(notice.retry_until));
  } else {
    out += "Your message could not be delivered to one or more recipients.\r\n"
           "It is attached below.\r\n\r\n";
  }
  for (const auto& r : notice.recipients) {
    out += fmt::format("<{}>: {}\r\n", field_value(r.address), field_value(r.diagnostic));
  }
  out += "\r\n";

  // 2: for programs (RFC 3464 2.2, 2.3).
  out += fmt::format("--{}\r\nContent-Type: message/delivery-status\r\n"
                     "Content-Description: Delivery report\r\n\r\n",
                     boundary);
  out += fmt::format("Reporting-MTA: dns; {}\r\n", notice.hostname);
  if (!notice.envid.empty()) out += fmt::format("Original-Envelope-Id: {}\r\n", field_value(notice.envid));
  out += fmt::format("Arrival-Date: {}\r\n", smtp::trace::format_date(notice.arrival));
  for (const auto& r : notice.recipients) {
    out += "\r\n";
    out += fmt::format("Final-Recipient: rfc822; {}\r\n", field_value(r.address));
    if (!r.orcpt.empty()) out += fmt::format("Original-Recipient: {}\r\n", original_recipient(r.orcpt));
    out += notice.delayed ? "Action: delayed\r\n" : "Action: failed\r\n";
    out += fmt::format("Status: {}\r\n", field_value(r.status));
    if (!r.remote_mta.empty()) out += fmt::format("Remote-MTA: dns; {}\r\n", field_value(r.remote_mta));
    if (!r.diagnostic.empty()) out += fmt::format("Diagnostic-Code: {}\r\n", field_value(r.diagnostic));
    if (notice.delayed && notice.retry_until > 0)
      out += fmt::format("Will-Retry-Until: {}\r\n", smtp::trace::format_date(notice.retry_until));
  }
  out += "\r\n";

  // 3: the original (RFC 3462 / RFC 6522 3).
  const std::string original = strip_return_path(original_message);
  if (notice.return_full && !notice.delayed && original_complete) {
    out += fmt::format("--{}\r\nContent-Type: message/rfc822\r\nContent-Description: Undelivered Message\r\n\r\n",
                       boundary);
    out += original;
    if (!original.ends_with("\r\n")) out += "\r\n";
  } else {
    out += fmt::format("--{}\r\nContent-Type: text/rfc822-headers\r\n"
                       "Content-Description: {} Message Headers\r\n\r\n",
                       boundary, notice.delayed ? "Delayed" : "Undelivered");
    std::string_view headers = header_section(original);
    out += headers;
    if (!headers.ends_with("\r\n")) out += "\r\n";
  }
  out += fmt::format("\r\n--{}--\r\n", boundary);
  return out;
}

}  // namespace tern::queue
