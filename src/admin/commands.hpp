// The administration verbs of DESIGN.md's contract (domain, user, alias,
// queue). Each takes the store and its arguments, prints to the given
// streams, and returns the process exit code: 0 done, 1 failed (not found,
// duplicate, store error), 2 bad input.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace tern::admin {

struct Output {
  std::ostream& out;
  std::ostream& err;
};

int domain_add(store::Store& store, const std::string& name, Output io);
int domain_list(store::Store& store, Output io);
int domain_remove(store::Store& store, const std::string& name, Output io);

int user_add(store::Store& store, const std::string& address, const std::string& password, Output io);
int user_passwd(store::Store& store, const std::string& address, const std::string& password, Output io);
int user_list(store::Store& store, Output io);
int user_remove(store::Store& store, const std::string& address, Output io);

int alias_add(store::Store& store, const std::string& address, const std::vector<std::string>& targets,
              Output io);
int alias_list(store::Store& store, Output io);
int alias_remove(store::Store& store, const std::string& address, Output io);

// Mailboxes of an account with their counts, and one stored message (raw).
int mailbox_list(store::Store& store, const std::string& address, Output io);
int message_fetch(store::Store& store, const std::string& address, const std::string& mailbox,
                  const std::string& uid, Output io);

int queue_list(store::Store& store, Output io);
int queue_show(store::Store& store, const std::string& id, Output io);
int queue_retry(store::Store& store, const std::optional<std::string>& id, Output io);
int queue_remove(store::Store& store, const std::string& id, Output io);

// Exit code for a store error: 2 for invalid input, else 1.
int exit_code_for(const Error& error);
// Prints "tern: MESSAGE" to io.err and returns exit_code_for(error).
int fail(Output io, const Error& error);
// A domain given on the command line, normalized (lower case, A-labels);
// Errc::invalid naming what is wrong.
Result<std::string> domain_argument(const std::string& name);

}  // namespace tern::admin
