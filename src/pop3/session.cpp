// The POP3 session: the protocol's handler for the session engine. It
// performs the core's actions in order (long responses go out a piece at a
// time).
// The login (throttle, authenticator, maildrop lock, INBOX snapshot) and the
// durable removal on QUIT (DESIGN.md rule 1) live here.
#include "pop3/session.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/steady_timer.hpp>

#include <algorithm>
#include <optional>

#include "core/asio_tuple.hpp"
#include "core/log.hpp"
#include "pop3/maildrop_lock.hpp"
#include "pop3/protocol/server_protocol.hpp"
#include "session/core_handler.hpp"
#include "session/login.hpp"
#include "store/batch.hpp"

namespace tern::pop3 {

namespace {

// Messages read in one trip to the store, at most 512 KiB held per session.
constexpr store::BatchBound read_ahead{8, 512 * 1024, false};

// Messages read before the client asks for them: clients RETR one message
// after another, so while one is sent the next few are read from the store
// in one trip (one hand-off to a store thread instead of one per message).
// Runs on the session's executor; shared with the coroutine that reads, which
// may outlive the session.
struct ReadAhead {
  ReadAhead(const asio::any_io_executor& executor, std::vector<store::Id> ids)
      : message_ids(std::move(ids)), ready(executor) {}
  std::vector<store::Id> message_ids;
  std::optional<Result<std::vector<store::MessageForFetch>>> messages;  // set once read, in message_ids' order
  asio::steady_timer ready;  // cancelled once read, to wake a waiting session
};

using CoreHandler =
    session::CoreHandler<ServerProtocol, Action, action::Reply, action::StartTls, action::Close, TlsInfo>;

class Session final : public CoreHandler {
 public:
  using CoreHandler::CoreHandler;

  asio::awaitable<void> run() {
    executor_ = co_await asio::this_coro::executor;
    co_await engine_.run(*this);
  }

  void start() override {
    core_.emplace(make_config(), tls_facts());
    core_->start();
  }

  // RFC 1939 has no reply for a command cut short: a stopping server answers
  // the pending command and ends the session at once.
  bool stop_now() const override { return true; }
  std::chrono::seconds read_timeout() const override { return idle_timeout(env_.config.limits); }
  void on_disconnect() override {
    // The client went away: nothing is removed (RFC 1939 6).
    if (core_->state() == ServerProtocol::State::transaction)
      log::info("session={} event=dropped_in_transaction removed=0", id_);
  }

 private:
  ProtocolConfig make_config() const {
    ProtocolConfig c;
    c.hostname = env_.config.hostname;
    c.mode = env_.protocol == Protocol::pop3s ? Mode::pop3s : Mode::pop3;
    c.tls_available = engine_.tls_available();
    c.allow_plaintext_auth = engine_.plaintext_auth_allowed();
    return c;
  }

  // Performs one of POP3's own actions; false ends the session.
  asio::awaitable<bool> perform(Action& action) override {
    if (auto* login = std::get_if<action::Authenticate>(&action)) {
      co_await authenticate(*login);
      co_return true;
    }
    if (auto* load = std::get_if<action::LoadMessage>(&action)) {
      if (load->length != 0) {
        // A piece of a large message (RETR in pieces), straight from the store.
        auto piece = co_await env_.store.read_message_part(load->message_id, load->offset, load->length);
        if (!piece)
          log::error("session={} event=store_error op=read_message_part uid={} error={}", id_, load->uid,
                     log::kv(piece.error().message));
        else if (load->offset == 0)
          log::debug("session={} event=retrieve uid={} pieces=true", id_, load->uid);
        core_->message_loaded(std::move(piece));
        co_return true;
      }
      auto message = co_await read_message(load->message_id, load->uid);
      if (!message)
        log::error("session={} event=store_error op=read_message uid={} error={}", id_, load->uid,
                   log::kv(message.error().message));
      else
        log::debug("session={} event=retrieve uid={} size={}", id_, load->uid, message->size());
      core_->message_loaded(std::move(message));
      co_return true;
    }
    if (auto* expunge = std::get_if<action::Expunge>(&action)) co_await remove(*expunge);
    co_return true;
  }

  // The message, from the read-ahead when it has it; once the read-ahead is
  // used up, starts reading the messages after it.
  asio::awaitable<Result<std::string>> read_message(std::int64_t message_id, std::uint32_t uid) {
    std::optional<Result<std::string>> message;
    bool last = true;
    if (read_ahead_) {
      const auto& ids = read_ahead_->message_ids;
      const auto found = std::find(ids.begin(), ids.end(), message_id);
      if (found != ids.end()) {
        auto ahead = read_ahead_;
        if (!ahead->messages) {
          ahead->ready.expires_at(asio::steady_timer::time_point::max());
          co_await ahead->ready.async_wait(use_tuple);
        }
        const auto index = static_cast<std::size_t>(found - ids.begin());
        last = index + 1 == ids.size();
        // A message gone from the store comes back empty: read it again for
        // the proper answer.
        if (ahead->messages && *ahead->messages && index < (*ahead->messages)->size() &&
            !(**ahead->messages)[index].data.empty())
          message = std::move((**ahead->messages)[index].data);
      }
    }
    if (last) start_read_ahead(uid);
    if (!message) message = co_await env_.store.read_message(message_id);
    co_return std::move(*message);
  }

