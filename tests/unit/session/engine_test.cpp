// The session engine with a toy line protocol (each line is echoed back;
// "quit" ends; "hold" starts a transaction that "done" ends): what the
// engine does for every protocol, independent of SMTP, POP3 and IMAP.
#include "harness.hpp"
#include "session/engine.hpp"

namespace tern::session::testing {
namespace {

struct Events {
  int timeouts = 0;
  int session_timeouts = 0;
  int shutdowns = 0;
  int evictions = 0;
  int disconnects = 0;
  bool started = false;
};

class EchoHandler final : public Handler {
 public:
  EchoHandler(const SessionEnv& env, std::shared_ptr<net::Connection> connection, std::uint64_t id, Events& events)
      : engine_(env, std::move(connection), id, out_), events_(events) {}

  asio::awaitable<void> run() { co_await engine_.run(*this); }

  void start() override {
    events_.started = true;
    out_ += "hello\r\n";
  }
  asio::awaitable<bool> pump() override {
    for (;;) {
      const auto lf = in_.find('\n');
      if (lf == std::string::npos) break;
      std::string line = in_.substr(0, lf);
      in_.erase(0, lf + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line == "quit") {
        out_ += "bye\r\n";
        closed_ = true;
        break;
      }
      if (line == "hold") busy_ = true;
      if (line == "done") busy_ = false;
      if (line == "login") logged_in_ = true;
      if (!co_await engine_.reply("echo " + line + "\r\n", false)) co_return false;
    }
    co_return true;
  }
  bool closed() const override { return closed_; }
  bool idle() const override { return !busy_ && in_.empty(); }
  bool authenticated() const override { return logged_in_; }
  bool receiving() const override { return !in_.empty(); }
  void feed(std::string_view bytes) override { in_ += bytes; }
  std::chrono::seconds read_timeout() const override { return engine_.env().config.limits.command_timeout; }
  void on_timeout() override {
    ++events_.timeouts;
    out_ += "timeout\r\n";
    closed_ = true;
  }
  void on_session_timeout() override {
    ++events_.session_timeouts;
    out_ += "too long\r\n";
    closed_ = true;
  }
  void on_shutdown() override {
    ++events_.shutdowns;
    out_ += "stopping\r\n";
    closed_ = true;
  }
  void on_evicted() override {
    ++events_.evictions;
    out_ += "evicted\r\n";
    closed_ = true;
  }
  void on_disconnect() override { ++events_.disconnects; }

