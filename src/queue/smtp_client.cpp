#include "queue/smtp_client.hpp"

#include <asio/co_spawn.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/this_coro.hpp>
#include <fmt/format.h>

#include <array>

#include "core/asio_tuple.hpp"
#include "queue/client_protocol.hpp"

namespace tern::queue {

namespace {

using std::chrono::seconds;

class ClientSession {
 public:
  ClientSession(const ClientOptions& options, std::string server_name, const store::OutboundSpec& spec,
                std::vector<store::QueueRecipient> recipients, std::shared_ptr<const OutboundMessage> message)
      : options_(options),
        server_name_(std::move(server_name)),
        spec_(spec),
        recipients_(std::move(recipients)),
        message_(std::move(message)) {
    result_.recipients.resize(recipients_.size());
  }

  // (No parameters: GCC 12 mis-copies some by-value coroutine parameters of member functions.)
  asio::awaitable<TransactionResult> run() {
    const asio::ip::tcp::endpoint endpoint = endpoint_;
    peer_ = fmt::format("{}[{}]:{}", server_name_, endpoint.address().to_string(), endpoint.port());
    decided_.assign(recipients_.size(), false);
    bool resumed = false;
    if (connection_) {  // an idle connection from the cache: still there?
      auto reply = co_await command("RSET\r\n", options_.timeouts.command);
      resumed = reply && reply->code == 250;
      if (!resumed) {  // closed or confused while idle: start afresh
        connection_->close();
        connection_.reset();
        reader_ = ReplyReader{};
        caps_ = Capabilities{};
      }
    }
    if (resumed) {
      co_await deliver();
    } else {
      if (!co_await connect(endpoint)) {
        finish_next(fmt::format("cannot connect to {}: {}", peer_, error_));
        co_return std::move(result_);
      }
      co_await transaction();
    }
    if (connection_) {
      if (reusable_ && options_.cache && !reader_.has_pending_bytes() && !connection_->timed_out()) {
        auto executor = co_await asio::this_coro::executor;
        options_.cache->put(key_, connection_, std::move(executor), caps_);
        co_return std::move(result_);
      }
      (void)co_await connection_->write("QUIT\r\n", seconds(10));
      if (!connection_->timed_out()) (void)co_await read_reply(seconds(10));
      connection_->close();
    }
    co_return std::move(result_);
  }

  // Continues on an idle connection from the cache (run() checks it with RSET).
  void resume(ConnectionCache::Idle idle) {
    connection_ = std::move(idle.connection);
    caps_ = idle.caps;
  }

 private:
  asio::awaitable<bool> connect(const asio::ip::tcp::endpoint& endpoint) {
    auto executor = co_await asio::this_coro::executor;
    asio::ip::tcp::socket socket(executor);
    asio::steady_timer timer(executor, options_.timeouts.connect);
    bool timed_out = false;
    timer.async_wait([&](asio::error_code ec) {
      if (!ec) {
        timed_out = true;
        asio::error_code ignored;
        socket.cancel(ignored);
      }
    });
    auto [ec] = co_await socket.async_connect(endpoint, use_tuple);
    timer.cancel();
    if (ec) {
      error_ = timed_out ? "connection timed out" : ec.message();
      co_return false;
    }
    connection_ = std::make_shared<net::TcpConnection>(std::move(socket));
    if (options_.on_connect) options_.on_connect(connection_);
    co_return true;
  }

  // The next reply, or nullopt with error_ set when the connection failed.
  asio::awaitable<std::optional<Reply>> read_reply(seconds timeout) {
    std::array<char, 4096> buffer;
    while (true) {
      auto next = reader_.next();
      if (!next) {
        error_ = fmt::format("protocol error from {}: {}", peer_, next.error().message);
        co_return std::nullopt;
      }
      if (*next) co_return std::move(**next);
      auto [ec, n] = co_await connection_->read_some(buffer.data(), buffer.size(), timeout);
      if (ec) {
        error_ = connection_->timed_out() ? fmt::format("timeout waiting for {}", peer_)
                                          : fmt::format("connection to {} lost: {}", peer_, ec.message());
        co_return std::nullopt;
      }
      reader_.feed(std::string_view(buffer.data(), n));
    }
  }