  void start_read_ahead(std::uint32_t uid) {
    read_ahead_.reset();
    const auto next = static_cast<std::size_t>(
        std::upper_bound(entries_.begin(), entries_.end(), uid,
                         [](std::uint32_t u, const MaildropEntry& e) { return u < e.uid; }) -
        entries_.begin());
    const std::size_t end = store::batch_end(next, entries_.size(), read_ahead,
                                             [&](std::size_t i) { return entries_[i].size; });
    std::vector<store::Id> ids;
    for (std::size_t i = next; i < end; ++i) ids.push_back(entries_[i].message_id);
    if (ids.empty()) return;
    auto ahead = std::make_shared<ReadAhead>(executor_, std::move(ids));
    read_ahead_ = ahead;
    asio::co_spawn(
        executor_,
        [ahead, &store = env_.store]() -> asio::awaitable<void> {
          try {
            ahead->messages = co_await store.messages_for_fetch(ahead->message_ids, true);
          } catch (const std::exception&) {
            // Left unset: the session reads the messages itself.
          }
          ahead->ready.cancel();
        },
        asio::detached);
  }

  asio::awaitable<void> authenticate(const action::Authenticate& login) {
    auto outcome = co_await session::login(env_, id_, connection_->peer_address(), login.mechanism, login.username,
                                           login.password);
    switch (outcome.status) {
      case session::LoginStatus::ok: break;
      case session::LoginStatus::unavailable: core_->login_refused(LoginRefusal::unavailable); co_return;
      case session::LoginStatus::failed:
      case session::LoginStatus::throttled: core_->login_refused(LoginRefusal::bad_credentials); co_return;
    }
    const store::Account& account = *outcome.account;
    auto lock = MaildropLock::acquire(account.id);
    if (!lock) {
      log::info("session={} event=maildrop_in_use user={}", id_, log::kv(account.address));
      core_->login_refused(LoginRefusal::in_use);
      co_return;
    }
    auto maildrop = co_await load_maildrop(account.id);
    if (!maildrop) {
      log::error("session={} event=store_error op=load_maildrop user={} error={}", id_, log::kv(account.address),
                 log::kv(maildrop.error().message));
      core_->login_refused(LoginRefusal::unavailable);
      co_return;
    }
    lock_ = std::move(lock);
    log::info("session={} event=maildrop user={} messages={}", id_, log::kv(account.address),
              maildrop->entries.size());
    core_->logged_in(std::move(*maildrop));
  }

  // The INBOX as it is now: the maildrop for the whole session (RFC 1939 8).
  asio::awaitable<Result<Maildrop>> load_maildrop(store::Id account_id) {
    auto mailbox = co_await env_.store.find_mailbox(account_id, "INBOX");
    if (!mailbox) co_return std::move(mailbox).error();
    if (!*mailbox) co_return make_error(Errc::not_found, "the account has no INBOX");
    auto entries = co_await env_.store.list_entries((*mailbox)->id);
    if (!entries) co_return std::move(entries).error();
    mailbox_id_ = (*mailbox)->id;
    Maildrop maildrop;
    maildrop.uidvalidity = (*mailbox)->uidvalidity;
    maildrop.entries.reserve(entries->size());
    for (const store::MailEntry& entry : *entries)
      maildrop.entries.push_back(MaildropEntry{entry.uid, entry.size, entry.message_id});
    entries_ = maildrop.entries;
    co_return maildrop;
  }

  // RFC 1939 6: the UPDATE state; the "+OK" follows only a completed (durable) expunge.
  asio::awaitable<void> remove(const action::Expunge& expunge) {
    auto removed = co_await env_.store.expunge(mailbox_id_, expunge.uids);
    if (!removed) {
      log::error("session={} event=store_error op=expunge error={}", id_, log::kv(removed.error().message));
      core_->update_done(std::move(removed).error());
      co_return;
    }
    log::info("session={} event=expunged marked={} removed={}", id_, expunge.uids.size(), removed->size());
    core_->update_done({});
  }

  std::optional<MaildropLock> lock_;  // held from login to the end of the session
  store::Id mailbox_id_ = 0;
  asio::any_io_executor executor_;
  std::vector<MaildropEntry> entries_;  // the maildrop (UID order), for the read-ahead
  std::shared_ptr<ReadAhead> read_ahead_;
};

}  // namespace

asio::awaitable<void> run_session(const SessionEnv& env, std::shared_ptr<net::Connection> connection,
                                  std::uint64_t id) {
  Session session(env, std::move(connection), id);
  co_await session.run();
}

}  // namespace tern::pop3
