// The Authentication-Results field (RFC 8601) tern writes, and the
// authserv-id of the ones that arrive.
#include "mailauth/authentication_results.hpp"

#include <gtest/gtest.h>

namespace tern::mailauth {
namespace {

TEST(AuthenticationResults, NoSignatureIsNone) {
  EXPECT_EQ(authentication_results("mail.example.test", {}),
            "Authentication-Results: mail.example.test;\r\n\tdkim=none\r\n");
}

TEST(AuthenticationResults, OneResultPerSignatureWithItsProperties) {
  dkim::Verdict pass;
  pass.status = dkim::Status::pass;
  pass.domain = "example.org";
  pass.identity = "@example.org";
  pass.selector = "ed1";
  pass.algorithm = "ed25519-sha256";
  pass.b_prefix = "/gCrinpc";
  pass.bits = 256;
  dkim::Verdict fail = pass;
  fail.status = dkim::Status::fail;
  fail.reason = "body hash mismatch";
  fail.selector = "bad selector;x";
  dkim::Verdict broken;
  broken.status = dkim::Status::permerror;
  broken.reason = "unknown algorithm 'x(y)\r\nz'";
  std::vector<dkim::Verdict> all{pass, fail, broken};
  EXPECT_EQ(authentication_results("mx.example.test", all),
            "Authentication-Results: mx.example.test;\r\n"
            "\tdkim=pass (256-bit key) header.d=example.org header.i=\"@example.org\" header.s=ed1 "
            "header.a=ed25519-sha256 header.b=/gCrinpc;\r\n"
            "\tdkim=fail (body hash mismatch) header.d=example.org header.i=\"@example.org\" "
            "header.s=\"bad selector;x\" header.a=ed25519-sha256 header.b=/gCrinpc;\r\n"
            "\tdkim=permerror (unknown algorithm 'x?y???z')\r\n");
}

TEST(AuthenticationResults, AuthservIdOfArrivingFields) {
  EXPECT_EQ(authserv_id_of(" mail.example.test; dkim=pass"), "mail.example.test");
  EXPECT_EQ(authserv_id_of(" MAIL.Example.TEST 1; spf=pass"), "mail.example.test");
  EXPECT_EQ(authserv_id_of(" (comment (nested)) mail.example.test;"), "mail.example.test");
  EXPECT_EQ(authserv_id_of("\r\n\tmail.example.test\r\n\t; none"), "mail.example.test");
  EXPECT_EQ(authserv_id_of(" other.example; dkim=pass header.d=mail.example.test"), "other.example");
  EXPECT_EQ(authserv_id_of(""), "");
}

}  // namespace
}  // namespace tern::mailauth
