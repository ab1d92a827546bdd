#include "queue/client_protocol.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>

#include "core/base64.hpp"
#include "core/text.hpp"
#include "smtp/protocol/parameters.hpp"
#include "smtp/protocol/reply.hpp"

namespace tern::queue {

namespace {

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t at = 0;
  while (at < line.size()) {
    while (at < line.size() && line[at] == ' ') ++at;
    std::size_t end = line.find(' ', at);
    if (end == std::string_view::npos) end = line.size();
    if (end > at) out.push_back(line.substr(at, end - at));
    at = end;
  }
  return out;
}

bool looks_like_status(std::string_view word) {
  // class "." subject "." detail (RFC 3463 2), e.g. 5.1.1 or 4.7.10
  if (word.size() < 5 || (word[0] != '2' && word[0] != '4' && word[0] != '5') || word[1] != '.') return false;
  int dots = 0;
  for (char c : word.substr(1)) {
    if (c == '.') ++dots;
    else if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return dots == 2 && word.back() != '.';
}

std::string notify_value(std::uint8_t notify) {
  if (notify & store::notify::never) return "NEVER";
  std::string out;
  auto add = [&](std::uint8_t bit, const char* name) {
    if (!(notify & bit)) return;
    if (!out.empty()) out += ',';
    out += name;
  };
  add(store::notify::success, "SUCCESS");
  add(store::notify::failure, "FAILURE");
  add(store::notify::delay, "DELAY");
  return out;
}

}  // namespace

std::string Reply::status() const {
  if (!lines.empty()) {
    auto w = words(lines.front());
    if (!w.empty() && looks_like_status(w.front()) && static_cast<unsigned>(w.front()[0] - '0') == code / 100)
      return std::string(w.front());
  }
  return fmt::format("{}.0.0", code / 100 == 2 ? 2 : code / 100 == 4 ? 4 : 5);
}

std::string Reply::summary() const {
  std::string text;
  for (const auto& line : lines) {
    if (!text.empty()) text += " / ";
    text += line;
  }
  if (text.size() > 900) text.resize(900);
  return smtp::printable(fmt::format("{} {}", code, text));
}

Result<std::optional<Reply>> ReplyReader::next() {
  while (true) {
    auto end = buffer_.find('\n');
    if (end == std::string::npos) {
      if (buffer_.size() > max_line) return make_error(Errc::invalid, "reply line too long");
      return std::optional<Reply>{};
    }
    std::string_view line(buffer_.data(), end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > max_line) return make_error(Errc::invalid, "reply line too long");
    unsigned code = 0;
    auto [ptr, ec] = std::from_chars(line.data(), line.data() + std::min<std::size_t>(line.size(), 3), code);
    if (line.size() < 3 || ec != std::errc() || ptr != line.data() + 3 || code < 200 || code > 599 ||
        (line.size() > 3 && line[3] != ' ' && line[3] != '-'))
      return make_error(Errc::invalid, fmt::format("malformed reply line '{}'", smtp::printable(line.substr(0, 80))));
    if (!partial_.lines.empty() && code != partial_.code)
      return make_error(Errc::invalid, "reply lines with different codes");
    partial_.code = code;
    partial_.lines.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view());
    const bool last = line.size() == 3 || line[3] == ' ';
    buffer_.erase(0, end + 1);
    if (partial_.lines.size() > max_lines) return make_error(Errc::invalid, "reply with too many lines");
    if (last) {
      Reply out = std::move(partial_);
      partial_ = Reply{};
      return std::optional<Reply>{std::move(out)};
    }
  }
}

Capabilities parse_ehlo(const Reply& reply) {
  Capabilities caps;
  caps.esmtp = reply.code == 250;
  if (!caps.esmtp) return caps;
  for (std::size_t i = 1; i < reply.lines.size(); ++i) {
    auto w = words(reply.lines[i]);
    if (w.empty()) continue;
    auto keyword = w.front();
    if (text::iequals(keyword, "STARTTLS")) caps.starttls = true;
    else if (text::iequals(keyword, "PIPELINING")) caps.pipelining = true;
    else if (text::iequals(keyword, "8BITMIME")) caps.eight_bit_mime = true;
    else if (text::iequals(keyword, "SMTPUTF8")) caps.smtputf8 = true;
    else if (text::iequals(keyword, "DSN")) caps.dsn = true;
    else if (text::iequals(keyword, "SIZE")) {
      std::uint64_t limit = 0;
      if (w.size() > 1) {
        auto [p, e] = std::from_chars(w[1].data(), w[1].data() + w[1].size(), limit);
        if (e != std::errc() || p != w[1].data() + w[1].size()) limit = 0;
      }
      caps.size = limit;
    } else if (text::iequals(keyword, "AUTH")) {
      for (std::size_t k = 1; k < w.size(); ++k)
        if (text::iequals(w[k], "PLAIN")) caps.auth_plain = true;
    }
  }
  return caps;
}

