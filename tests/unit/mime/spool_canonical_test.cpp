// The spool's streaming canonicalization (core/spool.hpp) must give exactly
// what mime::canonicalize_line_endings gives for the whole text: IMAP APPEND
// stores a large literal through the one and a small one through the other.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "core/spool.hpp"
#include "mime/text.hpp"

namespace tern {
namespace {

TEST(SpoolCanonical, MatchesTheWholeTextRewriteForRandomTextAndSplits) {
  std::mt19937 random(2026);
  const char alphabet[] = {'\r', '\n', 'a', '.', '\r', '\n', ' '};
  for (int round = 0; round < 500; ++round) {
    std::string text;
    const std::size_t length = random() % 200;
    for (std::size_t i = 0; i < length; ++i) text += alphabet[random() % sizeof alphabet];
    SpoolOptions options;
    options.canonicalize = true;
    Spool spool(options);
    for (std::size_t pos = 0; pos < text.size();) {
      const std::size_t n = std::min<std::size_t>(1 + random() % 9, text.size() - pos);
      spool.append(std::string_view(text).substr(pos, n));
      pos += n;
    }
    spool.finish();
    const std::string expected = mime::canonicalize_line_endings(text);
    ASSERT_EQ(spool.read_all().value(), expected) << "round " << round;
    ASSERT_EQ(spool.size(), expected.size());
  }
}

}  // namespace
}  // namespace tern
