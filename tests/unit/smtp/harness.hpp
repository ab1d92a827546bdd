// A test driver for ServerProtocol: plays the session, answering every
// action at once with configurable results, and records what was asked.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/protocol/server_protocol.hpp"

namespace tern::smtp::testing {

inline ProtocolConfig default_config(Mode mode = Mode::smtp) {
  ProtocolConfig config;
  config.hostname = "mail.example.test";
  config.mode = mode;
  config.tls_available = true;
  config.max_message_size = 10000;
  return config;
}

// A delivered message with its text read back from the spool.
struct Delivered {
  Envelope envelope;
  std::string message;
};

struct Harness {
  explicit Harness(ProtocolConfig config = default_config(), Connection connection = {"192.0.2.7", "client.example.net", {}},
                   bool start = true)
      : protocol(std::move(config), std::move(connection)) {
    if (start) {
      protocol.start();
      drain();
    }
  }

  void feed(std::string_view bytes) {
    protocol.feed(bytes);
    drain();
  }

  void drain() {
    while (auto action = protocol.next()) handle(std::move(*action));
  }

  void handle(Action action) {
    if (auto* reply = std::get_if<action::Reply>(&action)) {
      replies.push_back(reply->text);
      flushes.push_back(reply->flush);
    } else if (std::get_if<action::StartTls>(&action)) {
      ++tls_starts;
      if (complete_tls) protocol.tls_established(TlsInfo{"TLSv1.3", "TLS_AES_256_GCM_SHA384"});
    } else if (auto* check = std::get_if<action::CheckRecipient>(&action)) {
      checks.push_back(*check);
      protocol.recipient_checked(verdict(*check));
    } else if (auto* auth = std::get_if<action::Authenticate>(&action)) {
      auths.push_back(*auth);
      protocol.auth_result(auth->username == "alice@example.test" && auth->password == "secret",
                           auth->username);
    } else if (auto* deliver = std::get_if<action::Deliver>(&action)) {
      auto text = deliver->message.read_all();
      delivered.push_back(Delivered{std::move(deliver->envelope), text ? std::move(*text) : "<unreadable spool>"});
      protocol.delivery_done(delivery_outcome);
    } else if (auto* sender = std::get_if<action::CheckSender>(&action)) {
      sender_checks.push_back(*sender);
      protocol.sender_checked(sender_verdict(*sender));
    } else if (std::get_if<action::Close>(&action)) {
      ++closes;
    }
  }

  // The three-digit codes of the replies so far, in order.
  std::vector<std::string> codes() const {
    std::vector<std::string> out;
    for (const std::string& reply : replies) out.push_back(reply.substr(0, 3));
    return out;
  }
  const std::string& last() const { return replies.back(); }
  std::string all() const {
    std::string out;
    for (const std::string& reply : replies) out += reply;
    return out;
  }
  void clear() {
    replies.clear();
    flushes.clear();
  }

  ServerProtocol protocol;
  std::vector<std::string> replies;
  std::vector<bool> flushes;
  std::vector<action::CheckRecipient> checks;
  std::vector<action::CheckSender> sender_checks;
  std::function<SenderVerdict(const action::CheckSender&)> sender_verdict =
      [](const action::CheckSender& c) {
        return c.address.str() == c.auth_user ? SenderVerdict::accept : SenderVerdict::not_owned;
      };
  std::vector<action::Authenticate> auths;
  std::vector<Delivered> delivered;
  int tls_starts = 0;
  int closes = 0;
  bool complete_tls = true;
  std::function<RecipientVerdict(const action::CheckRecipient&)> verdict =
      [](const action::CheckRecipient&) { return RecipientVerdict::accept; };
  Result<std::string> delivery_outcome = std::string("Q1");
};

}  // namespace tern::smtp::testing
