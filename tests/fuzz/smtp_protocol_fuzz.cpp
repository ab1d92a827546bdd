// libFuzzer target for the SMTP server protocol (src/smtp/protocol): random
// bytes in random splits, every action answered with a plausible result.
// Checks, beyond "no crash": every reply is well-formed ("ddd" SP/"-" text
// CRLF, no stray CR or LF), every delivered message is within the size limit
// and has CRLF line endings only, nothing comes out after Close.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "smtp/protocol/server_protocol.hpp"

namespace {

using namespace tern::smtp;

void check(bool condition) {
  if (!condition) std::abort();
}

void check_reply(const std::string& text) {
  check(text.size() >= 6 && text.ends_with("\r\n"));
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find("\r\n", start);
    check(end != std::string::npos);
    const std::string_view line(text.data() + start, end - start);
    check(line.size() >= 4);
    for (std::size_t i = 0; i < 3; ++i) check(line[i] >= '0' && line[i] <= '9');
    check(line[3] == ' ' || line[3] == '-');
    check(line.find('\r') == std::string_view::npos && line.find('\n') == std::string_view::npos);
    check(line[3] == '-' || end + 2 == text.size());
    start = end + 2;
  }
}

void check_message(const std::string& message, std::uint64_t max_size) {
  check(message.size() <= max_size);
  for (std::size_t i = 0; i < message.size(); ++i) {
    if (message[i] == '\n') check(i > 0 && message[i - 1] == '\r');
    if (message[i] == '\r') check(i + 1 < message.size() && message[i + 1] == '\n');
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t flags = data[0];
  const std::uint8_t split = data[1];
  data += 2;
  size -= 2;

  ProtocolConfig config;
  config.hostname = "mail.example.test";
  config.mode = static_cast<Mode>(flags % 3);
  config.tls_available = (flags & 4) != 0;
  config.allow_plaintext_auth = (flags & 8) != 0;
  config.max_message_size = 4096;
  config.max_recipients = 5;
  Connection connection{"192.0.2.1", "", std::nullopt};
  if (config.mode == Mode::submissions) connection.tls = TlsInfo{"TLSv1.3", "TLS_AES_128_GCM_SHA256"};
  ServerProtocol protocol(config, connection);
  protocol.start();

  bool closed = false;
  unsigned verdict_counter = flags;
  auto drain = [&] {
    while (auto action = protocol.next()) {
      check(!closed);
      if (auto* reply = std::get_if<action::Reply>(&*action)) {
        check_reply(reply->text);
      } else if (std::get_if<action::StartTls>(&*action)) {
        protocol.tls_established(TlsInfo{"TLSv1.3", "TLS_AES_256_GCM_SHA384"});
      } else if (auto* rcpt = std::get_if<action::CheckRecipient>(&*action)) {
        check(!rcpt->address.domain.empty());
        protocol.recipient_checked(static_cast<RecipientVerdict>(verdict_counter++ % 5));
      } else if (auto* auth = std::get_if<action::Authenticate>(&*action)) {
        check(!auth->username.empty() && !auth->password.empty());
        if (auth->password == "unavailable") protocol.auth_unavailable();
        else protocol.auth_result(auth->password == "secret", auth->username);
      } else if (auto* deliver = std::get_if<action::Deliver>(&*action)) {
        check(!deliver->envelope.recipients.empty());
        auto text = deliver->message.read_all();  // the spool, in memory here (no spool directory)
        check(text.ok() && !deliver->message.spilled());
        check_message(*text, config.max_message_size);
        if (deliver->message.size() % 7 == 3)
          protocol.delivery_done(tern::make_error(tern::Errc::unavailable, "busy"));
        else
          protocol.delivery_done(std::string("Q") + std::to_string(deliver->message.size()));
      } else if (auto* sender = std::get_if<action::CheckSender>(&*action)) {
        check(!sender->auth_user.empty());
        protocol.sender_checked(static_cast<SenderVerdict>(verdict_counter++ % 3));
      } else if (std::get_if<action::Close>(&*action)) {
        closed = true;
      }
    }
  };
  drain();

  // Feed in pieces whose sizes follow the split byte, so both whole-buffer and
  // byte-at-a-time paths are reached.
  std::size_t at = 0;
  std::size_t piece = split == 0 ? size : split;
  while (at < size && !closed) {
    const std::size_t n = piece < size - at ? piece : size - at;
    protocol.feed(std::string_view(reinterpret_cast<const char*>(data + at), n));
    drain();
    at += n;
    piece = (piece * 7 + 3) % 64 + 1;
  }
  if (!closed) {
    protocol.timed_out();
    drain();
    check(closed);
  }
  return 0;
}
