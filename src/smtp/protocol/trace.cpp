// Received:, Return-Path:, Date: and Message-ID: fields (RFC 5321 4.4,
// RFC 3848, RFC 6531 3.7.3, RFC 5322 3.3 and 3.6.4, RFC 6409 8).
#include "smtp/protocol/trace.hpp"

#include <cstdio>
#include <ctime>
#include <vector>

#include "core/text.hpp"

namespace tern::smtp::trace {
namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// A domain or address literal as the client gave it, kept to the characters
// such names use; anything else becomes '?'.
std::string domain_like(std::string_view text) {
  if (text.empty()) return "unknown";
  std::string out(text);
  for (char& c : out)
    if (!is_alnum(c) && c != '.' && c != '-' && c != '_' && c != ':' && c != '[' && c != ']') c = '?';
  return out;
}

// Text for a comment: printable ASCII without the characters that end or nest one.
std::string comment_text(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f || c == '(' || c == ')' || c == '\\') c = '?';
  }
  return out;
}

std::string atom(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (!is_alnum(c) && c != '.' && c != '-' && c != '_') c = '?';
  return out;
}

std::string address_literal(std::string_view address) {
  if (address.empty()) return "[unknown]";
  const bool v6 = address.find(':') != std::string_view::npos;
  return (v6 ? "[IPv6:" : "[") + domain_like(address) + "]";
}


}  // namespace

std::string format_date(std::int64_t unix_time) {
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto seconds = static_cast<std::time_t>(unix_time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%s, %d %s %04d %02d:%02d:%02d +0000", days[utc.tm_wday % 7],
                utc.tm_mday, months[utc.tm_mon % 12], utc.tm_year + 1900, utc.tm_hour, utc.tm_min,
                utc.tm_sec);
  return buffer;
}

std::string protocol_name(const Envelope& envelope) {
  if (!envelope.esmtp) return "SMTP";
  std::string name = envelope.smtputf8 ? "UTF8SMTP" : "ESMTP";
  if (envelope.tls) name += 'S';
  if (!envelope.auth_user.empty()) name += 'A';
  return name;
}

std::string received_field(const Envelope& envelope, std::string_view hostname, std::string_view id,
                           std::int64_t unix_time) {
  std::vector<std::string> lines;
  std::string from = "Received: from " + domain_like(envelope.helo) + " (";
  if (!envelope.peer_name.empty()) from += domain_like(envelope.peer_name) + " ";
  from += address_literal(envelope.peer_address) + ")";
  lines.push_back(std::move(from));
  std::string by = "\tby " + domain_like(hostname) + " (tern) with " + protocol_name(envelope);
  if (!id.empty()) by += " id " + atom(id);
  lines.push_back(std::move(by));
  if (envelope.tls && !envelope.tls->version.empty())
    lines.push_back("\t(using " + comment_text(envelope.tls->version) + " with cipher " +
                    comment_text(envelope.tls->cipher) + ")");
  if (!envelope.auth_user.empty())
    lines.push_back("\t(authenticated as " + comment_text(envelope.auth_user) + ")");
  if (envelope.recipients.size() == 1)
    lines.push_back("\tfor <" + envelope.recipients.front().address.str() + ">");
  lines.back() += "; " + format_date(unix_time);
  std::string out;
  for (const std::string& line : lines) out += line + "\r\n";
  return out;
}

std::string return_path_field(const Envelope& envelope) {
  return "Return-Path: <" + envelope.reverse_path() + ">\r\n";
}

bool has_field(std::string_view message, std::string_view name) {
  std::size_t pos = 0;
  while (pos < message.size()) {
    const std::size_t eol = message.find('\n', pos);
    std::string_view line = message.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) return false;  // the end of the header section
    if (line.front() != ' ' && line.front() != '\t') {
      const std::size_t colon = line.find(':');
      if (colon != std::string_view::npos) {
        if (text::iequals(text::trim_right(line.substr(0, colon), text::wsp), name)) return true;
      }
    }
    if (eol == std::string_view::npos) break;
    pos = eol + 1;
  }
  return false;
}

std::string missing_submission_fields(std::string_view message, std::string_view hostname,
                                      std::string_view unique, std::int64_t unix_time) {
  std::string out;
  if (!has_field(message, "Date")) out += "Date: " + format_date(unix_time) + "\r\n";
  if (!has_field(message, "Message-ID"))
    out += "Message-ID: <" + atom(unique) + "@" + domain_like(hostname) + ">\r\n";
  return out;
}

}  // namespace tern::smtp::trace
