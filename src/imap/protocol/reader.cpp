// IMAP command framing: lines, literal announcements, limits and resync
// after a refusal (RFC 9051 4.3, RFC 7888). See reader.hpp.
#include "imap/protocol/reader.hpp"

#include <algorithm>
#include <stdexcept>

#include "core/text.hpp"

namespace tern::imap {
namespace {

constexpr std::size_t tail_keep = 32;  // enough for "~{18446744073709551615+}"

}  // namespace

std::optional<LiteralHeader> literal_at_end(std::string_view line) {
  if (line.empty() || line.back() != '}') return std::nullopt;
  std::size_t open = line.rfind('{');
  if (open == std::string_view::npos) return std::nullopt;
  std::string_view inner = line.substr(open + 1, line.size() - open - 2);
  LiteralHeader header;
  if (!inner.empty() && inner.back() == '+') {
    header.synchronizing = false;
    inner.remove_suffix(1);
  }
  if (inner.empty()) return std::nullopt;
  std::uint64_t size = 0;
  for (char c : inner) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    size = size > (UINT64_MAX - digit) / 10 ? UINT64_MAX : size * 10 + digit;
  }
  header.size = size;
  header.start = open;
  if (open > 0 && line[open - 1] == '~') {
    header.binary = true;
    header.start = open - 1;
  }
  return header;
}

bool is_idle_done(std::string_view text) {
  return text::iequals(text::trim_right(text, "\r\n"), "DONE");
}

CommandReader::CommandReader(ReaderLimits limits) : limits_(limits) {}

void CommandReader::feed(std::string_view bytes) {
  if (pos_ > 0 && pos_ >= in_.size() / 2) {
    in_.erase(0, pos_);
    scan_ -= pos_;
    pos_ = 0;
  }
  in_.append(bytes);
}

std::optional<ReaderEvent> CommandReader::next() {
  if (out_.empty()) process();
  if (out_.empty()) return std::nullopt;
  ReaderEvent event = std::move(out_.front());
  out_.pop_front();
  return event;
}

void CommandReader::release_memory() {
  if (!idle() || !out_.empty()) return;
  std::string().swap(in_);
  pos_ = 0;
  scan_ = 0;
}

void CommandReader::accept_literal() {
  if (state_ != State::awaiting_decision) throw std::logic_error("accept_literal without a pending literal");
  state_ = literal_remaining_ > 0 ? State::literal : State::line;
}

void CommandReader::refuse_literal() {
  if (state_ != State::awaiting_decision) throw std::logic_error("refuse_literal without a pending literal");
  reset_command();
}

// Runs until one event is produced or more input is needed, so that a
// synchronizing literal's decision is taken before anything after it is read.
void CommandReader::process() {
  while (out_.empty()) {
    switch (state_) {
      case State::awaiting_decision: return;
      case State::line:
        if (!process_line()) return;
        break;
      case State::discard_line:
        if (!process_discard_line()) return;
        break;
      case State::literal:
      case State::discard_literal:
        if (pos_ == in_.size()) return;
        take_literal_bytes();
        break;
    }
  }
}

bool CommandReader::process_line() {
  const std::size_t lf = in_.find('\n', scan_);
  if (lf == std::string::npos) {
    scan_ = in_.size();
    if (in_.size() - pos_ > limits_.max_line_octets + 1) {
      // Keep only the tail: the line is refused, but whether it announced a
      // literal decides what the next bytes are.
      note_overlong_first_line(std::string_view(in_).substr(pos_));
      overlong_tail_ = in_.substr(in_.size() - std::min(tail_keep, in_.size() - pos_));
      pos_ = scan_ = in_.size();
      state_ = State::discard_line;
    }
    return false;
  }
  std::string_view line = std::string_view(in_).substr(pos_, lf - pos_);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  pos_ = scan_ = lf + 1;
  handle_line_end(line, line.size() > limits_.max_line_octets);
  return true;
}

bool CommandReader::process_discard_line() {
  const std::size_t lf = in_.find('\n', scan_);
  if (lf == std::string::npos) {
    overlong_tail_ += in_.substr(pos_);
    if (overlong_tail_.size() > tail_keep) overlong_tail_.erase(0, overlong_tail_.size() - tail_keep);
    pos_ = scan_ = in_.size();
    return false;
  }
  overlong_tail_ += in_.substr(pos_, lf - pos_);
  pos_ = scan_ = lf + 1;
  std::string tail = std::move(overlong_tail_);
  overlong_tail_.clear();
  if (!tail.empty() && tail.back() == '\r') tail.pop_back();
  state_ = State::line;
  handle_line_end(tail, true);
  return true;
}

// The tag of an overlong line comes from its first octets only, the same
// however the line was cut, and only when a space ends it there.
void CommandReader::note_overlong_first_line(std::string_view line) {
  const std::string_view prefix = line.substr(0, std::min<std::size_t>(limits_.max_line_octets, 512));
  if (prefix.find(' ') != std::string_view::npos) note_first_line(prefix);
  first_line_seen_ = true;
}

