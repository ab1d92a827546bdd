// SRS: forwarded mail's envelope sender and the bounces that come back.
#include "delivery/srs.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace tern::delivery {
namespace {

constexpr std::int64_t now = 1796000000;  // 2026-11-30
constexpr std::int64_t day = 86400;

TEST(Srs, ForwardThenReverse) {
  SrsKey key("secret");
  std::string srs = key.forward("alice@example.org", "fwd.example.test", now);
  EXPECT_TRUE(srs.starts_with("SRS0=")) << srs;
  EXPECT_TRUE(srs.ends_with("=example.org=alice@fwd.example.test")) << srs;
  EXPECT_EQ(key.reverse(srs, now), "alice@example.org");
  EXPECT_EQ(key.reverse(srs, now + 21 * day), "alice@example.org");
  // Some MTAs fold local parts to lower case on the way back.
  std::string lower;
  for (char c : srs) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(key.reverse(lower, now), "alice@example.org");
  // The original local part may hold "=".
  std::string odd = key.forward("a=b=c@example.org", "fwd.example.test", now);
  EXPECT_EQ(key.reverse(odd, now), "a=b=c@example.org");
}

TEST(Srs, ForgedOldOrForeignAddressesAreRefused) {
  SrsKey key("secret");
  std::string srs = key.forward("alice@example.org", "fwd.example.test", now);
  EXPECT_FALSE(key.reverse(srs, now + 22 * day)) << "older than 21 days";
  EXPECT_FALSE(SrsKey("other secret").reverse(srs, now)) << "another server's hash";
  std::string tampered = srs;
  tampered.replace(tampered.find("example.org"), 11, "example.net");
  EXPECT_FALSE(key.reverse(tampered, now));
  for (const char* bad : {"alice@example.org", "SRS0=@fwd.example.test", "SRS0=abcd=AA=example.org@x.test",
                          "SRS0=abcd=A!=example.org=alice@x.test", "SRS1=abcd=x.test==AA=d=l@y.test", "SRS0="}) {
    EXPECT_FALSE(key.reverse(bad, now)) << bad;
  }
  EXPECT_TRUE(is_srs_local_part("srs0=abcd"));
  EXPECT_FALSE(is_srs_local_part("srs0="));
  EXPECT_FALSE(is_srs_local_part("alice"));
}

TEST(Srs, TheDayStampWrapsAfter1024Days) {
  SrsKey key("secret");
  // A stamp made on day 1023 of the cycle is one day old on day 0 of the next.
  const std::int64_t last = (now / day / 1024 * 1024 + 1023) * day;
  std::string srs = key.forward("alice@example.org", "fwd.example.test", last);
  EXPECT_EQ(key.reverse(srs, last + day), "alice@example.org");
}

TEST(Srs, TheSecretIsMadeOnceAndKept) {
  auto dir = std::filesystem::temp_directory_path() / ("tern-srs-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = dir / "srs.secret";
  auto first = SrsKey::load_or_create(path);
  ASSERT_TRUE(first) << first.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto second = SrsKey::load_or_create(path);
  ASSERT_TRUE(second);
  std::string srs = first->forward("alice@example.org", "fwd.example.test", now);
  EXPECT_EQ(second->reverse(srs, now), "alice@example.org");
  { std::ofstream(path, std::ios::trunc) << "\n"; }
  EXPECT_FALSE(SrsKey::load_or_create(path)) << "an empty secret file is an error";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tern::delivery
