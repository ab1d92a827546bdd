#include "core/config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tern {
namespace {

Result<Config> parse(const std::string& text) { return parse_config(text, "t.toml", "/etc/tern"); }

std::string error_of(const std::string& text) {
  auto r = parse(text);
  EXPECT_FALSE(r.ok()) << text;
  return r ? std::string() : r.error().message;
}

TEST(Config, FullExample) {
  auto r = parse(R"(
hostname = "Mail.Example.TEST"
data_dir = "var"
user = "tern"
[store]
backend = "sqlite"
[tls]
cert = "/etc/ssl/a.pem"
key = "b.pem"
[dns]
servers = ["127.0.0.1:5353"]
[queue]
retry = ["1m", "2h"]
max_age = "3d"
warn_after = "4h"
[relay]
smarthost = "relay.example.net:587"
[relay.routes]
"other.test" = "127.0.0.2:25"
[limits]
max_message_size = "10M"
max_recipients = 7
command_timeout = "30s"
[auth]
allow_plaintext_loopback = true
[[listen]]
protocol = "smtp"
address = "127.0.0.1:2525"
[[listen]]
protocol = "imaps"
address = "[::1]:993"
)");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Config& c = *r;
  EXPECT_EQ(c.hostname, "mail.example.test");
  EXPECT_EQ(c.data_dir, "/etc/tern/var");
  EXPECT_EQ(c.tls.cert, "/etc/ssl/a.pem");
  EXPECT_EQ(c.tls.key, "/etc/tern/b.pem");
  EXPECT_EQ(c.dns.servers.size(), 1u);
  ASSERT_EQ(c.queue.retry.size(), 2u);
  EXPECT_EQ(c.queue.retry[1].count(), 7200);
  EXPECT_EQ(c.queue.max_age.count(), 3 * 86400);
  EXPECT_EQ(c.queue.warn_after.count(), 4 * 3600);
  EXPECT_EQ(c.relay.routes.at("other.test"), "127.0.0.2:25");
  EXPECT_EQ(c.limits.max_message_size, 10u * 1024 * 1024);
  EXPECT_EQ(c.limits.max_recipients, 7u);
  EXPECT_EQ(c.limits.command_timeout.count(), 30);
  EXPECT_TRUE(c.auth.allow_plaintext_loopback);
  ASSERT_EQ(c.listeners.size(), 2u);
  EXPECT_EQ(c.listeners[1].protocol, Protocol::imaps);
  EXPECT_EQ(c.listeners[1].host, "::1");
  EXPECT_EQ(c.listeners[1].port, 993);
  EXPECT_EQ(c.listeners[1].address(), "[::1]:993");
}

TEST(Config, Defaults) {
  auto r = parse("hostname = \"mx.example.test\"\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->store.backend, "sqlite");
  EXPECT_EQ(r->data_dir, "/etc/tern/tern-data");
  EXPECT_EQ(r->queue.retry.size(), 6u);
  EXPECT_EQ(r->queue.max_age.count(), 5 * 86400);
  EXPECT_EQ(r->limits.max_recipients, 100u);
  EXPECT_FALSE(r->auth.allow_plaintext_loopback);
}

TEST(Config, ErrorsNameFileAndKey) {
  EXPECT_NE(error_of("").find("'hostname'"), std::string::npos);
  EXPECT_NE(error_of("hostname = \"bad host\"").find("'hostname'"), std::string::npos);
  EXPECT_NE(error_of("hostname = \"a.test\"\nbogus = 1").find("'bogus': unknown key"), std::string::npos);
  EXPECT_NE(error_of("hostname = \"a.test\"\n[queue]\nretry = []").find("queue.retry"), std::string::npos);
  EXPECT_NE(error_of("hostname = \"a.test\"\n[queue]\nretry = [\"0s\"]").find("queue.retry"), std::string::npos);
  EXPECT_NE(error_of("hostname = \"a.test\"\n[limits]\nmax_recipients = 0").find("limits.max_recipients"),
            std::string::npos);
  EXPECT_NE(error_of("hostname = \"a.test\"\n[limits]\nmax_message_size = \"huge\"").find("limits.max_message_size"),
            std::string::npos);
  EXPECT_NE(error_of("hostname = \"a.test\"\nstore = 3").find("'store'"), std::string::npos);
  EXPECT_NE(error_of("hostname = \"a.test\"\n[store]\nbackend = \"postgres\"").find("store.url"), std::string::npos);
  EXPECT_NE(error_of("hostname = \"a.test\"\n[[listen]]\nprotocol = \"smtp\"").find("listen[0].address"),
            std::string::npos);
  EXPECT_NE(error_of("hostname = \"a.test\"\n[[listen]]\nprotocol = \"smtp\"\naddress = \"1.2.3.4:0\"")
                .find("listen[0].address"),
            std::string::npos);
  std::string dup = "hostname = \"a.test\"\n[[listen]]\nprotocol = \"smtp\"\naddress = \"127.0.0.1:25\"\n"
                    "[[listen]]\nprotocol = \"pop3\"\naddress = \"127.0.0.1:25\"\n";
  EXPECT_NE(error_of(dup).find("listen[1].address"), std::string::npos);
  std::string syntax = error_of("hostname = \"a.test");
  EXPECT_EQ(syntax.rfind("t.toml:1:", 0), 0u) << syntax;
  for (const auto& e : {error_of(""), error_of("x = 1")}) EXPECT_EQ(e.rfind("t.toml", 0), 0u) << e;
}

TEST(Config, SmarthostCredentials) {
  auto r = parse("hostname = \"mx.example.test\"\n[relay]\nsmarthost = \"relay.example.net:587\"\n"
                 "smarthost_user = \"mx@example.test\"\nsmarthost_password_file = \"relay.pw\"\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->relay.smarthost_user, "mx@example.test");
  EXPECT_EQ(r->relay.smarthost_password_file, "/etc/tern/relay.pw");

  auto lone_user = error_of("hostname = \"mx.example.test\"\n[relay]\nsmarthost = \"r.example.net:587\"\n"
                            "smarthost_user = \"u\"\n");
  EXPECT_NE(lone_user.find("relay.smarthost_password_file"), std::string::npos) << lone_user;
  EXPECT_NE(lone_user.find("t.toml"), std::string::npos) << lone_user;
  auto lone_file = error_of("hostname = \"mx.example.test\"\n[relay]\nsmarthost = \"r.example.net:587\"\n"
                            "smarthost_password_file = \"pw\"\n");
  EXPECT_NE(lone_file.find("relay.smarthost_user"), std::string::npos) << lone_file;
  auto no_host = error_of("hostname = \"mx.example.test\"\n[relay]\nsmarthost_user = \"u\"\n"
                          "smarthost_password_file = \"pw\"\n");
  EXPECT_NE(no_host.find("needs relay.smarthost"), std::string::npos) << no_host;
  EXPECT_FALSE(parse("hostname = \"mx.example.test\"\n[relay]\nsmarthost_user = 5\n").ok());
}

TEST(Config, Durations) {
  EXPECT_EQ(parse_duration("45")->count(), 45);
  EXPECT_EQ(parse_duration("5m")->count(), 300);
  EXPECT_EQ(parse_duration("2h")->count(), 7200);
  EXPECT_EQ(parse_duration("5d")->count(), 432000);
  for (auto bad : {"", "m", "-5m", "5 m", "5w", "1.5h", "99999999999999999999d"})
    EXPECT_FALSE(parse_duration(bad).ok()) << bad;
}

TEST(Config, Sizes) {
  EXPECT_EQ(*parse_size("1024"), 1024u);
  EXPECT_EQ(*parse_size("25M"), 25u * 1024 * 1024);
  EXPECT_EQ(*parse_size("2GiB"), 2ull * 1024 * 1024 * 1024);
  for (auto bad : {"", "M", "12X", "-1", "99999999999G"}) EXPECT_FALSE(parse_size(bad).ok()) << bad;
}

TEST(Config, Endpoints) {
  auto v4 = parse_endpoint("127.0.0.1:25");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 25);
  auto v6 = parse_endpoint("[::1]:143");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  for (auto bad : {"", ":25", "host", "host:", "host:65536", "::1:25", "[::1]25", "[::1]:x"})
    EXPECT_FALSE(parse_endpoint(bad).ok()) << bad;
}

TEST(Config, ConnectionPressureAndDeadlineLimits) {
  auto r = parse(
      "hostname = \"a.test\"\n[limits]\nper_ip_prefix_v4 = 24\nper_ip_prefix_v6 = 56\nstress_threshold = 90\n"
      "stress_timeout = \"5s\"\nmin_data_rate = 1000\nlogin_timeout = \"1m\"\n");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->limits.per_ip_prefix_v4, 24u);
  EXPECT_EQ(r->limits.per_ip_prefix_v6, 56u);
  EXPECT_EQ(r->limits.stress_threshold, 90u);
  EXPECT_EQ(r->limits.stress_timeout.count(), 5);
  EXPECT_EQ(r->limits.min_data_rate, 1000u);
  EXPECT_EQ(r->limits.login_timeout.count(), 60);
  auto defaults = parse("hostname = \"a.test\"\n");
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->limits.per_ip_prefix_v4, 32u);
  EXPECT_EQ(defaults->limits.per_ip_prefix_v6, 64u);
  EXPECT_EQ(defaults->limits.stress_threshold, 80u);
  EXPECT_EQ(defaults->limits.stress_timeout.count(), 10);
  EXPECT_EQ(defaults->limits.login_timeout.count(), 180);
  for (const char* bad : {"per_ip_prefix_v4 = 33", "per_ip_prefix_v6 = 8", "stress_threshold = 0",
                          "stress_threshold = 101", "stress_timeout = \"0s\"", "min_data_rate = 0",
                          "login_timeout = \"soon\""}) {
    const std::string text = std::string("hostname = \"a.test\"\n[limits]\n") + bad;
    const std::string key = std::string("limits.") + std::string(bad).substr(0, std::string(bad).find(' '));
    EXPECT_NE(error_of(text).find(key), std::string::npos) << bad << ": " << error_of(text);
  }
}

