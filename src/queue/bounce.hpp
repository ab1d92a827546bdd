// Delivery status notifications (RFC 3464) for the envelope sender: a
// multipart/report (RFC 6522) with report-type=delivery-status holding a
// human-readable part, the message/delivery-status fields (Reporting-MTA,
// Arrival-Date; per recipient Final-Recipient, Original-Recipient, Action,
// Status, Remote-MTA, Diagnostic-Code, Will-Retry-Until) and the original
// header section as text/rfc822-headers (the whole message as message/rfc822
// when the sender asked for RET=FULL). Sent from MAILER-DAEMON with the null
// reverse-path (RFC 5321 4.5.5), so a notice never causes another.
// Pure: the caller decides who gets one and stores it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tern::queue {

struct NoticeRecipient {
  std::string address;
  std::string orcpt;        // "rfc822;user@example.org" as stored, or ""
  std::string status;       // RFC 3463, "5.1.1"
  std::string remote_mta;   // the host that answered, or ""
  std::string diagnostic;   // "smtp; 550 5.1.1 ..." or "X-tern; ..."
};

struct Notice {
  bool delayed = false;          // a delay warning (Action: delayed), else a failure report
  std::string hostname;          // the reporting MTA
  std::string to;                // the envelope sender being notified
  std::string envid;             // RFC 3461 ENVID of the original, or ""
  bool return_full = false;      // RET=FULL: the whole original rather than its header section
  std::int64_t arrival = 0;      // when the original was accepted
  std::int64_t now = 0;
  std::int64_t retry_until = 0;  // for delay warnings: when the message will be given up
  std::string unique;            // makes the Message-ID and boundary unique
  std::vector<NoticeRecipient> recipients;
};

// The whole notice, CRLF line endings, ready to store.
// `original_complete` false: `original_message` is only the header section
// of a large message, and only headers are returned whatever RET says.
std::string build_notice(const Notice& notice, std::string_view original_message, bool original_complete = true);

// The header section of a message (up to and including the empty line, or all of it).
std::string_view header_section(std::string_view message);

}  // namespace tern::queue
