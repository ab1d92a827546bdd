// Configuration: TOML through toml++, then validation of every key. Unknown
// keys are errors, so that a misspelt setting is never silently ignored.
#include "core/config.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "core/address.hpp"

namespace tern {

const char* protocol_name(Protocol protocol) noexcept {
  switch (protocol) {
    case Protocol::smtp: return "smtp";
    case Protocol::submission: return "submission";
    case Protocol::submissions: return "submissions";
    case Protocol::pop3: return "pop3";
    case Protocol::pop3s: return "pop3s";
    case Protocol::imap: return "imap";
    case Protocol::imaps: return "imaps";
  }
  return "?";
}

bool protocol_implicit_tls(Protocol protocol) noexcept {
  return protocol == Protocol::submissions || protocol == Protocol::pop3s ||
         protocol == Protocol::imaps;
}

bool protocol_requires_login(Protocol protocol) noexcept { return protocol != Protocol::smtp; }

std::string ListenerConfig::address() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

namespace {

template <class Int>
bool parse_int(std::string_view text, Int& out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

Result<std::chrono::seconds> parse_duration(std::string_view text) {
  if (text.empty()) return make_error(Errc::invalid, "empty duration");
  std::int64_t unit = 1;
  std::string_view digits = text;
  switch (text.back()) {
    case 's': unit = 1; digits.remove_suffix(1); break;
    case 'm': unit = 60; digits.remove_suffix(1); break;
    case 'h': unit = 3600; digits.remove_suffix(1); break;
    case 'd': unit = 86400; digits.remove_suffix(1); break;
    default: break;
  }
  std::int64_t n = 0;
  if (!parse_int(digits, n) || n < 0 || n > 10LL * 365 * 86400 / unit)
    return make_error(Errc::invalid,
                      fmt::format("'{}' is not a duration (like \"30s\", \"5m\", \"2h\", \"5d\")", text));
  return std::chrono::seconds(n * unit);
}

Result<std::uint64_t> parse_size(std::string_view text) {
  std::string_view digits = text;
  std::uint64_t unit = 1;
  auto strip = [&](std::string_view suffix, std::uint64_t value) {
    if (digits.size() > suffix.size() && digits.substr(digits.size() - suffix.size()) == suffix) {
      digits.remove_suffix(suffix.size());
      unit = value;
      return true;
    }
    return false;
  };
  strip("KiB", 1024) || strip("MiB", 1024 * 1024) || strip("GiB", 1024ull * 1024 * 1024) ||
      strip("K", 1024) || strip("M", 1024 * 1024) || strip("G", 1024ull * 1024 * 1024);
  std::uint64_t n = 0;
  if (!parse_int(digits, n) || n > (1ull << 40) / unit)
    return make_error(Errc::invalid, fmt::format("'{}' is not a size (like \"25M\", \"1G\")", text));
  return n * unit;
}

Result<ListenerConfig> parse_endpoint(std::string_view text) {
  ListenerConfig out;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return make_error(Errc::invalid, fmt::format("'{}' is not host:port", text));
    out.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0 ||
        text.substr(0, colon).find(':') != std::string_view::npos)
      return make_error(Errc::invalid, fmt::format("'{}' is not host:port", text));
    out.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  if (out.host.empty() || !parse_int(port_text, port) || port == 0 || port > 65535)
    return make_error(Errc::invalid, fmt::format("'{}' is not host:port with a port 1-65535", text));
  out.port = static_cast<std::uint16_t>(port);
  return out;
}

namespace {

// Walks the parsed table, recording the first error with its key path.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  bool failed() const { return !error_.empty(); }
  Error error() const { return make_error(Errc::invalid, error_); }

  void fail(const std::string& key, const std::string& what) {
    if (error_.empty()) error_ = fmt::format("{}: key '{}': {}", source_, key, what);
  }

