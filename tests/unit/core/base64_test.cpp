// Tests for core/base64: RFC 4648 10 test vectors and the strict decoder's
// refusals.
#include "core/base64.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tern::base64 {
namespace {

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(encode(plain), encoded);
    auto r = decode(encoded);
    ASSERT_TRUE(r) << encoded << ": " << r.error().message;
    EXPECT_EQ(*r, plain);
  }
}

TEST(Base64, BinaryRoundTrip) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t n = 0; n <= all.size(); n += 17) {
    auto r = decode(encode(all.substr(0, n)));
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, all.substr(0, n));
  }
  EXPECT_EQ(*decode("AHVzZXIAcGFzcw=="), std::string("\0user\0pass", 10));
}

TEST(Base64, RejectsMalformed) {
  const char* bad[] = {
      "Zg",        // missing padding
      "Zg=",       // short padding
      "Zm9v\r\n",  // line break
      "Zm 9v",     // space
      "Zm9v Zg==",
      "Z===",      // too much padding
      "====",
      "Zg==Zm9v",  // padding in the middle
      "Zm=v",
      "Zh==",      // non-zero bits under the padding
      "Zm9=",
      "Zm9v!A==",  // character outside the alphabet
      "Zm9v-_==",  // base64url alphabet is not base64
  };
  for (const char* text : bad) {
    auto r = decode(text);
    EXPECT_FALSE(r) << text;
    if (!r) {
      EXPECT_EQ(r.error().code, Errc::invalid);
    }
  }
  EXPECT_FALSE(decode(std::string("Zm9\0", 4)));
}

}  // namespace
}  // namespace tern::base64
