// tern: argument parsing and wiring (DESIGN.md "Contract"); nothing else.
#include <CLI/CLI.hpp>
#include <asio/io_context.hpp>

#include <iostream>
#include <thread>

#include "admin/commands.hpp"
#include "admin/dkim.hpp"
#include "admin/dns_check.hpp"
#include "admin/password_input.hpp"
#include "core/config.hpp"
#include "core/log.hpp"
#include "dns/resolver.hpp"
#include "server/server.hpp"

namespace {

constexpr int exit_usage = 2;

int serve(const tern::Config& config) {
  asio::io_context io;
  tern::server::Server server(config, io);
  if (auto r = server.bind(); !r) {
    tern::log::error("event=start_failed error={}", tern::log::kv(r.error().message));
    return tern::admin::exit_code_for(r.error()) == exit_usage ? exit_usage : 1;
  }
  if (auto r = tern::server::drop_privileges(config.user, config.data_dir); !r) {
    tern::log::error("event=start_failed error={}", tern::log::kv(r.error().message));
    return r.error().code == tern::Errc::invalid ? exit_usage : 1;
  }
  if (auto r = server.start(); !r) {
    tern::log::error("event=start_failed error={}", tern::log::kv(r.error().message));
    return r.error().code == tern::Errc::invalid ? exit_usage : 1;
  }
  tern::log::info("event=started hostname={} listeners={}", config.hostname, config.listeners.size());
  return server.run(std::max(2u, std::thread::hardware_concurrency()));
}

tern::Result<std::string> new_password(bool from_stdin) {
  return from_stdin ? tern::admin::read_password_line(std::cin) : tern::admin::prompt_password();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tern: a mail server (SMTP, POP3, IMAP) with its store in one program"};
  app.require_subcommand(1);
  std::string config_path = "./tern.toml";
  app.add_option("--config", config_path, "configuration file (TOML)")->capture_default_str();
  app.set_version_flag("--version", "tern 0.1.0");

  auto* serve_cmd = app.add_subcommand("serve", "run every listener of the config until SIGTERM/SIGINT");

  std::string name, address;
  std::vector<std::string> targets;
  std::optional<std::string> queue_id;
  bool password_stdin = false;

  auto* domain = app.add_subcommand("domain", "manage local domains")->require_subcommand(1);
  auto* domain_add = domain->add_subcommand("add", "add a local domain");
  domain_add->add_option("NAME", name, "domain name (IDNA in A-label form)")->required();
  auto* domain_list = domain->add_subcommand("list", "list local domains");
  auto* domain_remove = domain->add_subcommand("remove", "remove a domain without accounts or aliases");
  domain_remove->add_option("NAME", name)->required();

  auto* user = app.add_subcommand("user", "manage accounts")->require_subcommand(1);
  auto* user_add = user->add_subcommand("add", "add an account (asks for its password)");
  user_add->add_option("ADDRESS", address, "local@domain")->required();
  user_add->add_flag("--password-stdin", password_stdin, "read the password from standard input");
  auto* user_passwd = user->add_subcommand("passwd", "change an account's password");
  user_passwd->add_option("ADDRESS", address)->required();
  user_passwd->add_flag("--password-stdin", password_stdin, "read the password from standard input");
  auto* user_list = user->add_subcommand("list", "list accounts");
  auto* user_remove = user->add_subcommand("remove", "remove an account and its mail");
  user_remove->add_option("ADDRESS", address)->required();

  auto* alias = app.add_subcommand("alias", "manage aliases (@domain is the catch-all)")->require_subcommand(1);
  auto* alias_add = alias->add_subcommand("add", "add an alias");
  alias_add->add_option("ADDRESS", address)->required();
  alias_add->add_option("TARGET", targets, "addresses it delivers to")->required();
  auto* alias_list = alias->add_subcommand("list", "list aliases");
  auto* alias_remove = alias->add_subcommand("remove", "remove an alias");
  alias_remove->add_option("ADDRESS", address)->required();

  std::string mailbox_name;
  auto* mailbox = app.add_subcommand("mailbox", "inspect an account's mailboxes")->require_subcommand(1);
  auto* mailbox_list = mailbox->add_subcommand("list", "list mailboxes with message counts");
  mailbox_list->add_option("ADDRESS", address)->required();
  auto* mailbox_fetch = mailbox->add_subcommand("fetch", "print one stored message as it is kept");
  mailbox_fetch->add_option("ADDRESS", address)->required();
  mailbox_fetch->add_option("MAILBOX", mailbox_name)->required();
  mailbox_fetch->add_option("UID", name)->required();

  auto* queue = app.add_subcommand("queue", "inspect and manage the outbound queue")->require_subcommand(1);
  auto* queue_list = queue->add_subcommand("list", "list queued messages");
  auto* queue_show = queue->add_subcommand("show", "show one queued message");
  queue_show->add_option("ID", name)->required();
  auto* queue_retry = queue->add_subcommand("retry", "deliver now (one entry, or all)");
  queue_retry->add_option("ID", queue_id);
  auto* queue_remove = queue->add_subcommand("remove", "remove a queued message");
  queue_remove->add_option("ID", name)->required();

  std::optional<std::string> dkim_domain;
  auto* dkim = app.add_subcommand("dkim", "manage the DKIM keys that sign outgoing mail")->require_subcommand(1);
  auto* dkim_generate = dkim->add_subcommand("generate", "make an Ed25519 and an RSA key pair for a domain");
  dkim_generate->add_option("DOMAIN", name)->required();
  auto* dkim_list = dkim->add_subcommand("list", "list the keys (of one domain)");
  dkim_list->add_option("DOMAIN", dkim_domain);
  auto* dkim_rotate = dkim->add_subcommand("rotate", "replace a domain's keys, in two steps (see docs/operations.md)");
  dkim_rotate->add_option("DOMAIN", name)->required();

  auto* dns = app.add_subcommand("dns", "print the DNS records to publish for a domain (`dns check`: query them)");
  dns->add_option("DOMAIN", name);
  auto* dns_check = dns->add_subcommand("check", "query a domain's records and say what is missing or wrong");
  dns_check->add_option("DOMAIN", name)->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : exit_usage;
  }