TEST(Config, LoginThrottleKeys) {
  auto r = parse(R"(
hostname = "mx.example.test"
[auth]
max_failures_per_address = 4
max_failures_per_user = 12
failure_window = "2m"
trusted_networks = ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"]
)");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->auth.max_failures_per_address, 4u);
  EXPECT_EQ(r->auth.max_failures_per_user, 12u);
  EXPECT_EQ(r->auth.failure_window.count(), 120);
  ASSERT_EQ(r->auth.trusted_networks.size(), 3u);
  EXPECT_EQ(r->auth.trusted_networks[0].str(), "10.0.0.0/8");
  EXPECT_EQ(r->auth.trusted_networks[1].str(), "2001:db8::/32");
  EXPECT_EQ(r->auth.trusted_networks[2].str(), "192.0.2.7/32");

  auto defaults = parse("hostname = \"mx.example.test\"\n");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->auth.max_failures_per_address, 10u);
  EXPECT_EQ(defaults->auth.max_failures_per_user, 30u);
  EXPECT_EQ(defaults->auth.failure_window.count(), 300);
  EXPECT_TRUE(defaults->auth.trusted_networks.empty());
}

TEST(Config, LoginThrottleBadValuesNameTheKey) {
  const std::string head = "hostname = \"a.test\"\n[auth]\n";
  struct Case {
    std::string text;
    std::string key;
    std::string says;
  };
  for (const auto& c : std::vector<Case>{
           {"max_failures_per_address = 0", "'auth.max_failures_per_address'", "integer from 1"},
           {"max_failures_per_address = \"10\"", "'auth.max_failures_per_address'", "integer from 1"},
           {"max_failures_per_user = -3", "'auth.max_failures_per_user'", "integer from 1"},
           {"failure_window = \"0s\"", "'auth.failure_window'", "greater than zero"},
           {"failure_window = \"5 minutes\"", "'auth.failure_window'", "not a duration"},
           {"failure_window = 300", "'auth.failure_window'", "must be a string"},
           {"trusted_networks = \"10.0.0.0/8\"", "'auth.trusted_networks'", "array of strings"},
           {"trusted_networks = [\"10.0.0.0/33\"]", "'auth.trusted_networks'", "prefix length must be 0 to 32"},
           {"trusted_networks = [\"2001:db8::/129\"]", "'auth.trusted_networks'", "0 to 128"},
           {"trusted_networks = [\"10.1.2.3/8\"]", "'auth.trusted_networks'", "the network is 10.0.0.0/8"},
           {"trusted_networks = [\"example.org\"]", "'auth.trusted_networks'", "not an IP address"},
           {"trusted_networks = [\"10.0.0.0/\"]", "'auth.trusted_networks'", "no prefix length"},
           {"max_failures = 3", "'auth.max_failures'", "unknown key"},
       }) {
    std::string error = error_of(head + c.text);
    EXPECT_EQ(error.rfind("t.toml: key ", 0), 0u) << error;
    EXPECT_NE(error.find(c.key), std::string::npos) << c.text << ": " << error;
    EXPECT_NE(error.find(c.says), std::string::npos) << c.text << ": " << error;
  }
}

