#include "admin/commands.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <charconv>
#include <ctime>
#include <ostream>

#include "admin/dkim.hpp"
#include "auth/password.hpp"
#include "core/address.hpp"
#include "core/run_blocking.hpp"

namespace tern::admin {

int fail(Output io, const Error& error) {
  io.err << "tern: " << error.message << '\n';
  return exit_code_for(error);
}

Result<std::string> domain_argument(const std::string& name) {
  auto domain = address::normalize_domain(name);
  if (!domain) {
    return make_error(Errc::invalid, fmt::format("invalid domain '{}': {}", name, domain.error().message));
  }
  return *domain;
}

namespace {

template <class T>
Result<T> run(store::Task<T> task) {
  return run_blocking(std::move(task));
}

Result<std::string> canonical_address(const std::string& text, bool allow_catch_all = false) {
  address::ParseOptions options;
  options.allow_utf8 = true;
  options.allow_catch_all = allow_catch_all;
  auto parsed = address::parse(text, options);
  if (!parsed) return make_error(Errc::invalid, fmt::format("invalid address '{}': {}", text, parsed.error().message));
  return address::canonical(*parsed);
}

Result<store::Id> parse_id(const std::string& text) {
  store::Id id = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || ptr != text.data() + text.size() || id <= 0)
    return make_error(Errc::invalid, fmt::format("'{}' is not a queue id", text));
  return id;
}

std::string format_time(store::UnixTime t) {
  if (t == 0) return "-";
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", tm);
}

const char* state_name(store::RecipientState state) {
  switch (state) {
    case store::RecipientState::pending: return "pending";
    case store::RecipientState::delivered: return "delivered";
    case store::RecipientState::failed: return "failed";
  }
  return "?";
}

Result<std::string> hash(const std::string& password) {
  auto hashed = auth::hash_password(password);
  if (!hashed) return make_error(Errc::internal, "hashing the password failed: " + hashed.error().message);
  return hashed;
}

}  // namespace

int exit_code_for(const Error& error) { return error.code == Errc::invalid ? 2 : 1; }

int domain_add(store::Store& store, const std::string& name, Output io) {
  auto domain = domain_argument(name);
  if (!domain) return fail(io, domain.error());
  auto added = run(store.add_domain(*domain));
  if (!added) return fail(io, added.error());
  io.out << "domain " << added->name << " added\n";
  // A new domain signs its mail from the start (DESIGN.md: dkim).
  return dkim_generate(store, added->name, io);
}

int domain_list(store::Store& store, Output io) {
  auto domains = run(store.list_domains());
  if (!domains) return fail(io, domains.error());
  for (const auto& d : *domains) io.out << d.name << '\n';
  return 0;
}

int domain_remove(store::Store& store, const std::string& name, Output io) {
  auto domain = domain_argument(name);
  if (!domain) return fail(io, domain.error());
  auto removed = run(store.remove_domain(*domain));
  if (!removed) return fail(io, removed.error());
  io.out << "domain " << *domain << " removed\n";
  return 0;
}

int user_add(store::Store& store, const std::string& address, const std::string& password, Output io) {
  auto canonical = canonical_address(address);
  if (!canonical) return fail(io, canonical.error());
  auto hashed = hash(password);
  if (!hashed) return fail(io, hashed.error());
  auto added = run(store.add_account(*canonical, *hashed));
  if (!added) return fail(io, added.error());
  io.out << "user " << added->address << " added\n";
  return 0;
}

int user_passwd(store::Store& store, const std::string& address, const std::string& password, Output io) {
  auto canonical = canonical_address(address);
  if (!canonical) return fail(io, canonical.error());
  auto hashed = hash(password);
  if (!hashed) return fail(io, hashed.error());
  auto changed = run(store.set_password(*canonical, *hashed));
  if (!changed) return fail(io, changed.error());
  io.out << "password of " << *canonical << " changed\n";
  return 0;
}

int user_list(store::Store& store, Output io) {
  auto accounts = run(store.list_accounts());
  if (!accounts) return fail(io, accounts.error());
  for (const auto& a : *accounts) io.out << a.address << '\n';
  return 0;
}

int user_remove(store::Store& store, const std::string& address, Output io) {
  auto canonical = canonical_address(address);
  if (!canonical) return fail(io, canonical.error());
  auto removed = run(store.remove_account(*canonical));
  if (!removed) return fail(io, removed.error());
  io.out << "user " << *canonical << " removed\n";
  return 0;
}

int alias_add(store::Store& store, const std::string& address, const std::vector<std::string>& targets,
              Output io) {
  auto canonical = canonical_address(address, true);
  if (!canonical) return fail(io, canonical.error());
  if (targets.empty()) return fail(io, make_error(Errc::invalid, "an alias needs at least one target"));
  std::vector<std::string> canonical_targets;
  for (const auto& t : targets) {
    auto c = canonical_address(t);
    if (!c) return fail(io, c.error());
    canonical_targets.push_back(*c);
  }
  auto added = run(store.add_alias(*canonical, canonical_targets));
  if (!added) return fail(io, added.error());
  io.out << "alias " << added->address << " added\n";
  return 0;
}

int alias_list(store::Store& store, Output io) {
  auto aliases = run(store.list_aliases());
  if (!aliases) return fail(io, aliases.error());
  for (const auto& a : *aliases) io.out << a.address << " -> " << fmt::format("{}", fmt::join(a.targets, ", ")) << '\n';
  return 0;
}

