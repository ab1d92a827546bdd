// batch_end: how many messages one trip to the store carries.
#include <gtest/gtest.h>

#include <vector>

#include "store/batch.hpp"

namespace tern::store {
namespace {

std::vector<std::size_t> cuts(const std::vector<std::uint64_t>& sizes, const BatchBound& bound) {
  std::vector<std::size_t> ends;
  std::size_t next = 0;
  while (next < sizes.size()) {
    const std::size_t end = batch_end(next, sizes.size(), bound, [&](std::size_t i) { return sizes[i]; });
    if (end == next) break;  // reading ahead stops before an item that alone is too large
    ends.push_back(end);
    next = end;
  }
  return ends;
}

TEST(BatchEnd, BoundedByCount) {
  EXPECT_EQ(cuts(std::vector<std::uint64_t>(10, 1), {4, 0}), (std::vector<std::size_t>{4, 8, 10}));
}

TEST(BatchEnd, BoundedByOctets) {
  EXPECT_EQ(cuts({3, 3, 3, 3, 3}, {64, 7}), (std::vector<std::size_t>{2, 4, 5}));
}

TEST(BatchEnd, AnItemLargerThanTheBoundGoesAloneWhenItMust) {
  EXPECT_EQ(cuts({1, 100, 1}, {64, 10}), (std::vector<std::size_t>{1, 2, 3}));
  EXPECT_EQ(cuts({1, 100, 1}, {64, 10, false}), (std::vector<std::size_t>{1}));
}

TEST(BatchEnd, NoOctetBound) {
  EXPECT_EQ(cuts({1000, 1000, 1000}, {2, 0}), (std::vector<std::size_t>{2, 3}));
}

}  // namespace
}  // namespace tern::store