TEST(Config, SubmissionSenderPolicy) {
  auto r = parse(R"(
hostname = "mx.example.test"
[submission]
sender_policy = "domain"
[submission.domain_sender_policy]
"Gateway.Example" = "any"
"strict.example" = "own"
)");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->submission.sender_policy, SenderPolicy::domain);
  EXPECT_EQ(r->submission.policy_for("gateway.example"), SenderPolicy::any);
  EXPECT_EQ(r->submission.policy_for("strict.example"), SenderPolicy::own);
  EXPECT_EQ(r->submission.policy_for("other.example"), SenderPolicy::domain);
  auto defaults = parse("hostname = \"mx.example.test\"\n");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->submission.policy_for("example.test"), SenderPolicy::own);

  EXPECT_NE(error_of("hostname = \"a.test\"\n[submission]\nsender_policy = \"everyone\"\n")
                .find("'submission.sender_policy'"),
            std::string::npos);
  EXPECT_NE(error_of("hostname = \"a.test\"\n[submission.domain_sender_policy]\n\"x.test\" = 1\n")
                .find("'submission.domain_sender_policy.x.test'"),
            std::string::npos);
  EXPECT_NE(error_of("hostname = \"a.test\"\n[submission]\nsender = \"own\"\n").find("unknown key"),
            std::string::npos);
}