  asio::awaitable<bool> send(std::string_view text, seconds timeout) {
    auto ec = co_await connection_->write(text, timeout);
    if (ec) {
      error_ = connection_->timed_out() ? fmt::format("timeout writing to {}", peer_)
                                        : fmt::format("connection to {} lost: {}", peer_, ec.message());
      co_return false;
    }
    co_return true;
  }

  asio::awaitable<std::optional<Reply>> command(std::string_view text, seconds timeout) {
    std::optional<Reply> reply;
    if (co_await send(text, timeout)) reply = co_await read_reply(timeout);
    co_return reply;
  }

  // EHLO, falling back to HELO when EHLO is not understood.
  asio::awaitable<bool> hello() {
    auto reply = co_await command(fmt::format("EHLO {}\r\n", options_.helo_name), options_.timeouts.command);
    if (!reply) co_return false;
    if (reply->code == 250) {
      caps_ = parse_ehlo(*reply);
      co_return true;
    }
    if (reply->permanent()) {
      auto helo = co_await command(fmt::format("HELO {}\r\n", options_.helo_name), options_.timeouts.command);
      if (!helo) co_return false;
      if (helo->code == 250) {
        caps_ = Capabilities{};
        co_return true;
      }
      reply = std::move(helo);
    }
    error_ = fmt::format("{} refused our greeting: {}", peer_, reply->summary());
    co_return false;
  }

  // Nothing decided here: every recipient stays pending, another host may be tried.
  void finish_next(std::string error) {
    result_.try_next = true;
    result_.error = std::move(error);
    for (auto& r : result_.recipients) r = local_outcome(Verdict::transient, "4.4.1", result_.error);
  }

  RecipientOutcome local_outcome(Verdict verdict, std::string status, const std::string& text) const {
    return RecipientOutcome{verdict, std::move(status), "X-tern; " + text, {}};
  }

  RecipientOutcome remote_outcome(const Reply& reply) const {
    Verdict verdict = reply.positive() ? Verdict::delivered : reply.transient() ? Verdict::transient : Verdict::permanent;
    return RecipientOutcome{verdict, reply.status(), "smtp; " + reply.summary(), server_name_};
  }

  void all(const RecipientOutcome& outcome) {
    for (auto& r : result_.recipients) r = outcome;
  }

  void all_undecided(const RecipientOutcome& outcome) {
    for (std::size_t i = 0; i < result_.recipients.size(); ++i)
      if (!decided_[i]) result_.recipients[i] = outcome;
  }

  asio::awaitable<void> transaction() {
    auto greeting = co_await read_reply(options_.timeouts.greeting);
    if (!greeting) {
      finish_next(error_);
      co_return;
    }
    if (greeting->code != 220) {
      finish_next(fmt::format("{} greeted with {}", peer_, greeting->summary()));
      co_return;
    }
    if (!co_await hello()) {
      finish_next(error_);
      co_return;
    }
    if (caps_.starttls && options_.tls) {
      auto reply = co_await command("STARTTLS\r\n", options_.timeouts.command);
      if (!reply) {
        finish_next(error_);
        co_return;
      }
      if (reply->code == 220) {
        if (reader_.has_pending_bytes()) {  // RFC 3207 5: nothing may follow the 220 in plain text
          finish_next(fmt::format("{} sent data after its STARTTLS reply", peer_));
          co_return;
        }
        auto ec = co_await connection_->start_tls_client(options_.tls, server_name_, options_.timeouts.command);
        if (ec) {
          finish_next(fmt::format("TLS handshake with {} failed: {}", peer_, ec.message()));
          connection_->close();
          connection_.reset();
          co_return;
        }
        if (!co_await hello()) {
          finish_next(error_);
          co_return;
        }
      }
    }
    if (!options_.auth_user.empty()) {
      // DESIGN.md rule 3: credentials never cross an unencrypted connection.
      if (!connection_->secure()) {
        finish_next(fmt::format("{} does not offer STARTTLS; the smarthost credentials were not sent", peer_));
        co_return;
      }
      if (!caps_.auth_plain) {
        finish_next(fmt::format("{} does not offer AUTH PLAIN", peer_));
        co_return;
      }
      auto reply = co_await command(auth_plain_command(options_.auth_user, options_.auth_password),
                                    options_.timeouts.command);
      if (!reply) {
        finish_next(error_);
        co_return;
      }
      if (reply->code != 235) {
        // A rejected login is the operator's to fix: keep the mail queued.
        finish_next(fmt::format("{} refused our login: {}", peer_, reply->summary()));
        co_return;
      }
    }
    co_await deliver();
  }

