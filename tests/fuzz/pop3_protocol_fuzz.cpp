// libFuzzer target for the POP3 server protocol (src/pop3/protocol): random
// bytes in random splits, every action answered with a plausible result.
// Checks, beyond "no crash": every piece of output ends in CRLF and holds no
// bare CR or LF (message text is normalised); the first response is the
// "+OK" greeting; a piece never exceeds the output bound; nothing comes out
// after Close; an expunge only names UIDs of the maildrop, each once.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "pop3/protocol/server_protocol.hpp"

namespace {

using namespace tern::pop3;

void check(bool condition) {
  if (!condition) std::abort();
}

tern::pop3::Maildrop make_maildrop(std::uint8_t count) {
  Maildrop maildrop;
  maildrop.uidvalidity = 99;
  for (std::uint32_t i = 1; i <= count % 8; ++i) maildrop.entries.push_back({i * 3, 20u + i, i});
  return maildrop;
}

std::string message_for(std::int64_t id) {
  switch (id % 4) {
    case 0: return "";
    case 1: return "Subject: x\r\n\r\n.hidden\r\n..\r\n.\r\nend";
    case 2: return "Bare: lf\n\n.\nline\rcr\n";
    default: return "No-Body: here\r\n";
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
  config.mode = (flags & 1) ? Mode::pop3s : Mode::pop3;
  config.tls_available = (flags & 2) != 0;
  config.allow_plaintext_auth = (flags & 4) != 0;
  // Messages in pieces (RETR of a message larger than piece_octets), cut at
  // awkward places, for half of the inputs.
  if (flags & 8) config.piece_octets = 1 + (flags >> 5);
  ServerProtocol protocol(config);
  const Maildrop maildrop = make_maildrop(flags >> 3);
  protocol.start();

  bool closed = false;
  bool greeted = false;
  std::string written;
  auto drain = [&] {
    while (auto action = protocol.next()) {
      check(!closed);
      if (auto* reply = std::get_if<action::Reply>(&*action)) {
        const std::string& text = reply->text;
        check(!text.empty());
        check(text.size() <= ServerProtocol::output_piece + 600);
        if (!greeted) check(text.starts_with("+OK "));
        greeted = true;
        // A piece of a long response may end mid-line (a message read in
        // pieces); the stream as a whole has CRLF line endings only.
        written += text;
      } else if (std::get_if<action::StartTls>(&*action)) {
        protocol.tls_established(TlsInfo{"TLSv1.3", "TLS_AES_256_GCM_SHA384"});
      } else if (auto* auth = std::get_if<action::Authenticate>(&*action)) {
        check(!auth->username.empty() && !auth->password.empty());
        if (auth->password == "busy") protocol.login_refused(LoginRefusal::in_use);
        else if (auth->password == "down") protocol.login_refused(LoginRefusal::unavailable);
        else if (auth->password == "secret") protocol.logged_in(maildrop);
        else protocol.login_refused(LoginRefusal::bad_credentials);
      } else if (auto* load = std::get_if<action::LoadMessage>(&*action)) {
        if (load->message_id == 5) protocol.message_loaded(tern::make_error(tern::Errc::not_found, "gone"));
        else if (load->length == 0) protocol.message_loaded(message_for(load->message_id));
        else {
          const std::string message = message_for(load->message_id);
          protocol.message_loaded(load->offset < message.size() ? message.substr(load->offset, load->length)
                                                                : std::string());
        }
      } else if (auto* expunge = std::get_if<action::Expunge>(&*action)) {
        std::set<std::uint32_t> seen;
        check(!expunge->uids.empty());
        for (std::uint32_t uid : expunge->uids) {
          check(uid % 3 == 0 && uid / 3 >= 1 && uid / 3 <= maildrop.entries.size());
          check(seen.insert(uid).second);
        }
        if (expunge->uids.size() == 2) protocol.update_done(tern::make_error(tern::Errc::io, "disk"));
        else protocol.update_done({});
      } else if (std::get_if<action::Close>(&*action)) {
        closed = true;
      }
    }
  };
  drain();

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
  for (std::size_t i = 0; i < written.size(); ++i) {
    if (written[i] == '\n') check(i > 0 && written[i - 1] == '\r');
    if (written[i] == '\r') check(i + 1 < written.size() && written[i + 1] == '\n');
  }
  return 0;
}