int alias_remove(store::Store& store, const std::string& address, Output io) {
  auto canonical = canonical_address(address, true);
  if (!canonical) return fail(io, canonical.error());
  auto removed = run(store.remove_alias(*canonical));
  if (!removed) return fail(io, removed.error());
  io.out << "alias " << *canonical << " removed\n";
  return 0;
}

namespace {

Result<store::Account> find_account(store::Store& store, const std::string& address) {
  auto canonical = canonical_address(address);
  if (!canonical) return std::move(canonical).error();
  auto account = run(store.find_account(*canonical));
  if (!account) return std::move(account).error();
  if (!*account) return make_error(Errc::not_found, fmt::format("no account {}", *canonical));
  return **account;
}

}  // namespace

int mailbox_list(store::Store& store, const std::string& address, Output io) {
  auto account = find_account(store, address);
  if (!account) return fail(io, account.error());
  auto mailboxes = run(store.list_mailboxes(account->id));
  if (!mailboxes) return fail(io, mailboxes.error());
  for (const auto& m : *mailboxes)
    io.out << fmt::format("{} messages={} uidvalidity={} uidnext={} highestmodseq={}{}\n", m.name,
                          m.message_count, m.uidvalidity, m.uidnext, m.highestmodseq,
                          m.special_use.empty() ? "" : " special_use=" + m.special_use);
  return 0;
}

int message_fetch(store::Store& store, const std::string& address, const std::string& mailbox_name,
                  const std::string& uid_text, Output io) {
  auto account = find_account(store, address);
  if (!account) return fail(io, account.error());
  std::uint32_t uid = 0;
  auto [ptr, ec] = std::from_chars(uid_text.data(), uid_text.data() + uid_text.size(), uid);
  if (ec != std::errc() || ptr != uid_text.data() + uid_text.size() || uid == 0)
    return fail(io, make_error(Errc::invalid, fmt::format("'{}' is not a UID", uid_text)));
  auto mailbox = run(store.find_mailbox(account->id, mailbox_name));
  if (!mailbox) return fail(io, mailbox.error());
  if (!*mailbox) return fail(io, make_error(Errc::not_found, fmt::format("no mailbox {}", mailbox_name)));
  auto entries = run(store.list_entries((*mailbox)->id));
  if (!entries) return fail(io, entries.error());
  for (const auto& e : *entries) {
    if (e.uid != uid) continue;
    auto data = run(store.read_message(e.message_id));
    if (!data) return fail(io, data.error());
    io.out << *data;
    return 0;
  }
  return fail(io, make_error(Errc::not_found, fmt::format("no message with UID {} in {}", uid, mailbox_name)));
}

int queue_list(store::Store& store, Output io) {
  auto entries = run(store.queue_list());
  if (!entries) return fail(io, entries.error());
  for (const auto& e : *entries) {
    io.out << fmt::format("{} from=<{}> size={} attempts={} next={} error={}\n", e.id, e.spec.sender, e.size,
                          e.attempts, format_time(e.next_attempt), e.last_error.empty() ? "-" : e.last_error);
    for (const auto& r : e.spec.recipients)
      io.out << fmt::format("    to=<{}> state={}{}\n", r.address, state_name(r.state),
                            r.last_reply.empty() ? "" : " reply=" + r.last_reply);
  }
  if (entries->empty()) io.out << "queue is empty\n";
  return 0;
}

int queue_show(store::Store& store, const std::string& id_text, Output io) {
  auto id = parse_id(id_text);
  if (!id) return fail(io, id.error());
  auto entry = run(store.queue_get(*id));
  if (!entry) return fail(io, entry.error());
  if (!*entry) return fail(io, make_error(Errc::not_found, fmt::format("no queue entry {}", *id)));
  const auto& e = **entry;
  io.out << fmt::format("id: {}\nsender: <{}>\ncreated: {}\nattempts: {}\nnext attempt: {}\nlast error: {}\nsize: {}\n",
                        e.id, e.spec.sender, format_time(e.created), e.attempts, format_time(e.next_attempt),
                        e.last_error.empty() ? "-" : e.last_error, e.size);
  if (!e.spec.envid.empty()) io.out << "envid: " << e.spec.envid << '\n';
  if (!e.spec.ret.empty()) io.out << "ret: " << e.spec.ret << '\n';
  if (!e.spec.auth_user.empty()) io.out << "submitted by: " << e.spec.auth_user << '\n';
  for (const auto& r : e.spec.recipients)
    io.out << fmt::format("recipient: <{}> state={}{}\n", r.address, state_name(r.state),
                          r.last_reply.empty() ? "" : " reply=" + r.last_reply);
  return 0;
}

int queue_retry(store::Store& store, const std::optional<std::string>& id_text, Output io) {
  std::optional<store::Id> id;
  if (id_text) {
    auto parsed = parse_id(*id_text);
    if (!parsed) return fail(io, parsed.error());
    id = *parsed;
  }
  auto count = run(store.queue_retry(id, static_cast<store::UnixTime>(std::time(nullptr))));
  if (!count) return fail(io, count.error());
  if (id && *count == 0) return fail(io, make_error(Errc::not_found, fmt::format("no queue entry {}", *id)));
  io.out << *count << " queue entr" << (*count == 1 ? "y" : "ies") << " scheduled for delivery now\n";
  return 0;
}

int queue_remove(store::Store& store, const std::string& id_text, Output io) {
  auto id = parse_id(id_text);
  if (!id) return fail(io, id.error());
  auto removed = run(store.queue_remove(*id));
  if (!removed) return fail(io, removed.error());
  io.out << "queue entry " << *id << " removed\n";
  return 0;
}

}  // namespace tern::admin
