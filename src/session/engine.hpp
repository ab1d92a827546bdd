// The session engine: the one connection loop that every protocol runs.
// It owns what is the same for all of them: the TLS-first handshake of
// implicit-TLS listeners, reading with deadlines, the held output (replies
// gathered and written in one go, RFC 2920's pipelining), the STARTTLS
// upgrade, the session time limit, marking the connection idle between
// commands (so a shutdown or the connection limits may interrupt it) and the
// graceful stop. A protocol supplies a Handler: its sans-I/O core and the
// handlers for the core's actions; it never reads a socket itself.
//
//   start() -> loop { pump(); flush; stop? evicted? deadline passed? read(wait) -> feed() }
//
// What a read may wait is the shortest of: the handler's read_timeout(); the
// stress timeout while the server is under connection pressure and the
// client has not logged in; what is left of the command deadline while a
// command is being received (command_timeout, plus a second for every
// min_data_rate octets of it: a whole command is bounded, not one read);
// what is left of the login deadline (IMAP, POP3, submission); what is left
// of the session time limit.
//
// Goodbyes are the protocol's words: the engine calls on_timeout(),
// on_session_timeout() or on_shutdown() and goes on pumping, so the core
// queues its reply and closes.
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/connection.hpp"
#include "session/env.hpp"

namespace tern::session {

class Handler {
 public:
  virtual ~Handler() = default;
  // Called once the connection is ready (after the TLS handshake of an
  // implicit-TLS listener): makes the core and queues the greeting.
  virtual void start() = 0;
  // Performs everything the core has ready; false ends the session (what is
  // held is still written).
  virtual asio::awaitable<bool> pump() = 0;
  // The core has finished (QUIT, LOGOUT, a goodbye sent).
  virtual bool closed() const = 0;
  // Between commands: nothing in flight would be lost by stopping now.
  virtual bool idle() const = 0;
  virtual void feed(std::string_view bytes) = 0;
  // How long to wait for the client's next bytes.
  virtual std::chrono::seconds read_timeout() const = 0;
  // Whether the session time limit applies now (IMAP: only before login).
  virtual bool time_limited() const { return true; }
  // The client has logged in: the login deadline is over, and the
  // connection limits' stress rules no longer apply to this session.
  virtual bool authenticated() const { return false; }
  // Part of a command (a line, a message body, a literal) has arrived and
  // the rest has not: the command deadline runs.
  virtual bool receiving() const { return false; }
  // Whether a stopping server ends the session now (default: when idle).
  virtual bool stop_now() const { return idle(); }
  virtual void before_read() {}
  // Goodbyes, queued by the core in the protocol's words.
  virtual void on_timeout() = 0;
  virtual void on_session_timeout() = 0;
  virtual void on_shutdown() = 0;
  // A newcomer took this idle connection's slot (server/slots.hpp).
  virtual void on_evicted() = 0;
  // The client went away.
  virtual void on_disconnect() {}
};

class Engine {
 public:
  // `out` is where the handler queues output; flush() writes it.
  Engine(const SessionEnv& env, std::shared_ptr<net::Connection> connection, std::uint64_t id, std::string& out);

  // Runs the session to its end.
  asio::awaitable<void> run(Handler& handler);

  // Queues `text`; writes what is held when `flush_now` is set or much is held.
  asio::awaitable<bool> reply(std::string_view text, bool flush_now);
  // Writes what is held; false when the connection failed.
  asio::awaitable<bool> flush();
  // Writes what is held once much is (64 KiB): a long answer goes out as it
  // is made.
  asio::awaitable<bool> flush_if_full();
  // STARTTLS's injection rule: bytes that came in clear behind the command
  // and were not yet read would be taken for the TLS handshake or, worse,
  // read as if they came over TLS (CVE-2011-0411), so the session ends
  // instead, without the "go ahead". True (logged) when such bytes wait.
  // Ask before the "go ahead" is written: once the client has it, its
  // ClientHello may arrive at any moment. `core_holds_bytes`: the core read
  // some already (IMAP's reader; SMTP and POP3 drop theirs, RFC 3207 4.2).
  bool cleartext_behind_starttls(bool core_holds_bytes = false);
  // Writes what is held (the "go ahead"), then upgrades the connection to
  // TLS. The TLS facts on success; nullopt (logged) when the handshake
  // failed and the session must end.
  asio::awaitable<std::optional<net::TlsInfo>> start_tls();
  // Gives back the read buffer (a session waiting a long time, IMAP IDLE).
  void release_buffer() { std::vector<char>().swap(buffer_); }

  const SessionEnv& env() const { return env_; }
  net::Connection& connection() { return *connection_; }
  std::uint64_t id() const { return id_; }
  bool stopping() const { return env_.stopping; }
  // Where this session stands as a TLS listener should: TLS is available.
  bool tls_available() const { return env_.tls.current() != nullptr; }
  // Plaintext AUTH/LOGIN is allowed only when the config says so and the
  // peer is on loopback (DESIGN.md rule 3).
  bool plaintext_auth_allowed() const;

 private:
  enum class Limit { read, stress, command, login, session };
  struct Wait {
    std::chrono::seconds timeout{0};  // zero: the limit has passed already
    Limit limit = Limit::read;
  };
  using TimePoint = std::chrono::steady_clock::time_point;

  asio::awaitable<bool> handshake();
  // How long the next read may wait, and which limit that is.
  Wait next_wait(const Handler& handler, TimePoint now) const;
  // The protocol's goodbye for a limit that has passed.
  void limit_reached(Handler& handler, Limit limit);
  // Follows the command in progress after the handler has taken bytes.
  void track_command(const Handler& handler);

  const SessionEnv& env_;
  std::shared_ptr<net::Connection> connection_;
  std::uint64_t id_;
  std::string& out_;
  std::vector<char> buffer_;
  TimePoint started_{};
  std::optional<TimePoint> command_since_;  // the first bytes of the command being received
  std::uint64_t command_bytes_ = 0;
  std::optional<TimePoint> waiting_since_;  // the current wait for the client began
  TimePoint last_read_at_{};
  std::size_t last_read_bytes_ = 0;
};

// How long a session may wait for the client's next command when the
// protocol asks for a minimum (RFC 1939 3: 10 minutes; RFC 9051 5.4: 30
// minutes once logged in): a command_timeout at or above its default is
// raised to the minimum; one set lower (tests, hostile networks) applies
// as it is.
std::chrono::seconds idle_timeout(const LimitsConfig& limits, std::chrono::seconds rfc_minimum);

}  // namespace tern::session