  // Refuses keys the table has that `known` does not list.
  void check_keys(const toml::table& table, const std::string& prefix,
                  std::initializer_list<std::string_view> known) {
    for (const auto& [key, value] : table) {
      bool ok = false;
      for (auto k : known) ok = ok || k == key.str();
      if (!ok) fail(prefix + std::string(key.str()), "unknown key");
    }
  }

  void string(const toml::table& table, const std::string& prefix, std::string_view key,
              std::string& out) {
    const toml::node* node = table.get(key);
    if (!node) return;
    if (auto v = node->value<std::string>()) {
      out = *v;
    } else {
      fail(prefix + std::string(key), "must be a string");
    }
  }

  void boolean(const toml::table& table, const std::string& prefix, std::string_view key, bool& out) {
    const toml::node* node = table.get(key);
    if (!node) return;
    if (auto v = node->value<bool>()) {
      out = *v;
    } else {
      fail(prefix + std::string(key), "must be true or false");
    }
  }

  void duration(const toml::table& table, const std::string& prefix, std::string_view key,
                std::chrono::seconds& out) {
    std::string text;
    string(table, prefix, key, text);
    if (text.empty() || failed()) return;
    auto d = parse_duration(text);
    if (!d) return fail(prefix + std::string(key), d.error().message);
    out = *d;
  }

  template <class Int>
  void count(const toml::table& table, const std::string& prefix, std::string_view key, Int& out,
             std::int64_t min, std::int64_t max) {
    const toml::node* node = table.get(key);
    if (!node) return;
    auto v = node->value<std::int64_t>();
    if (!v || *v < min || *v > max)
      return fail(prefix + std::string(key), fmt::format("must be an integer from {} to {}", min, max));
    out = static_cast<Int>(*v);
  }

  void string_array(const toml::table& table, const std::string& prefix, std::string_view key,
                    std::vector<std::string>& out) {
    const toml::node* node = table.get(key);
    if (!node) return;
    const toml::array* array = node->as_array();
    if (!array) return fail(prefix + std::string(key), "must be an array of strings");
    for (const auto& item : *array) {
      auto v = item.value<std::string>();
      if (!v) return fail(prefix + std::string(key), "must be an array of strings");
      out.push_back(*v);
    }
  }

  const toml::table* subtable(const toml::table& table, std::string_view key) {
    const toml::node* node = table.get(key);
    if (!node) return nullptr;
    if (!node->is_table()) {
      fail(std::string(key), "must be a table ([" + std::string(key) + "])");
      return nullptr;
    }
    return node->as_table();
  }

