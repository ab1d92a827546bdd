#include "core/spool.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <random>
#include <string>

namespace tern {
namespace {

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tern-spool-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  SpoolOptions small(bool canonicalize = false) const {
    SpoolOptions options;
    options.dir = dir_ / "spool";
    options.memory_threshold = 16;
    options.write_buffer = 8;
    options.canonicalize = canonicalize;
    return options;
  }

  std::filesystem::path dir_;
};

std::string pattern(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += static_cast<char>('a' + i % 26);
  return out;
}

TEST_F(SpoolTest, SmallTextStaysInMemory) {
  Spool spool(small());
  spool.append("hello ");
  spool.append("world");
  spool.finish();
  EXPECT_FALSE(spool.spilled());
  EXPECT_EQ(spool.size(), 11u);
  EXPECT_EQ(spool.memory(), "hello world");
  EXPECT_EQ(spool.read_all().value(), "hello world");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "spool"));  // nothing was needed on disk
}

TEST_F(SpoolTest, LargeTextSpillsToAnUnnamedFileAndReadsBack) {
  const std::string text = pattern(1000);
  Spool spool(small());
  for (std::size_t i = 0; i < text.size(); i += 7) spool.append(std::string_view(text).substr(i, 7));
  EXPECT_TRUE(spool.spilled());
  EXPECT_TRUE(spool.memory().empty() || spool.memory().size() < 8);  // only the write buffer
  // Before finish(): part in the file, part in the write buffer.
  EXPECT_EQ(spool.read_all().value(), text);
  spool.finish();
  EXPECT_EQ(spool.size(), text.size());
  EXPECT_EQ(spool.read_all().value(), text);
  char piece[10];
  EXPECT_EQ(spool.read(995, piece, sizeof piece).value(), 5u);
  EXPECT_EQ(std::string(piece, 5), text.substr(995));
  // The directory was made on first use, for the owner alone, and holds no name.
  struct stat st{};
  ASSERT_EQ(::stat((dir_ / "spool").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_TRUE(std::filesystem::is_empty(dir_ / "spool"));
}

TEST_F(SpoolTest, AWriteLargerThanTheBufferGoesStraightToTheFile) {
  Spool spool(small());
  spool.append(pattern(20));
  spool.append(pattern(100));
  spool.append("x");
  spool.finish();
  EXPECT_EQ(spool.read_all().value(), pattern(20) + pattern(100) + "x");
}

TEST_F(SpoolTest, WithoutADirectoryEverythingStaysInMemory) {
  SpoolOptions options;
  options.memory_threshold = 4;
  Spool spool(options);
  spool.append(pattern(100));
  EXPECT_FALSE(spool.spilled());
  EXPECT_EQ(spool.read_all().value(), pattern(100));
}

TEST_F(SpoolTest, AnUnwritableDirectoryFailsAndCountsOn) {
  SpoolOptions options = small();
  options.dir = "/proc/tern-no-such-dir/spool";
  Spool spool(options);
  spool.append(pattern(100));
  spool.append(pattern(100));
  spool.finish();
  EXPECT_TRUE(spool.failed());
  EXPECT_NE(spool.error().find("cannot create a spool file"), std::string::npos) << spool.error();
  EXPECT_EQ(spool.size(), 200u);
  EXPECT_FALSE(spool.read_all());
  EXPECT_FALSE(MappedText::map("", spool));
}

TEST_F(SpoolTest, DiscardDropsTheBytesButCounts) {
  Spool spool(small());
  spool.append(pattern(100));
  spool.discard();
  spool.append(pattern(10));
  EXPECT_TRUE(spool.discarded());
  EXPECT_FALSE(spool.spilled());
  EXPECT_EQ(spool.size(), 110u);
  EXPECT_FALSE(spool.read_all());
}

TEST_F(SpoolTest, TracksNulOctets) {
  Spool clean(small());
  clean.append(pattern(50));
  EXPECT_FALSE(clean.has_nul());
  Spool dirty(small());
  dirty.append(pattern(50));
  dirty.append(std::string_view("a\0b", 3));
  EXPECT_TRUE(dirty.has_nul());
}

TEST_F(SpoolTest, MovedSpoolKeepsItsFile) {
  Spool spool(small());
  spool.append(pattern(100));
  Spool moved = std::move(spool);
  moved.finish();
  EXPECT_EQ(moved.read_all().value(), pattern(100));
}

TEST_F(SpoolTest, CanonicalizesLineEndingsAcrossAnySplit) {
  // Bare LF gains a CR, CR CR LF loses one, a bare CR elsewhere stays.
  const std::string input = "a\nb\r\nc\r\r\nd\re\r\r\r\nf\r";
  const std::string expected = "a\r\nb\r\nc\r\nd\re\r\r\nf\r";
  for (std::size_t split = 0; split <= input.size(); ++split) {
    Spool spool(small(true));
    spool.append(std::string_view(input).substr(0, split));
    spool.append(std::string_view(input).substr(split));
    spool.finish();
    EXPECT_EQ(spool.read_all().value(), expected) << "split at " << split;
    EXPECT_EQ(spool.size(), expected.size());
  }
  Spool one_by_one(small(true));
  for (char c : input) one_by_one.append(std::string_view(&c, 1));
  one_by_one.finish();
  EXPECT_EQ(one_by_one.read_all().value(), expected);
}

TEST_F(SpoolTest, MapsAPrefixAndTheSpoolFileContiguously) {
  std::mt19937 random(7);
  std::string text;
  for (int i = 0; i < 300000; ++i) text += static_cast<char>('0' + random() % 75);
  SpoolOptions options = small();
  options.memory_threshold = 4096;
  Spool spool(options);
  spool.append(text);
  spool.finish();
  ASSERT_TRUE(spool.spilled());
  for (const std::string& prefix : {std::string(), std::string("Received: by x\r\n"), std::string(5000, 'p')}) {
    auto mapped = MappedText::map(prefix, spool);
    ASSERT_TRUE(mapped) << mapped.error().message;
    const std::string_view view = (*mapped)->view();
    ASSERT_EQ(view.size(), prefix.size() + text.size());
    EXPECT_EQ(view.substr(0, prefix.size()), prefix);
    EXPECT_TRUE(view.substr(prefix.size()) == text);
    // Released pages are read again from the file when touched.
    (*mapped)->release(0, view.size());
    EXPECT_TRUE(view.substr(prefix.size()) == text);
    (*mapped)->release(prefix.size() + 10000, 50000);
    EXPECT_TRUE(view.substr(prefix.size() + 9000, 60000) == std::string_view(text).substr(9000, 60000));
  }
}

TEST_F(SpoolTest, MappingOutlivesTheSpool) {
  std::shared_ptr<const MappedText> mapped;
  {
    Spool spool(small());
    spool.append(pattern(100000));
    spool.finish();
    mapped = MappedText::map("head\r\n", spool).value();
  }
  EXPECT_TRUE(mapped->view() == "head\r\n" + pattern(100000));
}

TEST_F(SpoolTest, MapsASpoolInMemoryByCopying) {
  Spool spool(small());
  spool.append("short");
  auto mapped = MappedText::map("pre:", spool);
  ASSERT_TRUE(mapped);
  EXPECT_EQ((*mapped)->view(), "pre:short");
  (*mapped)->release(0, 9);  // nothing to release; harmless
  EXPECT_EQ((*mapped)->view(), "pre:short");
}

TEST_F(SpoolTest, MappingAnUnfinishedSpoolIsRefused) {
  Spool spool(small());
  spool.append(pattern(100));
  spool.append("abc");  // in the write buffer, not yet in the file
  EXPECT_FALSE(MappedText::map("", spool));
  spool.finish();
  EXPECT_TRUE(MappedText::map("", spool));
}

TEST_F(SpoolTest, MapsWithTheFirstOctetsLeftOut) {
  // A rewritten header section goes into the prefix; the spool's own header is skipped.
  std::string text;
  for (int i = 0; i < 50000; ++i) text += static_cast<char>('a' + i % 26);
  Spool spool(small());
  spool.append(text);
  spool.finish();
  ASSERT_TRUE(spool.spilled());
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  for (std::size_t skip : {std::size_t{0}, std::size_t{1}, std::size_t{100}, page - 1, page, page + 1,
                           3 * page + 17, text.size() - 1, text.size()}) {
    for (const std::string& prefix : {std::string(), std::string("X-New: 1\r\n"), std::string(page + 3, 'p')}) {
      auto mapped = MappedText::map(prefix, spool, skip);
      ASSERT_TRUE(mapped) << mapped.error().message;
      EXPECT_TRUE((*mapped)->view() == prefix + text.substr(skip)) << "skip " << skip << " prefix " << prefix.size();
      (*mapped)->release(0, (*mapped)->view().size());
      EXPECT_TRUE((*mapped)->view() == prefix + text.substr(skip));
    }
  }
  EXPECT_FALSE(MappedText::map("", spool, text.size() + 1));
  Spool small_spool(small());
  small_spool.append("Header: x\r\n\r\nbody");
  EXPECT_EQ(MappedText::map("New: y\r\n\r\n", small_spool, 13).value()->view(), "New: y\r\n\r\nbody");
}

}  // namespace
}  // namespace tern