  // The mail transaction on a connection that is ready for MAIL.
  asio::awaitable<void> deliver() {
    if (spec_.smtputf8 && !caps_.smtputf8) {  // RFC 6531 3.4
      all(local_outcome(Verdict::permanent, "5.6.7",
                        fmt::format("{} does not support SMTPUTF8, which the message needs", server_name_)));
      reusable_ = true;
      co_return;
    }
    if (caps_.size && *caps_.size > 0 && message_->size > *caps_.size) {  // RFC 1870 6.1
      all(local_outcome(Verdict::permanent, "5.3.4",
                        fmt::format("the message ({} octets) exceeds the limit of {} ({} octets)", message_->size,
                                    server_name_, *caps_.size)));
      reusable_ = true;
      co_return;
    }
    co_await mail_transaction();
  }

  // The message text after the 354: the head, then the rest of a large
  // message a piece at a time, dot-stuffed on the way, then ".".
  asio::awaitable<bool> send_data() {
    DataStuffer stuffer;
    std::string out;
    stuffer.feed(message_->head, out);
    for (std::uint64_t offset = message_->rest_offset; offset < message_->size;) {
      if (!co_await send(out, std::max(options_.timeouts.data_block, seconds(static_cast<long>(out.size() / 8192)))))
        co_return false;
      out.clear();
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(outbound_piece, message_->size - offset));
      auto piece = co_await message_->read_part(offset, want);
      if (!piece || piece->size() != want) {
        if (piece) error_ = "the stored message is shorter than its size";
        else error_ = "cannot read the message: " + piece.error().message;
        connection_->close();  // without the final dot the server keeps nothing
        co_return false;
      }
      stuffer.feed(*piece, out);
      offset += want;
    }
    stuffer.finish(out);
    co_return co_await send(out, std::max(options_.timeouts.data_block, seconds(static_cast<long>(out.size() / 8192))));
  }

  asio::awaitable<void> mail_transaction() {
    const std::string mail = mail_command(spec_, message_->size, caps_);
    std::vector<std::string> rcpts;
    for (const auto& r : recipients_) rcpts.push_back(rcpt_command(r, caps_));
    const bool pipelined = caps_.pipelining;
    if (pipelined) {
      std::string group = mail;
      for (const auto& r : rcpts) group += r;
      group += "DATA\r\n";
      if (!co_await send(group, options_.timeouts.command)) co_return fail_undecided();
    } else if (!co_await send(mail, options_.timeouts.command)) {
      co_return fail_undecided();
    }
    auto mail_reply = co_await read_reply(options_.timeouts.command);
    if (!mail_reply) co_return fail_undecided();
    if (!mail_reply->positive()) {
      all(remote_outcome(*mail_reply));
      // The sender refused for a while: another MX host may take it.
      if (mail_reply->transient()) result_.try_next = true;
      result_.error = fmt::format("{} refused MAIL: {}", peer_, mail_reply->summary());
      co_return;
    }
    std::size_t accepted = 0;
    for (std::size_t i = 0; i < recipients_.size(); ++i) {
      if (!pipelined && !co_await send(rcpts[i], options_.timeouts.command)) co_return fail_undecided();
      auto reply = co_await read_reply(options_.timeouts.command);
      if (!reply) co_return fail_undecided();
      if (reply->positive()) {
        ++accepted;
        continue;  // decided by the final reply
      }
      result_.recipients[i] = remote_outcome(*reply);
      decided_[i] = true;
    }
    std::optional<Reply> data_reply;
    if (pipelined || accepted > 0) {
      if (!pipelined && !co_await send("DATA\r\n", options_.timeouts.command)) co_return fail_undecided();
      data_reply = co_await read_reply(options_.timeouts.data_start);
      if (!data_reply) co_return fail_undecided();
    }
    if (accepted == 0) {
      // After an empty data section the server's reply is not read: the connection is not reused.
      if (data_reply && data_reply->code == 354) co_await send(".\r\n", options_.timeouts.data_end);
      else reusable_ = true;
      co_return;
    }
    if (data_reply->code != 354) {
      all_undecided(remote_outcome(*data_reply));
      reusable_ = true;
      co_return;
    }
    if (!co_await send_data()) co_return fail_undecided();
    auto final_reply = co_await read_reply(options_.timeouts.data_end);
    if (!final_reply) co_return fail_undecided();
    all_undecided(remote_outcome(*final_reply));
    reusable_ = true;  // the transaction is over either way; the session may start another
  }

