// CRLF normalisation, dot-stuffing and TOP (RFC 1939 3, 7).
#include "pop3/protocol/message_text.hpp"

#include <algorithm>

namespace tern::pop3 {

std::size_t top_end(std::string_view message, std::uint64_t body_lines) {
  // The header section ends at the first empty line ("CRLF" or a bare "LF").
  std::size_t pos = 0;
  for (;;) {
    const std::size_t lf = message.find('\n', pos);
    if (lf == std::string_view::npos) return message.size();
    const bool empty = lf == pos || (lf == pos + 1 && message[pos] == '\r');
    pos = lf + 1;
    if (empty) break;
  }
  for (std::uint64_t line = 0; line < body_lines && pos < message.size(); ++line) {
    const std::size_t lf = message.find('\n', pos);
    if (lf == std::string_view::npos) return message.size();
    pos = lf + 1;
  }
  return pos;
}

std::uint64_t normalized_size(std::string_view message) {
  std::uint64_t size = 0;
  for (std::size_t i = 0; i < message.size(); ++i) {
    const char c = message[i];
    if (c == '\r') {
      if (i + 1 < message.size() && message[i + 1] == '\n') ++i;
      size += 2;
    } else if (c == '\n') {
      size += 2;
    } else {
      ++size;
    }
  }
  return size;
}

StuffedText::StuffedText(std::string message, std::size_t end)
    : message_(std::move(message)), end_(std::min(end, message_.size())) {}

void StuffedText::write_some(std::string& out, std::size_t budget) {
  if (finished_) return;
  const std::size_t limit = out.size() + budget;
  while (pos_ < end_ && out.size() < limit) {
    const char c = message_[pos_];
    if (line_start_ && c == '.') out += '.';  // RFC 1939 3: byte-stuff the termination octet
    if (c == '\r') {
      out += "\r\n";
      pos_ += pos_ + 1 < end_ && message_[pos_ + 1] == '\n' ? 2 : 1;
      line_start_ = true;
    } else if (c == '\n') {
      out += "\r\n";
      ++pos_;
      line_start_ = true;
    } else {
      // Copy the rest of the line in one go.
      std::size_t stop = message_.find_first_of("\r\n", pos_);
      if (stop == std::string::npos || stop > end_) stop = end_;
      stop = std::min(stop, pos_ + (limit - out.size()));
      if (stop == pos_) stop = pos_ + 1;
      out.append(message_, pos_, stop - pos_);
      pos_ = stop;
      line_start_ = false;
    }
  }
  if (pos_ < end_) return;
  if (!line_start_) out += "\r\n";
  out += ".\r\n";
  finished_ = true;
  std::string().swap(message_);
}

}  // namespace tern::pop3
