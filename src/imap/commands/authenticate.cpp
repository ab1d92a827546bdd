// AUTHENTICATE (RFC 9051 6.2.2) with SASL-IR (RFC 4959): PLAIN and LOGIN
// through the SaslExchange SMTP and POP3 use. Continuation lines reach
// continue_authenticate() from the session; "*" cancels (BAD).
#include "imap/commands/commands.hpp"

namespace tern::imap {
namespace {

asio::awaitable<void> step(Context& ctx, const Command& command, const auth::SaslStep& next) {
  if (auto* challenge = std::get_if<auth::SaslChallenge>(&next)) {
    ctx.out += "+ " + challenge->base64 + "\r\n";
    co_return;
  }
  const char* mechanism = ctx.sasl && ctx.sasl->mechanism() == auth::SaslExchange::Mechanism::login ? "LOGIN" : "PLAIN";
  ctx.sasl.reset();
  ctx.sasl_command.reset();
  if (auto* failed = std::get_if<auth::SaslFailed>(&next)) {
    if (failed->reason == auth::SaslFailure::not_permitted)
      ctx.no(command, "AUTHORIZATIONFAILED", failed->message);
    else
      ctx.bad(command, failed->reason == auth::SaslFailure::cancelled ? "AUTHENTICATE cancelled" : failed->message);
    co_return;
  }
  const auto& credentials = std::get<auth::Credentials>(next);
  co_await complete_login(ctx, command, credentials.authcid, credentials.password, mechanism);
}

}  // namespace

asio::awaitable<void> run(Context& ctx, const Command& command, const command::Authenticate& authenticate) {
  if (!plaintext_login_allowed(ctx)) {
    ctx.no(command, "PRIVACYREQUIRED", "AUTHENTICATE is only allowed over TLS; use STARTTLS first");
    co_return;
  }
  std::optional<std::string_view> initial;
  if (authenticate.initial_response) initial = *authenticate.initial_response;
  auto exchange = auth::SaslExchange::start(authenticate.mechanism, initial);
  if (!exchange) {
    ctx.no(command, "CANNOT", "unsupported authentication mechanism");
    co_return;
  }
  ctx.sasl.emplace(std::move(*exchange));
  ctx.sasl_command = command;
  const auth::SaslStep first = ctx.sasl->first_step();
  co_await step(ctx, command, first);
}

asio::awaitable<void> continue_authenticate(Context& ctx, std::string_view line) {
  const Command command = *ctx.sasl_command;
  const auth::SaslStep next = ctx.sasl->step(line);
  co_await step(ctx, command, next);
}

}  // namespace tern::imap