  void fail_undecided() {
    all_undecided(local_outcome(Verdict::transient, "4.4.2", error_));
    result_.error = error_;
  }

  const ClientOptions& options_;
 public:
  asio::ip::tcp::endpoint endpoint_;
  std::string key_;  // in the connection cache

 private:
  std::string server_name_;
  const store::OutboundSpec& spec_;
  std::vector<store::QueueRecipient> recipients_;
  std::shared_ptr<const OutboundMessage> message_;
  std::shared_ptr<net::Connection> connection_;
  ReplyReader reader_;
  Capabilities caps_;
  std::string peer_;
  std::string error_;
  std::vector<bool> decided_;
  bool reusable_ = false;  // the last transaction ended with the server ready for the next
  TransactionResult result_;
};

}  // namespace

asio::awaitable<TransactionResult> send_message(const ClientOptions& options, asio::ip::tcp::endpoint endpoint,
                                                std::string server_name, const store::OutboundSpec& spec,
                                                std::vector<store::QueueRecipient> recipients,
                                                std::shared_ptr<const OutboundMessage> message) {
  auto session = std::make_shared<ClientSession>(options, std::move(server_name), spec, std::move(recipients),
                                                 std::move(message));
  session->endpoint_ = endpoint;
  session->key_ = fmt::format("{}[{}]:{}|{}", server_name, endpoint.address().to_string(), endpoint.port(),
                              options.auth_user);
  std::optional<ConnectionCache::Idle> idle;
  if (options.cache) idle = options.cache->take(session->key_);
  if (idle) {
    // On the connection's own strand, where its timer and socket handlers run.
    const asio::any_io_executor executor = idle->executor;
    session->resume(std::move(*idle));
    auto work = session->run();
    auto done = asio::co_spawn(executor, std::move(work), asio::use_awaitable);
    TransactionResult reused = co_await std::move(done);
    co_return reused;
  }
  TransactionResult result = co_await session->run();
  co_return result;
}

std::optional<ConnectionCache::Idle> ConnectionCache::take(const std::string& key) {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  auto [first, last] = idle_.equal_range(key);
  for (auto it = last; it != first;) {
    --it;
    if (it->second.until < now) continue;  // left for expire()
    Idle idle = std::move(it->second);
    idle_.erase(it);
    return idle;
  }
  return std::nullopt;
}

void ConnectionCache::put(const std::string& key, std::shared_ptr<net::Connection> connection,
                          asio::any_io_executor executor, const Capabilities& caps) {
  std::lock_guard lock(mutex_);
  idle_.emplace(key, Idle{std::move(connection), std::move(executor), caps,
                          std::chrono::steady_clock::now() + idle_limit_});
}

void ConnectionCache::expire() {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(idle_, [now](const auto& item) {
    if (item.second.until >= now) return false;
    item.second.connection->close_from_outside();
    return true;
  });
}

void ConnectionCache::close_all() {
  std::lock_guard lock(mutex_);
  for (auto& [key, idle] : idle_) idle.connection->close_from_outside();
  idle_.clear();
}

}  // namespace tern::queue
