// Incremental reading of SMTP message text: DATA (RFC 5321 4.1.1.4, 4.5.2
// dot-stuffing) and BDAT chunks (RFC 3030 2). See data_reader.hpp for the
// bare-newline, line-length and size policy.
#include "smtp/protocol/data_reader.hpp"

#include "core/line_break.hpp"

namespace tern::smtp {

DataReader::DataReader(Framing framing, std::uint64_t max_size, SpoolOptions spool)
    : framing_(framing), max_size_(max_size), message_(std::move(spool)) {}

Spool DataReader::take_message() {
  message_.finish();
  return std::move(message_);
}

std::size_t DataReader::consume(std::string_view bytes) {
  std::size_t i = 0;
  while (i < bytes.size() && state_ != State::done) {
    if (state_ == State::in_line) {
      // Most octets are ordinary text: take them as one span.
      std::size_t stop = find_line_break(bytes, i);
      if (stop == std::string_view::npos) stop = bytes.size();
      if (stop > i) {
        count_line_octets(stop - i);
        emit_span(bytes.substr(i, stop - i));
        i = stop;
        continue;
      }
    }
    count_line_octets(1);
    step(bytes[i]);
    ++i;
  }
  return i;
}

void DataReader::end_of_chunks() {
  if (state_ == State::cr) {
    bare_line_break_ = true;
    emit('\r');
  }
  state_ = State::done;
}

DataReader::Problem DataReader::problem() const {
  if (too_big_) return Problem::too_big;
  if (bare_line_break_) return Problem::bare_line_break;
  if (line_too_long_) return Problem::line_too_long;
  if (message_.failed()) return Problem::no_storage;
  return Problem::none;
}

void DataReader::step(char c) {
  auto text_char = [this](char t) {
    state_ = State::in_line;
    if (t == '\r') {
      state_ = State::cr;
      return;
    }
    if (t == '\n') bare_line_break_ = true;  // a bare LF is text, never a line end
    emit(t);
  };
  switch (state_) {
    case State::line_start:
      if (framing_ == Framing::dot_stuffed && c == '.') {
        state_ = State::dot;
        return;
      }
      text_char(c);
      return;
    case State::in_line:
      text_char(c);
      return;
    case State::cr:
      if (c == '\n') {
        emit('\r');
        emit('\n');
        end_line();
        return;
      }
      bare_line_break_ = true;  // the CR before c was bare
      emit('\r');
      text_char(c);
      return;
    case State::dot:
      if (c == '\r') {
        state_ = State::dot_cr;
        return;
      }
      // RFC 5321 4.5.2: a line starting with a period and holding more has
      // that first period removed ("..x" -> ".x", ".\n" -> "\n").
      text_char(c);
      return;
    case State::dot_cr:
      if (c == '\n') {
        state_ = State::done;  // CRLF "." CRLF: the only end of data
        return;
      }
      bare_line_break_ = true;
      emit('\r');
      text_char(c);
      return;
    case State::done:
      return;
  }
}

void DataReader::emit(char c) { emit_span(std::string_view(&c, 1)); }

void DataReader::emit_span(std::string_view span) {
  size_ += span.size();
  if (too_big_) return;
  if (size_ > max_size_) {
    too_big_ = true;
    message_.discard();  // what would be refused is not kept
    return;
  }
  message_.append(span);
}

void DataReader::end_line() {
  line_octets_ = 0;
  state_ = State::line_start;
}

void DataReader::count_line_octets(std::size_t n) {
  line_octets_ += n;
  if (line_octets_ > max_line_octets) line_too_long_ = true;
}

}  // namespace tern::smtp