 private:
  std::string out_;
  Engine engine_;
  Events& events_;
  std::string in_;
  bool closed_ = false;
  bool busy_ = false;
  bool logged_in_ = false;
};

class EngineTest : public SessionTest {
 protected:
  Client& echo(Protocol protocol = Protocol::smtp) {
    return connect(protocol, [this](const SessionEnv& env, std::shared_ptr<net::Connection> c,
                                    std::uint64_t id) -> asio::awaitable<void> {
      EchoHandler handler(env, std::move(c), id, events_);
      co_await handler.run();
    });
  }
  Events events_;
};

TEST_F(EngineTest, PipelinedLinesAreAnsweredInOneWrite) {
  Client& c = echo();
  EXPECT_EQ(c.expect("\r\n"), "hello\r\n");
  c.send("one\r\ntwo\r\nthree\r\n");
  EXPECT_EQ(c.expect("three"), "echo one\r\necho two\r\necho three\r\n");
  EXPECT_EQ(c.command("quit", "bye"), "bye\r\n");
  c.run_to_end();
  EXPECT_TRUE(c.finished());
  EXPECT_TRUE(c.connection().closed() || c.finished());
}

TEST_F(EngineTest, ImplicitTlsListenersHandshakeFirst) {
  Client& c = echo(Protocol::pop3s);
  c.expect("hello");
  EXPECT_TRUE(c.connection().secure());
  EXPECT_EQ(c.connection().handshakes(), 1u);
}

TEST_F(EngineTest, FailedImplicitHandshakeNeverStartsTheProtocol) {
  auto env = std::make_unique<SessionEnv>(
      SessionEnv{config_, Protocol::imaps, *store_, *tls_, *authenticator_, throttle_, stopping_, nullptr});
  auto connection = std::make_shared<net::MemoryConnection>(io_.get_executor());
  connection->fail_next_handshake();
  clients_.push_back(std::make_unique<Client>(io_, std::move(env), connection));
  clients_.back()->start(
      [this](const SessionEnv& e, std::shared_ptr<net::Connection> conn, std::uint64_t id) -> asio::awaitable<void> {
        EchoHandler handler(e, std::move(conn), id, events_);
        co_await handler.run();
      },
      1);
  EXPECT_EQ(clients_.back()->run_to_end(), "");
  EXPECT_FALSE(events_.started);
}

TEST_F(EngineTest, SilenceEndsInTheProtocolsTimeout) {
  config_.limits.command_timeout = 1s;
  Client& c = echo();
  c.expect("hello");
  EXPECT_EQ(c.run_to_end(4000ms), "timeout\r\n");
  EXPECT_EQ(events_.timeouts, 1);
}

TEST_F(EngineTest, SessionTimeLimit) {
  config_.limits.session_timeout = 0s;
  Client& c = echo();
  EXPECT_EQ(c.run_to_end(), "hello\r\ntoo long\r\n");
  EXPECT_EQ(events_.session_timeouts, 1);
}

// Sends one byte of a line that never ends every `interval` until the
// session ends (or `limit` passes); the time that took.
std::chrono::milliseconds trickle(Client& c, std::chrono::milliseconds interval, std::chrono::milliseconds limit,
                                  std::string& said) {
  const auto begun = std::chrono::steady_clock::now();
  while (!c.finished() && std::chrono::steady_clock::now() - begun < limit) {
    c.send("x");
    c.run_for(interval);
  }
  said += c.run_to_end(100ms);
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - begun);
}

TEST_F(EngineTest, ACommandTrickledInIsBoundedAsAWhole) {
  // Every read comes well within command_timeout, but the line never ends:
  // the deadline is on the whole command (slowloris).
  config_.limits.command_timeout = 2s;
  Client& c = echo();
  c.expect("hello");
  std::string said;
  const auto took = trickle(c, 300ms, 8000ms, said);
  EXPECT_EQ(said, "timeout\r\n");
  EXPECT_EQ(events_.timeouts, 1);
  EXPECT_GE(took, 1900ms);
  EXPECT_LE(took, 4000ms);
}

TEST_F(EngineTest, TheCommandDeadlineGrowsWithWhatArrives) {
  // min_data_rate: a command that keeps coming at the rate is not cut.
  config_.limits.command_timeout = 1s;
  config_.limits.min_data_rate = 1000;
  Client& c = echo();
  c.expect("hello");
  const std::string chunk(1500, 'x');  // 1.5 s of allowance per 0.3 s
  for (int i = 0; i < 10; ++i) {
    c.send(chunk);
    c.run_for(300ms);
  }
  EXPECT_FALSE(c.finished());
  EXPECT_EQ(c.command("", "echo"), "echo " + std::string(15000, 'x') + "\r\n");
  EXPECT_EQ(events_.timeouts, 0);
}

TEST_F(EngineTest, CompleteCommandsEachGetTheirOwnDeadline) {
  config_.limits.command_timeout = 1s;
  Client& c = echo();
  c.expect("hello");
  for (int i = 0; i < 8; ++i) {
    c.send("a");
    c.run_for(200ms);
    EXPECT_EQ(c.command("b", "echo"), "echo ab\r\n");
  }
  EXPECT_FALSE(c.finished());
  EXPECT_EQ(events_.timeouts, 0);
}

TEST_F(EngineTest, LoginDeadlineBoundsThePhaseBeforeLogin) {
  config_.limits.login_timeout = 1s;
  Client& c = echo(Protocol::imap);
  c.expect("hello");
  std::string said;
  for (int i = 0; i < 10 && !c.finished(); ++i) said += c.command("noop", "echo noop", 300ms);
  said += c.run_to_end(2000ms);
  EXPECT_NE(said.find("too long\r\n"), std::string::npos) << said;
  EXPECT_EQ(events_.session_timeouts, 1);
}

TEST_F(EngineTest, LoggedInSessionsAreFreeOfTheLoginDeadline) {
  config_.limits.login_timeout = 1s;
  Client& c = echo(Protocol::pop3);
  c.expect("hello");
  c.command("login", "echo login");
  for (int i = 0; i < 6; ++i) c.command("noop", "echo noop", 300ms);
  EXPECT_FALSE(c.finished());
  EXPECT_EQ(events_.session_timeouts, 0);
}

TEST_F(EngineTest, PortTwentyFiveHasNoLoginDeadline) {
  config_.limits.login_timeout = 1s;
  Client& c = echo(Protocol::smtp);
  c.expect("hello");
  for (int i = 0; i < 6; ++i) c.command("noop", "echo noop", 300ms);
  EXPECT_FALSE(c.finished());
}

TEST_F(EngineTest, StressShortensTheWaitOfClientsNotLoggedIn) {
  config_.limits.command_timeout = 30s;
  config_.limits.stress_timeout = 1s;
  stress_ = true;
  Client& quiet = echo();
  Client& logged_in = echo();
  quiet.expect("hello");
  logged_in.expect("hello");
  logged_in.command("login", "echo login");
  EXPECT_EQ(quiet.run_to_end(3000ms), "timeout\r\n");
  EXPECT_FALSE(logged_in.finished());
  EXPECT_EQ(events_.timeouts, 1);
}

TEST_F(EngineTest, AnEvictedSessionSaysGoodbye) {
  Client& c = echo();
  c.expect("hello");
  c.run_for(50ms);
  ASSERT_TRUE(c.connection().idle());
  c.connection().evict();
  EXPECT_EQ(c.run_to_end(), "evicted\r\n");
  EXPECT_EQ(events_.evictions, 1);
  EXPECT_EQ(events_.timeouts, 0);
}

TEST_F(EngineTest, ShutdownWaitsForTheSessionToBeIdle) {
  Client& c = echo();
  c.expect("hello");
  c.command("hold", "echo hold");
  stop_server();  // not idle: not interrupted
  c.run_for(100ms);
  EXPECT_FALSE(c.finished());
  EXPECT_EQ(c.command("done", "stopping"), "echo done\r\nstopping\r\n");
  c.run_to_end();
  EXPECT_TRUE(c.finished());
  EXPECT_EQ(events_.shutdowns, 1);
}

TEST_F(EngineTest, IdleSessionIsWokenByShutdown) {
  Client& c = echo();
  c.expect("hello");
  c.run_for(50ms);
  EXPECT_TRUE(c.connection().idle());
  stop_server();
  EXPECT_EQ(c.run_to_end(), "stopping\r\n");
}

TEST_F(EngineTest, ClientGoingAwayIsADisconnect) {
  Client& c = echo();
  c.expect("hello");
  c.send("partial line without end");
  c.close_input();
  c.run_to_end();
  EXPECT_TRUE(c.finished());
  EXPECT_EQ(events_.disconnects, 1);
}

TEST_F(EngineTest, ClearTextBehindStartTlsIsFoundBeforeTheGoAhead) {
  auto env = std::make_unique<SessionEnv>(
      SessionEnv{config_, Protocol::smtp, *store_, *tls_, *authenticator_, throttle_, stopping_, nullptr});
  auto connection = std::make_shared<net::MemoryConnection>(io_.get_executor());
  std::string out;
  Engine engine(*env, connection, 1, out);
  EXPECT_FALSE(engine.cleartext_behind_starttls());
  connection->send("injected\r\n");
  EXPECT_TRUE(engine.cleartext_behind_starttls());
}

TEST_F(EngineTest, StartTlsWritesTheGoAheadThenHandshakes) {
  auto env = std::make_unique<SessionEnv>(
      SessionEnv{config_, Protocol::smtp, *store_, *tls_, *authenticator_, throttle_, stopping_, nullptr});
  auto connection = std::make_shared<net::MemoryConnection>(io_.get_executor());
  std::string out = "ready\r\n";
  Engine engine(*env, connection, 1, out);
  auto info = run_blocking(engine.start_tls());
  ASSERT_TRUE(info);
  EXPECT_EQ(info->version, "TLSv1.3");
  EXPECT_EQ(connection->take_output(), "ready\r\n");
  EXPECT_EQ(connection->handshakes(), 1u);
  connection->fail_next_handshake();
  EXPECT_FALSE(run_blocking(engine.start_tls()));
}

TEST(IdleTimeout, RaisedToTheProtocolMinimumUnlessSetLow) {
  LimitsConfig limits;
  EXPECT_EQ(idle_timeout(limits, std::chrono::minutes(10)), std::chrono::minutes(10));
  limits.command_timeout = std::chrono::minutes(20);
  EXPECT_EQ(idle_timeout(limits, std::chrono::minutes(10)), std::chrono::minutes(20));
  limits.command_timeout = std::chrono::seconds(30);
  EXPECT_EQ(idle_timeout(limits, std::chrono::minutes(30)), std::chrono::seconds(30));
}

}  // namespace
}  // namespace tern::session::testing
