// Tests for auth/sasl: PLAIN (RFC 4616) and LOGIN exchanges, initial
// responses (RFC 4954 4), cancellation and every malformed response.
#include "auth/sasl.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/base64.hpp"

namespace tern::auth {
namespace {

std::string b64(std::string_view text) { return base64::encode(text); }

SaslExchange start_ok(std::string_view mechanism, std::optional<std::string_view> initial = std::nullopt) {
  auto r = SaslExchange::start(mechanism, initial);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return std::move(r).value();
}

const Credentials& credentials_of(const SaslStep& step) {
  EXPECT_TRUE(std::holds_alternative<Credentials>(step));
  return std::get<Credentials>(step);
}

void expect_failure(const SaslStep& step, SaslFailure reason, std::string_view says = {}) {
  ASSERT_TRUE(std::holds_alternative<SaslFailed>(step));
  const auto& failed = std::get<SaslFailed>(step);
  EXPECT_EQ(failed.reason, reason) << failed.message;
  EXPECT_NE(failed.message.find(says), std::string::npos) << failed.message;
}

TEST(Sasl, Mechanisms) {
  EXPECT_EQ(sasl_mechanisms(), (std::vector<std::string>{"PLAIN", "LOGIN"}));
  auto unknown = SaslExchange::start("CRAM-MD5", std::nullopt);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::not_found);
  EXPECT_FALSE(SaslExchange::start("", std::nullopt));
  EXPECT_FALSE(SaslExchange::start("PLAINX", std::nullopt));
  EXPECT_TRUE(SaslExchange::start("plain", std::nullopt));
  EXPECT_TRUE(SaslExchange::start("Login", std::nullopt));
}

TEST(SaslPlain, InitialResponse) {
  auto exchange = start_ok("PLAIN", b64(std::string("\0alice@example.com\0s3cret", 25)));
  const auto& c = credentials_of(exchange.first_step());
  EXPECT_EQ(c.authcid, "alice@example.com");
  EXPECT_EQ(c.password, "s3cret");
  EXPECT_TRUE(exchange.finished());
  expect_failure(exchange.step("AAAA"), SaslFailure::malformed, "already over");
}

TEST(SaslPlain, EmptyChallengeThenResponse) {
  auto exchange = start_ok("PLAIN");
  ASSERT_TRUE(std::holds_alternative<SaslChallenge>(exchange.first_step()));
  EXPECT_EQ(std::get<SaslChallenge>(exchange.first_step()).base64, "");
  EXPECT_FALSE(exchange.finished());
  auto step = exchange.step(b64(std::string("\0bob@example.com\0pw with spaces", 31)));
  const auto& c = credentials_of(step);
  EXPECT_EQ(c.authcid, "bob@example.com");
  EXPECT_EQ(c.password, "pw with spaces");
}

TEST(SaslPlain, AuthzidEqualToAuthcidIsAccepted) {
  auto exchange = start_ok("PLAIN", b64(std::string("u@example.com\0u@example.com\0pw", 30)));
  EXPECT_EQ(credentials_of(exchange.first_step()).authcid, "u@example.com");
}

TEST(SaslPlain, AuthzidOfAnotherUserIsRefused) {
  auto exchange = start_ok("PLAIN", b64(std::string("admin@example.com\0u@example.com\0pw", 34)));
  expect_failure(exchange.first_step(), SaslFailure::not_permitted, "authorization identity");
  EXPECT_TRUE(exchange.finished());
}

TEST(SaslPlain, Malformed) {
  struct Case {
    std::string line;
    const char* says;
  };
  const Case cases[] = {
      {"not base64!", "base64"},
      {b64("alice"), "two NULs"},
      {b64(std::string("alice\0pw", 8)), "two NULs"},
      {b64(std::string("\0alice\0pw\0extra", 15)), "more than two NULs"},
      {b64(std::string("\0\0pw", 4)), "no user name"},
      {b64(std::string("\0alice\0", 7)), "no password"},
      {"", "two NULs"},
      {"AGFsaWNl\r\nAHB3", "base64"},
      {b64(std::string("\0alice\0", 7) + std::string(1100, 'p')), "too long"},
  };
  for (const auto& c : cases) {
    auto exchange = start_ok("PLAIN");
    auto step = exchange.step(c.line);
    expect_failure(step, SaslFailure::malformed, c.says);
    EXPECT_TRUE(exchange.finished());
  }
}

TEST(SaslPlain, DecodedLimitIsExact) {
  std::string at_limit = std::string("\0u\0", 3) + std::string(max_response_octets - 3, 'p');
  auto ok = start_ok("PLAIN");
  EXPECT_EQ(credentials_of(ok.step(b64(at_limit))).password.size(), max_response_octets - 3);
  auto over = start_ok("PLAIN");
  expect_failure(over.step(b64(at_limit + "p")), SaslFailure::malformed, "too long");
}

TEST(SaslPlain, EqualsIsAnEmptyInitialResponse) {
  auto exchange = start_ok("PLAIN", "=");
  expect_failure(exchange.first_step(), SaslFailure::malformed, "two NULs");
}

TEST(SaslPlain, CancelAfterChallenge) {
  auto exchange = start_ok("PLAIN");
  expect_failure(exchange.step("*"), SaslFailure::cancelled);
  EXPECT_TRUE(exchange.finished());
}

TEST(SaslPlain, StarAsInitialResponseIsNotACancel) {
  auto exchange = start_ok("PLAIN", "*");
  expect_failure(exchange.first_step(), SaslFailure::malformed, "base64");
}

TEST(SaslLogin, TwoChallenges) {
  auto exchange = start_ok("LOGIN");
  ASSERT_TRUE(std::holds_alternative<SaslChallenge>(exchange.first_step()));
  const auto& first = std::get<SaslChallenge>(exchange.first_step()).base64;
  EXPECT_EQ(*base64::decode(first), "Username:");
  auto second = exchange.step(b64("carol@example.com"));
  ASSERT_TRUE(std::holds_alternative<SaslChallenge>(second));
  EXPECT_EQ(*base64::decode(std::get<SaslChallenge>(second).base64), "Password:");
  EXPECT_FALSE(exchange.finished());
  auto done = exchange.step(b64("hunter2"));
  const auto& c = credentials_of(done);
  EXPECT_EQ(c.authcid, "carol@example.com");
  EXPECT_EQ(c.password, "hunter2");
  EXPECT_TRUE(exchange.finished());
}

TEST(SaslLogin, InitialResponseIsTheUserName) {
  auto exchange = start_ok("LOGIN", b64("dave@example.com"));
  ASSERT_TRUE(std::holds_alternative<SaslChallenge>(exchange.first_step()));
  EXPECT_EQ(*base64::decode(std::get<SaslChallenge>(exchange.first_step()).base64), "Password:");
  EXPECT_EQ(credentials_of(exchange.step(b64("pw"))).authcid, "dave@example.com");
}

TEST(SaslLogin, Malformed) {
  {
    auto exchange = start_ok("LOGIN");
    expect_failure(exchange.step("%%%%"), SaslFailure::malformed, "base64");
  }
  {
    auto exchange = start_ok("LOGIN");
    expect_failure(exchange.step(""), SaslFailure::malformed, "empty user name");
  }
  {
    auto exchange = start_ok("LOGIN", "=");
    expect_failure(exchange.first_step(), SaslFailure::malformed, "empty user name");
  }
  {
    auto exchange = start_ok("LOGIN");
    expect_failure(exchange.step(b64(std::string("a\0b", 3))), SaslFailure::malformed, "NUL");
  }
  {
    auto exchange = start_ok("LOGIN");
    ASSERT_TRUE(std::holds_alternative<SaslChallenge>(exchange.step(b64("erin"))));
    expect_failure(exchange.step(""), SaslFailure::malformed, "empty password");
  }
  {
    auto exchange = start_ok("LOGIN");
    ASSERT_TRUE(std::holds_alternative<SaslChallenge>(exchange.step(b64("erin"))));
    expect_failure(exchange.step(b64(std::string("pw\0", 3))), SaslFailure::malformed, "NUL");
  }
  {
    auto exchange = start_ok("LOGIN");
    expect_failure(exchange.step(std::string(2000, 'A')), SaslFailure::malformed, "too long");
  }
}

TEST(SaslLogin, CancelAtEitherChallenge) {
  auto first = start_ok("LOGIN");
  expect_failure(first.step("*"), SaslFailure::cancelled);
  auto second = start_ok("LOGIN");
  ASSERT_TRUE(std::holds_alternative<SaslChallenge>(second.step(b64("frank"))));
  expect_failure(second.step("*"), SaslFailure::cancelled);
  expect_failure(second.step(b64("pw")), SaslFailure::malformed, "already over");
}

}  // namespace
}  // namespace tern::auth