TEST(Config, InboundPolicyAndPerListenerOverrides) {
  auto r = parse(R"(
hostname = "mx.example.test"
[inbound]
spf_fail = "quarantine"
dmarc_quarantine = "accept"
trusted_networks = ["192.0.2.0/24"]
[[listen]]
protocol = "smtp"
address = "127.0.0.1:25"
[[listen]]
protocol = "smtp"
address = "127.0.0.1:2525"
dmarc_reject = "accept"
own_domain_unauthenticated = "quarantine"
trusted_networks = []
)");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->inbound.spf_fail, InboundAction::quarantine);
  EXPECT_EQ(r->inbound.dmarc_quarantine, InboundAction::accept);
  EXPECT_EQ(r->inbound.dmarc_reject, InboundAction::reject);
  ASSERT_EQ(r->listeners.size(), 2u);
  const auto& first = r->listeners[0].inbound;
  EXPECT_EQ(first.spf_fail, InboundAction::quarantine);  // from [inbound]
  ASSERT_EQ(first.trusted_networks.size(), 1u);
  EXPECT_TRUE(first.trusted_networks[0].contains("192.0.2.9"));
  const auto& second = r->listeners[1].inbound;
  EXPECT_EQ(second.spf_fail, InboundAction::quarantine);
  EXPECT_EQ(second.dmarc_reject, InboundAction::accept);
  EXPECT_EQ(second.own_domain_unauthenticated, InboundAction::quarantine);
  EXPECT_TRUE(second.trusted_networks.empty());

  auto defaults = parse("hostname = \"mx.example.test\"\n");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->inbound.dmarc_reject, InboundAction::reject);
  EXPECT_EQ(defaults->inbound.dmarc_quarantine, InboundAction::quarantine);
  EXPECT_EQ(defaults->inbound.own_domain_unauthenticated, InboundAction::reject);
  EXPECT_EQ(defaults->inbound.spf_fail, InboundAction::accept);
  bool loopback = false;
  for (const auto& n : defaults->inbound.trusted_networks) loopback = loopback || n.contains("127.0.0.1");
  EXPECT_TRUE(loopback);

  EXPECT_NE(error_of("hostname = \"a.test\"\n[inbound]\nspf_fail = \"drop\"\n").find("'inbound.spf_fail'"),
            std::string::npos);
  EXPECT_NE(error_of("hostname = \"a.test\"\n[inbound]\ntrusted_networks = [\"10.0.0.1/8\"]\n")
                .find("'inbound.trusted_networks'"),
            std::string::npos);
  EXPECT_NE(error_of("hostname = \"a.test\"\n[[listen]]\nprotocol = \"smtp\"\naddress = \"127.0.0.1:25\"\n"
                     "dkim_fail = 3\n")
                .find("'listen[0].dkim_fail'"),
            std::string::npos);
}

}  // namespace
}  // namespace tern
