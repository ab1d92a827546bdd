// CRLF normalisation, dot-stuffing and TOP (RFC 1939 3, 7).
#include "pop3/protocol/message_text.hpp"

#include <algorithm>
#include <cstring>

#include "core/line_break.hpp"

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
  // Every octet counts once; a bare CR or a bare LF becomes CR LF, one more.
  std::uint64_t size = message.size();
  const char* const begin = message.data();
  const char* const end = begin + message.size();
  auto next = [end](const char* from, char c) {
    return from < end ? static_cast<const char*>(std::memchr(from, c, static_cast<std::size_t>(end - from)))
                      : nullptr;
  };
  for (const char* p = next(begin, '\n'); p; p = next(p + 1, '\n'))
    if (p == begin || p[-1] != '\r') ++size;
  for (const char* p = next(begin, '\r'); p; p = next(p + 1, '\r'))
    if (p + 1 == end || p[1] != '\n') ++size;
  return size;
}

StuffedText::StuffedText(std::string message, std::size_t end)
    : message_(std::move(message)), end_(std::min(end, message_.size())) {
  loaded_ = total_ = message_.size();
}

StuffedText::StuffedText(std::string first_piece, InPieces whole)
    : message_(std::move(first_piece)), end_(message_.size()), loaded_(message_.size()), total_(whole.total) {}

void StuffedText::add(std::string piece) {
  if (piece.empty()) total_ = loaded_;  // nothing more will come
  loaded_ += piece.size();
  message_.erase(0, pos_);
  pos_ = 0;
  message_ += piece;
  end_ = message_.size();
}

void StuffedText::write_some(std::string& out, std::size_t budget) {
  if (finished_) return;
  const std::size_t limit = out.size() + budget;
  while (pos_ < end_ && out.size() < limit) {
    if (loaded_ < total_ && carry() == 1) return;  // is this CR the first of a CRLF? the next piece tells
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
      std::size_t stop = find_line_break(message_, pos_);
      if (stop == std::string::npos || stop > end_) stop = end_;
      stop = std::min(stop, pos_ + (limit - out.size()));
      if (stop == pos_) stop = pos_ + 1;
      out.append(message_, pos_, stop - pos_);
      pos_ = stop;
      line_start_ = false;
    }
  }
  if (pos_ < end_ || loaded_ < total_) return;
  if (!line_start_) out += "\r\n";
  out += ".\r\n";
  finished_ = true;
  std::string().swap(message_);
}

}  // namespace tern::pop3