void CommandReader::note_first_line(std::string_view line) {
  if (first_line_seen_) return;
  first_line_seen_ = true;
  const std::size_t sp = line.find(' ');
  tag_ = std::string(line.substr(0, std::min<std::size_t>(sp, 64)));
  if (sp == std::string_view::npos) return;
  std::string_view rest = line.substr(sp + 1);
  std::string word = text::to_upper(rest.substr(0, rest.find(' ')));
  if (word == "UID" && rest.find(' ') != std::string_view::npos) {
    std::string_view after = rest.substr(rest.find(' ') + 1);
    word += ' ';
    word += text::to_upper(after.substr(0, after.find(' ')));
  }
  name_ = word.substr(0, 32);
}

// `line` is a complete line without its ending; for an overlong line, only
// its tail (enough to recognise a literal announcement).
void CommandReader::handle_line_end(std::string_view line, bool overlong) {
  if (overlong) note_overlong_first_line(line);
  else note_first_line(line);
  if (overlong && !discarding_) start_discarding("line too long");
  if (!discarding_) {
    command_octets_ += line.size() + 2;
    if (command_octets_ > command_limit()) start_discarding("command too long");
  }
  if (!discarding_) {
    current_.append(line);
    current_.append("\r\n");
  }
  const std::optional<LiteralHeader> literal = literal_at_end(line);
  if (!literal) {
    finish_command();
    return;
  }
  if (discarding_) {
    if (literal->synchronizing) {
      // The client waits for "+": the rejection is its answer.
      finish_command();
    } else {
      literal_remaining_ = literal->size;
      state_ = State::discard_literal;
    }
    return;
  }
  const bool too_big = literal->size > literal_limit() || literal->size > command_limit() - command_octets_;
  if (too_big) {
    if (literal->synchronizing) {
      out_.emplace_back(reader_event::Rejected{tag_, "TOOBIG", "literal too large"});
      reset_command();
    } else {
      out_.emplace_back(reader_event::LiteralAnnounced{tag_, name_, literal->size, false, literal->binary, true});
      start_discarding("literal too large");
      literal_remaining_ = literal->size;
      state_ = State::discard_literal;
    }
    return;
  }
  command_octets_ += literal->size;
  literal_remaining_ = literal->size;
  if (name_ == "APPEND" && literal->size > limits_.spool_literal_octets) {
    SpoolOptions options = limits_.spool;
    options.canonicalize = true;
    spooled_.push_back(SpooledLiteral{current_.size(), std::make_shared<Spool>(std::move(options))});
    spooling_ = true;
  }
  out_.emplace_back(reader_event::LiteralAnnounced{tag_, name_, literal->size, literal->synchronizing, literal->binary});
  state_ = literal->synchronizing ? State::awaiting_decision : State::literal;
  if (state_ == State::literal && literal_remaining_ == 0) state_ = State::line;
}

void CommandReader::take_literal_bytes() {
  const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(literal_remaining_, in_.size() - pos_));
  if (state_ == State::literal) {
    if (spooling_) spooled_.back().spool->append(std::string_view(in_).substr(pos_, n));
    else current_.append(in_, pos_, n);
  }
  pos_ += n;
  scan_ = pos_;
  literal_remaining_ -= n;
  if (literal_remaining_ == 0) {
    state_ = State::line;
    if (spooling_) spooled_.back().spool->finish();
    spooling_ = false;
  }
}

void CommandReader::start_discarding(std::string reason) {
  discarding_ = true;
  discard_reason_ = std::move(reason);
  current_.clear();
  current_.shrink_to_fit();
  spooled_.clear();
  spooling_ = false;
}

void CommandReader::finish_command() {
  if (discarding_) {
    out_.emplace_back(reader_event::Rejected{tag_, "TOOBIG", std::move(discard_reason_)});
  } else {
    out_.emplace_back(reader_event::Command{std::move(current_), std::move(spooled_)});
  }
  reset_command();
}

void CommandReader::reset_command() {
  current_.clear();
  spooled_.clear();
  spooling_ = false;
  command_octets_ = 0;
  literal_remaining_ = 0;
  tag_.clear();
  name_.clear();
  discarding_ = false;
  discard_reason_.clear();
  first_line_seen_ = false;
  state_ = State::line;
}

std::uint64_t CommandReader::literal_limit() const {
  return name_ == "APPEND" ? limits_.max_append_literal_octets : limits_.max_literal_octets;
}

std::uint64_t CommandReader::command_limit() const {
  // MULTIAPPEND's messages are bounded by the total, not one by one.
  return name_ == "APPEND" ? limits_.max_command_octets + limits_.max_append_literal_octets
                           : limits_.max_command_octets;
}

}  // namespace tern::imap
