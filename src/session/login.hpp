// One login for every protocol and every mechanism: the throttle is asked
// first (an attempt over its bound of attempts in progress waits its turn),
// the credentials are verified off the network threads, a failure waits out
// the throttle's delay before it is answered, and every outcome is logged
// the same way:
//   session=N event=auth_ok|auth_failed|auth_throttled protocol=P mechanism=M user=U peer=A
// (auth_failed adds account=exists|unknown, auth_throttled retry_after=SECONDS;
// a store failure: event=store_error op=authenticate; no turn within 30 s:
// event=auth_busy). The protocol only turns the outcome into its own reply.
#pragma once

#include <asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "session/env.hpp"

namespace tern::session {

enum class LoginStatus : std::uint8_t {
  ok,           // `account` is set
  failed,       // wrong user name or password (answered after the delay)
  throttled,    // too many failures from this address or for this user
  unavailable,  // the credentials could not be checked (the store failed, or no turn came)
};

struct LoginOutcome {
  LoginStatus status = LoginStatus::failed;
  std::optional<store::Account> account;
};

// `peer` is the client's address (throttled per address), `mechanism` the
// SASL mechanism or the protocol's own command (POP3 USER/PASS: "USER").
// Plain parameters, no aggregates: GCC 12 destroys a braced temporary bound
// to a coroutine parameter twice.
asio::awaitable<LoginOutcome> login(const SessionEnv& env, std::uint64_t session_id, const std::string& peer,
                                    std::string_view mechanism, std::string username, std::string password);

}  // namespace tern::session