std::string mail_command(const store::OutboundSpec& spec, std::uint64_t message_size, const Capabilities& caps) {
  std::string out = fmt::format("MAIL FROM:<{}>", spec.sender);
  if (caps.size) out += fmt::format(" SIZE={}", message_size);
  if (spec.eight_bit && caps.eight_bit_mime) out += " BODY=8BITMIME";
  if (spec.smtputf8 && caps.smtputf8) out += " SMTPUTF8";
  if (caps.dsn) {
    if (!spec.ret.empty()) out += " RET=" + spec.ret;
    if (!spec.envid.empty()) out += " ENVID=" + smtp::xtext_encode(spec.envid);
  }
  return out + "\r\n";
}

std::string rcpt_command(const store::QueueRecipient& recipient, const Capabilities& caps) {
  std::string out = fmt::format("RCPT TO:<{}>", recipient.address);
  if (caps.dsn) {
    if (recipient.notify != 0) out += " NOTIFY=" + notify_value(recipient.notify);
    if (!recipient.orcpt.empty()) {
      // Stored decoded as "addr-type;address"; the address part travels as xtext.
      auto semicolon = recipient.orcpt.find(';');
      if (semicolon != std::string::npos)
        out += " ORCPT=" + recipient.orcpt.substr(0, semicolon + 1) +
               smtp::xtext_encode(std::string_view(recipient.orcpt).substr(semicolon + 1));
    }
  }
  return out + "\r\n";
}

std::string auth_plain_command(std::string_view user, std::string_view password) {
  std::string credentials;
  credentials += '\0';
  credentials += user;
  credentials += '\0';
  credentials += password;
  return "AUTH PLAIN " + base64::encode(credentials) + "\r\n";
}

std::string strip_return_path(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  std::size_t at = 0;
  bool dropping = false;
  while (at < message.size()) {
    std::size_t end = message.find('\n', at);
    std::size_t next = end == std::string_view::npos ? message.size() : end + 1;
    std::string_view line = message.substr(at, next - at);
    const std::string_view bare = text::trim_right(line, "\r\n");
    if (bare.empty()) break;  // the end of the header section
    bool continuation = line.front() == ' ' || line.front() == '\t';
    if (!continuation) {
      auto colon = bare.find(':');
      dropping = text::iequals(text::trim_right(bare.substr(0, colon), text::wsp), "Return-Path");
    }
    if (!dropping) out.append(line);
    at = next;
  }
  out.append(message.substr(at));
  return out;
}

std::string data_text(std::string_view stored_message) {
  const std::string message = strip_return_path(stored_message);
  std::string out;
  out.reserve(message.size() + message.size() / 64 + 8);
  DataStuffer stuffer;
  stuffer.feed(message, out);
  stuffer.finish(out);
  return out;
}

void DataStuffer::feed(std::string_view text, std::string& out) {
  // Whole lines at a time: only an octet after LF may need doubling.
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (line_start_ && text[pos] == '.') out += '.';
    const std::size_t lf = text.find('\n', pos);
    const std::size_t end = lf == std::string_view::npos ? text.size() : lf + 1;
    out.append(text, pos, end - pos);
    line_start_ = lf != std::string_view::npos;
    pos = end;
  }
  if (text.size() >= 2) before_last_ = text[text.size() - 2];
  else if (!text.empty()) before_last_ = last_;
  if (!text.empty()) last_ = text.back();
  any_ = any_ || !text.empty();
}

void DataStuffer::finish(std::string& out) {
  if (any_ && !(before_last_ == '\r' && last_ == '\n')) out += last_ == '\r' ? "\n" : "\r\n";
  out += ".\r\n";
}

}  // namespace tern::queue
