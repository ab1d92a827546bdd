// A test driver for the POP3 ServerProtocol: plays the session, answering
// every action at once with configurable results, and records what was asked.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/base64.hpp"
#include "pop3/protocol/server_protocol.hpp"

namespace tern::pop3::testing {

inline ProtocolConfig default_config(Mode mode = Mode::pop3, bool plaintext = false) {
  ProtocolConfig config;
  config.hostname = "mail.example.test";
  config.mode = mode;
  config.tls_available = true;
  config.allow_plaintext_auth = plaintext;
  return config;
}

// Three messages: uids 4, 7, 9; sizes as stored.
inline Maildrop sample_maildrop() {
  Maildrop maildrop;
  maildrop.uidvalidity = 0x1234;
  maildrop.entries = {{4, 30, 104}, {7, 42, 107}, {9, 17, 109}};
  return maildrop;
}

inline std::string plain_response(std::string_view user, std::string_view password) {
  std::string raw;
  raw += '\0';
  raw += user;
  raw += '\0';
  raw += password;
  return base64::encode(raw);
}

struct Harness {
  explicit Harness(ProtocolConfig config = default_config(Mode::pop3, true), bool start = true)
      : protocol(std::move(config)) {
    messages[104] = "Subject: one\r\n\r\nbody one\r\n";
    messages[107] = "Subject: two\r\nFrom: a@b\r\n\r\nline 1\r\n.dot line\r\nline 3\r\n";
    messages[109] = "Subject: three\r\n\r\nx\r\n";
    if (start) {
      protocol.start();
      drain();
    }
  }

  void feed(std::string_view bytes) {
    protocol.feed(bytes);
    drain();
  }

  // Feeds one octet at a time.
  void feed_bytes(std::string_view bytes) {
    for (char c : bytes) feed(std::string_view(&c, 1));
  }

  void drain() {
    while (auto action = protocol.next()) handle(std::move(*action));
  }

  void handle(Action action) {
    if (auto* reply = std::get_if<action::Reply>(&action)) {
      output += reply->text;
      pieces.push_back(reply->text);
    } else if (std::get_if<action::StartTls>(&action)) {
      ++tls_starts;
      if (!complete_tls_later) protocol.tls_established(TlsInfo{"TLSv1.3", "TLS_AES_256_GCM_SHA384"});
    } else if (auto* auth = std::get_if<action::Authenticate>(&action)) {
      auths.push_back(*auth);
      if (auth->username == "busy@example.test") protocol.login_refused(LoginRefusal::in_use);
      else if (auth->username == "down@example.test") protocol.login_refused(LoginRefusal::unavailable);
      else if (auth->username == "alice@example.test" && auth->password == "secret") protocol.logged_in(maildrop);
      else protocol.login_refused(LoginRefusal::bad_credentials);
    } else if (auto* load = std::get_if<action::LoadMessage>(&action)) {
      loads.push_back(load->uid);
      if (load->length != 0) piece_loads.push_back(load->offset);
      auto it = messages.find(load->message_id);
      if (it == messages.end() || (load->offset != 0 && fail_later_pieces))
        protocol.message_loaded(make_error(Errc::not_found, "gone"));
      else if (load->length != 0)
        protocol.message_loaded(load->offset < it->second.size() ? it->second.substr(load->offset, load->length)
                                                                 : std::string());
      else
        protocol.message_loaded(it->second);
    } else if (auto* expunge = std::get_if<action::Expunge>(&action)) {
      expunged.push_back(expunge->uids);
      protocol.update_done(expunge_outcome);
    } else if (std::get_if<action::Close>(&action)) {
      ++closes;
    }
  }

  // Everything written since the last call.
  std::string take() {
    std::string out = std::move(output);
    output.clear();
    return out;
  }

  void login() {
    feed("USER alice@example.test\r\nPASS secret\r\n");
    take();
  }

  ServerProtocol protocol;
  Maildrop maildrop = sample_maildrop();
  std::vector<std::uint64_t> piece_loads;  // offsets of the pieces asked for
  bool fail_later_pieces = false;
  std::map<std::int64_t, std::string> messages;
  std::string output;
  std::vector<std::string> pieces;
  std::vector<action::Authenticate> auths;
  std::vector<std::uint32_t> loads;
  std::vector<std::vector<std::uint32_t>> expunged;
  Result<void> expunge_outcome;
  int tls_starts = 0;
  bool complete_tls_later = false;  // the test calls tls_established itself
  int closes = 0;
};

}  // namespace tern::pop3::testing