 private:
  std::string source_;
  std::string error_;
};

std::filesystem::path resolve_path(const std::filesystem::path& base, const std::string& text) {
  std::filesystem::path p(text);
  return (p.is_absolute() || base.empty() ? p : base / p).lexically_normal();
}

Result<Protocol> protocol_from(std::string_view name) {
  for (auto p : {Protocol::smtp, Protocol::submission, Protocol::submissions, Protocol::pop3,
                 Protocol::pop3s, Protocol::imap, Protocol::imaps})
    if (name == protocol_name(p)) return p;
  return make_error(Errc::invalid,
                    fmt::format("unknown protocol '{}' (expected smtp, submission, submissions, "
                                "pop3, pop3s, imap or imaps)", name));
}

constexpr std::array<std::string_view, 6> inbound_keys = {"spf_fail",         "dkim_fail",
                                                          "dmarc_reject",     "dmarc_quarantine",
                                                          "own_domain_unauthenticated", "trusted_networks"};

// The inbound policy keys of a table ([inbound] or a [[listen]]) over `policy`.
void read_inbound(Reader& r, const toml::table& table, const std::string& prefix, InboundPolicy& policy) {
  InboundAction* fields[] = {&policy.spf_fail, &policy.dkim_fail, &policy.dmarc_reject, &policy.dmarc_quarantine,
                             &policy.own_domain_unauthenticated};
  if (table.get("trusted_networks")) {
    std::vector<std::string> networks;
    r.string_array(table, prefix, "trusted_networks", networks);
    policy.trusted_networks.clear();
    for (const auto& item : networks) {
      if (r.failed()) break;
      auto network = IpNetwork::parse(item);
      if (!network) r.fail(prefix + "trusted_networks", network.error().message);
      else policy.trusted_networks.push_back(*network);
    }
  }
  for (std::size_t i = 0; i < std::size(fields); ++i) {
    const toml::node* node = table.get(inbound_keys[i]);
    if (!node) continue;
    auto v = node->value<std::string>();
    if (v && *v == "accept") *fields[i] = InboundAction::accept;
    else if (v && *v == "quarantine") *fields[i] = InboundAction::quarantine;
    else if (v && *v == "reject") *fields[i] = InboundAction::reject;
    else r.fail(prefix + std::string(inbound_keys[i]), "must be \"accept\", \"quarantine\" or \"reject\"");
  }
}

void read_listeners(Reader& r, const toml::table& root, Config& config) {
  const toml::node* node = root.get("listen");
  if (!node) return;
  const toml::array* array = node->as_array();
  if (!array) return r.fail("listen", "must be an array of tables ([[listen]])");
  std::set<std::string> seen;
  for (std::size_t i = 0; i < array->size() && !r.failed(); ++i) {
    std::string prefix = fmt::format("listen[{}].", i);
    const toml::table* table = (*array)[i].as_table();
    if (!table) return r.fail(fmt::format("listen[{}]", i), "must be a table");
    r.check_keys(*table, prefix,
                 {"protocol", "address", inbound_keys[0], inbound_keys[1], inbound_keys[2], inbound_keys[3],
                  inbound_keys[4], inbound_keys[5]});
    std::string protocol, address;
    r.string(*table, prefix, "protocol", protocol);
    r.string(*table, prefix, "address", address);
    if (r.failed()) return;
    if (protocol.empty()) return r.fail(prefix + "protocol", "is required");
    if (address.empty()) return r.fail(prefix + "address", "is required");
    auto p = protocol_from(protocol);
    if (!p) return r.fail(prefix + "protocol", p.error().message);
    auto endpoint = parse_endpoint(address);
    if (!endpoint) return r.fail(prefix + "address", endpoint.error().message);
    endpoint->protocol = *p;
    endpoint->inbound = config.inbound;
    read_inbound(r, *table, prefix, endpoint->inbound);
    if (!seen.insert(endpoint->address()).second)
      return r.fail(prefix + "address", fmt::format("{} is used by another listener", address));
    config.listeners.push_back(*endpoint);
  }
}

}  // namespace

Result<Config> parse_config(std::string_view text, const std::string& source,
                            const std::filesystem::path& base_dir) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return make_error(Errc::invalid, fmt::format("{}:{}:{}: {}", source, where.line, where.column,
                                                 e.description()));
  }

  Config config;
  config.path = source;
  config.queue.retry = {std::chrono::minutes(5), std::chrono::minutes(10), std::chrono::minutes(30),
                        std::chrono::hours(1), std::chrono::hours(2), std::chrono::hours(4)};
  Reader r(source);
  r.check_keys(root, "", {"hostname", "data_dir", "user", "log_level", "store", "tls", "dns",
                          "queue", "relay", "limits", "auth", "submission", "inbound", "listen"});

  r.string(root, "", "hostname", config.hostname);
  if (!r.failed()) {
    if (config.hostname.empty()) {
      r.fail("hostname", "is required (the name this server gives in its greeting)");
    } else if (auto h = address::normalize_domain(config.hostname); !h) {
      r.fail("hostname", h.error().message);
    } else {
      config.hostname = *h;
    }
  }
  std::string data_dir = "./tern-data";
  r.string(root, "", "data_dir", data_dir);
  if (data_dir.empty()) r.fail("data_dir", "must not be empty");
  config.data_dir = resolve_path(base_dir, data_dir);
  r.string(root, "", "user", config.user);
  r.string(root, "", "log_level", config.log_level);
  static const std::set<std::string> levels = {"trace", "debug", "info", "warn", "error", "off"};
  if (!r.failed() && !levels.contains(config.log_level))
    r.fail("log_level", "must be one of trace, debug, info, warn, error, off");

  if (const auto* store = r.subtable(root, "store")) {
    r.check_keys(*store, "store.", {"backend", "url"});
    r.string(*store, "store.", "backend", config.store.backend);
    r.string(*store, "store.", "url", config.store.url);
    if (!r.failed() && config.store.backend != "sqlite" && config.store.backend != "postgres")
      r.fail("store.backend", "must be \"sqlite\" or \"postgres\"");
    if (!r.failed() && config.store.backend == "postgres" && config.store.url.empty())
      r.fail("store.url", "is required when store.backend is \"postgres\"");
  }

  if (const auto* tls = r.subtable(root, "tls")) {
    r.check_keys(*tls, "tls.", {"cert", "key"});
    std::string cert, key;
    r.string(*tls, "tls.", "cert", cert);
    r.string(*tls, "tls.", "key", key);
    if (!r.failed() && cert.empty() != key.empty())
      r.fail(cert.empty() ? "tls.cert" : "tls.key", "tls.cert and tls.key must be given together");
    if (!cert.empty()) config.tls.cert = resolve_path(base_dir, cert);
    if (!key.empty()) config.tls.key = resolve_path(base_dir, key);
  }

  if (const auto* dns = r.subtable(root, "dns")) {
    r.check_keys(*dns, "dns.", {"servers"});
    r.string_array(*dns, "dns.", "servers", config.dns.servers);
    for (const auto& server : config.dns.servers) {
      if (r.failed()) break;
      if (auto e = parse_endpoint(server); !e) r.fail("dns.servers", e.error().message);
    }
  }

  if (const auto* queue = r.subtable(root, "queue")) {
    r.check_keys(*queue, "queue.", {"retry", "max_age", "warn_after"});
    std::vector<std::string> retry;
    r.string_array(*queue, "queue.", "retry", retry);
    if (!r.failed() && queue->contains("retry")) {
      if (retry.empty()) r.fail("queue.retry", "must list at least one delay");
      config.queue.retry.clear();
      for (const auto& item : retry) {
        auto d = parse_duration(item);
        if (!d) {
          r.fail("queue.retry", d.error().message);
          break;
        }
        if (d->count() == 0) {
          r.fail("queue.retry", "delays must be greater than zero");
          break;
        }
        config.queue.retry.push_back(*d);
      }
    }
    r.duration(*queue, "queue.", "max_age", config.queue.max_age);
    r.duration(*queue, "queue.", "warn_after", config.queue.warn_after);
  }

  if (const auto* relay = r.subtable(root, "relay")) {
    r.check_keys(*relay, "relay.",
                 {"smarthost", "routes", "smarthost_user", "smarthost_password_file", "srs", "srs_secret_file"});
    r.boolean(*relay, "relay.", "srs", config.relay.srs);
    std::string srs_file;
    r.string(*relay, "relay.", "srs_secret_file", srs_file);
    if (!srs_file.empty()) config.relay.srs_secret_file = resolve_path(base_dir, srs_file);
    r.string(*relay, "relay.", "smarthost", config.relay.smarthost);
    if (!r.failed() && !config.relay.smarthost.empty())
      if (auto e = parse_endpoint(config.relay.smarthost); !e) r.fail("relay.smarthost", e.error().message);
    std::string password_file;
    r.string(*relay, "relay.", "smarthost_user", config.relay.smarthost_user);
    r.string(*relay, "relay.", "smarthost_password_file", password_file);
    if (!r.failed() && config.relay.smarthost_user.empty() != password_file.empty())
      r.fail(password_file.empty() ? "relay.smarthost_password_file" : "relay.smarthost_user",
             "relay.smarthost_user and relay.smarthost_password_file must be given together");
    if (!r.failed() && !config.relay.smarthost_user.empty() && config.relay.smarthost.empty())
      r.fail("relay.smarthost_user", "needs relay.smarthost (credentials are only sent to the smarthost)");
    if (!password_file.empty()) config.relay.smarthost_password_file = resolve_path(base_dir, password_file);
    if (const toml::node* routes = relay->get("routes"); routes && !r.failed()) {
      if (!routes->is_table()) {
        r.fail("relay.routes", "must be a table of domain = \"host:port\"");
      } else {
        for (const auto& [domain, target] : *routes->as_table()) {
          std::string key = "relay.routes." + std::string(domain.str());
          auto d = address::normalize_domain(domain.str());
          auto t = target.value<std::string>();
          if (!d) {
            r.fail(key, d.error().message);
          } else if (!t) {
            r.fail(key, "must be a string \"host:port\"");
          } else if (auto e = parse_endpoint(*t); !e) {
            r.fail(key, e.error().message);
          } else {
            config.relay.routes[*d] = *t;
          }
        }
      }
    }
  }

  if (const auto* limits = r.subtable(root, "limits")) {
    const std::string p = "limits.";
    r.check_keys(*limits, p, {"max_message_size", "max_recipients", "max_connections",
                              "max_connections_per_ip", "max_mailboxes", "per_ip_prefix_v4", "per_ip_prefix_v6",
                              "stress_threshold", "stress_timeout", "min_data_rate", "command_timeout",
                              "login_timeout", "session_timeout", "shutdown_grace"});
    if (const toml::node* size = limits->get("max_message_size")) {
      if (auto n = size->value<std::int64_t>(); n && *n >= 1024) {
        config.limits.max_message_size = static_cast<std::uint64_t>(*n);
      } else if (auto s = size->value<std::string>()) {
        auto parsed = parse_size(*s);
        if (!parsed || *parsed < 1024) {
          r.fail(p + "max_message_size", parsed ? "must be at least 1024 octets" : parsed.error().message);
        } else {
          config.limits.max_message_size = *parsed;
        }
      } else {
        r.fail(p + "max_message_size", "must be a size like \"25M\" or a number of octets >= 1024");
      }
    }
    r.count(*limits, p, "max_recipients", config.limits.max_recipients, 1, 100000);
    r.count(*limits, p, "max_connections", config.limits.max_connections, 1, 1000000);
    r.count(*limits, p, "max_connections_per_ip", config.limits.max_connections_per_ip, 1, 1000000);
    r.count(*limits, p, "max_mailboxes", config.limits.max_mailboxes, 1, 1000000);
    r.count(*limits, p, "per_ip_prefix_v4", config.limits.per_ip_prefix_v4, 8, 32);
    r.count(*limits, p, "per_ip_prefix_v6", config.limits.per_ip_prefix_v6, 16, 128);
    r.count(*limits, p, "stress_threshold", config.limits.stress_threshold, 1, 100);
    r.duration(*limits, p, "stress_timeout", config.limits.stress_timeout);
    r.count(*limits, p, "min_data_rate", config.limits.min_data_rate, 1, 1u << 30);
    r.duration(*limits, p, "command_timeout", config.limits.command_timeout);
    r.duration(*limits, p, "login_timeout", config.limits.login_timeout);
    r.duration(*limits, p, "session_timeout", config.limits.session_timeout);
    r.duration(*limits, p, "shutdown_grace", config.limits.shutdown_grace);
    if (!r.failed() && config.limits.command_timeout.count() == 0)
      r.fail(p + "command_timeout", "must be greater than zero");
    if (!r.failed() && config.limits.stress_timeout.count() == 0)
      r.fail(p + "stress_timeout", "must be greater than zero");
  }

  if (const auto* submission = r.subtable(root, "submission")) {
    const std::string p = "submission.";
    r.check_keys(*submission, p, {"sender_policy", "domain_sender_policy"});
    auto policy = [&](const std::string& key, const toml::node& node) -> std::optional<SenderPolicy> {
      auto v = node.value<std::string>();
      if (v && *v == "own") return SenderPolicy::own;
      if (v && *v == "domain") return SenderPolicy::domain;
      if (v && *v == "any") return SenderPolicy::any;
      r.fail(key, "must be \"own\", \"domain\" or \"any\"");
      return std::nullopt;
    };
    if (const toml::node* node = submission->get("sender_policy"))
      if (auto v = policy(p + "sender_policy", *node)) config.submission.sender_policy = *v;
    if (const toml::node* domains = submission->get("domain_sender_policy"); domains && !r.failed()) {
      if (!domains->is_table()) {
        r.fail(p + "domain_sender_policy", "must be a table of domain = \"own\" | \"domain\" | \"any\"");
      } else {
        for (const auto& [domain, value] : *domains->as_table()) {
          std::string key = p + "domain_sender_policy." + std::string(domain.str());
          auto d = address::normalize_domain(domain.str());
          if (!d) r.fail(key, d.error().message);
          else if (auto v = policy(key, value)) config.submission.domain_sender_policy[*d] = *v;
        }
      }
    }
  }

  if (const auto* auth = r.subtable(root, "auth")) {
    const std::string p = "auth.";
    r.check_keys(*auth, p, {"allow_plaintext_loopback", "max_failures_per_address", "max_failures_per_user",
                            "failure_window", "trusted_networks"});
    r.boolean(*auth, p, "allow_plaintext_loopback", config.auth.allow_plaintext_loopback);
    r.count(*auth, p, "max_failures_per_address", config.auth.max_failures_per_address, 1, 1000000);
    r.count(*auth, p, "max_failures_per_user", config.auth.max_failures_per_user, 1, 1000000);
    r.duration(*auth, p, "failure_window", config.auth.failure_window);
    if (!r.failed() && config.auth.failure_window.count() == 0)
      r.fail(p + "failure_window", "must be greater than zero");
    std::vector<std::string> networks;
    r.string_array(*auth, p, "trusted_networks", networks);
    for (const auto& item : networks) {
      if (r.failed()) break;
      auto network = IpNetwork::parse(item);
      if (!network) r.fail(p + "trusted_networks", network.error().message);
      else config.auth.trusted_networks.push_back(*network);
    }
  }

  if (const auto* inbound = r.subtable(root, "inbound")) {
    r.check_keys(*inbound, "inbound.",
                 {inbound_keys[0], inbound_keys[1], inbound_keys[2], inbound_keys[3], inbound_keys[4],
                  inbound_keys[5]});
    read_inbound(r, *inbound, "inbound.", config.inbound);
  }

  if (!r.failed()) read_listeners(r, root, config);
  if (r.failed()) return r.error();
  return config;
}

Result<Config> load_config(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return make_error(Errc::not_found, fmt::format("{}: cannot read the config file", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path.string(), path.parent_path());
}

std::vector<IpNetwork> InboundPolicy::default_trusted_networks() {
  std::vector<IpNetwork> out;
  for (const char* n : {"127.0.0.0/8", "::1"}) out.push_back(*IpNetwork::parse(n));
  return out;
}

const char* inbound_action_name(InboundAction action) noexcept {
  switch (action) {
    case InboundAction::accept: return "accept";
    case InboundAction::quarantine: return "quarantine";
    case InboundAction::reject: return "reject";
  }
  return "?";
}

const char* sender_policy_name(SenderPolicy policy) noexcept {
  switch (policy) {
    case SenderPolicy::own: return "own";
    case SenderPolicy::domain: return "domain";
    case SenderPolicy::any: return "any";
  }
  return "?";
}

SenderPolicy SubmissionConfig::policy_for(std::string_view account_domain) const {
  auto it = domain_sender_policy.find(std::string(account_domain));
  return it == domain_sender_policy.end() ? sender_policy : it->second;
}

}  // namespace tern
