#include "core/line_buffer.hpp"

#include <algorithm>

#include "core/text.hpp"

namespace tern {

bool LineBuffer::skip_overlong_rest() {
  if (!discarding_) return true;
  const std::size_t lf = data_.find('\n', pos_);
  if (lf == std::string::npos) {
    pos_ = scan_ = data_.size();
    return false;
  }
  pos_ = scan_ = lf + 1;
  discarding_ = false;
  return true;
}

LineBuffer::Next LineBuffer::next_line(std::size_t limit) {
  if (!skip_overlong_rest()) return {};
  const std::size_t lf = data_.find('\n', scan_);
  if (lf == std::string::npos) {
    scan_ = data_.size();
    if (data_.size() - pos_ < limit) return {};
  }
  const bool complete = lf != std::string::npos;
  if (!complete || lf - pos_ + 1 > limit) {
    pos_ = scan_ = complete ? lf + 1 : data_.size();
    discarding_ = !complete;
    return {Status::too_long, {}};
  }
  Next next{Status::line, data_.substr(pos_, lf - pos_)};
  pos_ = scan_ = lf + 1;
  if (!next.line.empty() && next.line.back() == '\r') next.line.pop_back();
  return next;
}

LineBuffer::Next LineBuffer::next_command(const CommandLimits& limits, bool sasl_response) {
  if (!skip_overlong_rest()) return {};
  const bool long_allowed = sasl_response || text::istarts_with(pending(), "AUTH ");
  return next_line(long_allowed ? limits.auth : limits.command);
}

void LineBuffer::consume(std::size_t octets) {
  pos_ = std::min(data_.size(), pos_ + octets);
  scan_ = pos_;
}

void LineBuffer::clear() {
  std::string().swap(data_);
  pos_ = scan_ = 0;
  discarding_ = false;
}

void LineBuffer::compact() {
  if (pos_ == 0) return;
  data_.erase(0, pos_);
  scan_ -= std::min(scan_, pos_);
  pos_ = 0;
}

}  // namespace tern