  auto config = tern::load_config(config_path);
  if (!config) {
    std::cerr << "tern: " << config.error().message << '\n';
    return exit_usage;
  }
  if (serve_cmd->parsed()) {
    tern::log::init(config->log_level);
    return serve(*config);
  }
  // The administration verbs print their results; logs only say what went wrong.
  const bool verbose = config->log_level == "debug" || config->log_level == "trace";
  tern::log::init(verbose ? config->log_level : "warn");

  tern::store::StoreOptions options;
  options.backend = config->store.backend;
  options.data_dir = config->data_dir.string();
  options.url = config->store.url;
  auto opened = tern::store::open_store(options);
  if (!opened) {
    std::cerr << "tern: " << opened.error().message << '\n';
    return 1;
  }
  tern::store::Store& store = **opened;
  tern::admin::Output io{std::cout, std::cerr};

  auto with_password = [&](auto verb) {
    auto password = new_password(password_stdin);
    if (!password) {
      std::cerr << "tern: " << password.error().message << '\n';
      return exit_usage;
    }
    return verb(store, address, *password, io);
  };

  int code = exit_usage;
  if (domain_add->parsed()) code = tern::admin::domain_add(store, name, io);
  else if (domain_list->parsed()) code = tern::admin::domain_list(store, io);
  else if (domain_remove->parsed()) code = tern::admin::domain_remove(store, name, io);
  else if (user_add->parsed()) code = with_password(tern::admin::user_add);
  else if (user_passwd->parsed()) code = with_password(tern::admin::user_passwd);
  else if (user_list->parsed()) code = tern::admin::user_list(store, io);
  else if (user_remove->parsed()) code = tern::admin::user_remove(store, address, io);
  else if (alias_add->parsed()) code = tern::admin::alias_add(store, address, targets, io);
  else if (alias_list->parsed()) code = tern::admin::alias_list(store, io);
  else if (alias_remove->parsed()) code = tern::admin::alias_remove(store, address, io);
  else if (mailbox_list->parsed()) code = tern::admin::mailbox_list(store, address, io);
  else if (mailbox_fetch->parsed()) code = tern::admin::message_fetch(store, address, mailbox_name, name, io);
  else if (queue_list->parsed()) code = tern::admin::queue_list(store, io);
  else if (queue_show->parsed()) code = tern::admin::queue_show(store, name, io);
  else if (queue_retry->parsed()) code = tern::admin::queue_retry(store, queue_id, io);
  else if (queue_remove->parsed()) code = tern::admin::queue_remove(store, name, io);
  else if (dkim_generate->parsed()) code = tern::admin::dkim_generate(store, name, io);
  else if (dkim_list->parsed()) code = tern::admin::dkim_list(store, dkim_domain, io);
  else if (dkim_rotate->parsed()) code = tern::admin::dkim_rotate(store, name, io);
  else if (dns_check->parsed()) {
    auto resolver = tern::dns::Resolver::create(config->dns.servers);
    if (!resolver) {
      std::cerr << "tern: " << resolver.error().message << "\n";
      code = 1;
    } else {
      code = tern::admin::dns_check(store, *config, name, **resolver, io);
    }
  } else if (dns->parsed()) {
    if (name.empty()) {
      std::cerr << "tern dns: DOMAIN is required (tern dns DOMAIN, tern dns check DOMAIN)\n";
      code = exit_usage;
    } else {
      code = tern::admin::dns_records(store, *config, name, io);
    }
  }
  store.close();
  return code;
}
