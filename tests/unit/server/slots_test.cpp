// The connection slots: per-network limits, the stress flag, and making room
// for a newcomer by closing the oldest idle connection that has not logged in.
#include "server/slots.hpp"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>

#include "net/memory.hpp"

namespace tern::server {
namespace {

class SlotTableTest : public ::testing::Test {
 protected:
  SlotTableTest() {
    limits_.max_connections = 5;
    limits_.max_connections_per_ip = 3;
  }

  std::shared_ptr<net::MemoryConnection> connection(const std::string& address) {
    auto c = std::make_shared<net::MemoryConnection>(io_.get_executor(), address);
    held_.push_back(c);
    return c;
  }

  // Admits a connection that waits for a command (idle), not logged in.
  std::shared_ptr<net::MemoryConnection> idle(SlotTable& slots, const std::string& address) {
    auto c = connection(address);
    c->set_idle(true);
    EXPECT_EQ(slots.admit(next_id_++, c).verdict, SlotTable::Verdict::admitted) << address;
    return c;
  }

  asio::io_context io_;
  LimitsConfig limits_;
  std::uint64_t next_id_ = 1;
  std::vector<std::shared_ptr<net::MemoryConnection>> held_;
};

TEST_F(SlotTableTest, PerAddressLimit) {
  SlotTable slots(limits_);
  for (int i = 0; i < 3; ++i) idle(slots, "192.0.2.1");
  auto refused = slots.admit(next_id_++, connection("192.0.2.1"));
  EXPECT_EQ(refused.verdict, SlotTable::Verdict::network_full);
  EXPECT_EQ(refused.evicted, nullptr);
  EXPECT_EQ(slots.admit(next_id_++, connection("192.0.2.2")).verdict, SlotTable::Verdict::admitted);
  // A slot given back can be taken again.
  slots.release(1);
  EXPECT_EQ(slots.admit(next_id_++, connection("192.0.2.1")).verdict, SlotTable::Verdict::admitted);
}

TEST_F(SlotTableTest, PerNetworkLimitWithAPrefix) {
  limits_.per_ip_prefix_v4 = 24;
  SlotTable slots(limits_);
  idle(slots, "198.51.100.1");
  idle(slots, "198.51.100.2");
  idle(slots, "198.51.100.3");
  EXPECT_EQ(slots.admit(next_id_++, connection("198.51.100.4")).verdict, SlotTable::Verdict::network_full);
  EXPECT_EQ(slots.admit(next_id_++, connection("198.51.101.4")).verdict, SlotTable::Verdict::admitted);
}

TEST_F(SlotTableTest, Ipv6CountsPerSlash64ByDefault) {
  SlotTable slots(limits_);
  idle(slots, "2001:db8:0:1::1");
  idle(slots, "2001:db8:0:1::2");
  idle(slots, "2001:db8:0:1:ffff::3");
  EXPECT_EQ(slots.admit(next_id_++, connection("2001:db8:0:1::4")).verdict, SlotTable::Verdict::network_full);
  EXPECT_EQ(slots.admit(next_id_++, connection("2001:db8:0:2::1")).verdict, SlotTable::Verdict::admitted);
}

TEST_F(SlotTableTest, StressFromTheThreshold) {
  limits_.max_connections = 10;
  limits_.max_connections_per_ip = 10;
  SlotTable slots(limits_);
  for (int i = 0; i < 7; ++i) idle(slots, "192.0.2.1");
  EXPECT_FALSE(slots.stress().load());
  held_[0]->set_authenticated(true);
  EXPECT_FALSE(held_[1]->take_nudge());
  idle(slots, "192.0.2.1");  // 8 of 10: 80 %
  EXPECT_TRUE(slots.stress().load());
  // Those already waiting work their waits out again; logged-in ones need not.
  EXPECT_TRUE(held_[1]->take_nudge());
  EXPECT_FALSE(held_[0]->take_nudge());
  // It ends a tenth below the threshold: at 7 of 10 still on, at 6 off.
  slots.release(8);
  EXPECT_TRUE(slots.stress().load());
  slots.release(7);
  EXPECT_FALSE(slots.stress().load());
  idle(slots, "192.0.2.1");
  EXPECT_FALSE(slots.stress().load());
}

TEST_F(SlotTableTest, FullServerClosesTheOldestIdleUnauthenticated) {
  SlotTable slots(limits_);
  auto logged_in = idle(slots, "192.0.2.1");
  logged_in->set_authenticated(true);
  auto busy = idle(slots, "192.0.2.2");
  busy->set_idle(false);  // in the middle of a command
  auto oldest_idle = idle(slots, "192.0.2.3");
  auto newer_idle = idle(slots, "192.0.2.4");
  idle(slots, "192.0.2.5");

  auto newcomer = connection("203.0.113.9");
  auto admission = slots.admit(next_id_++, newcomer);
  EXPECT_EQ(admission.verdict, SlotTable::Verdict::admitted);
  EXPECT_EQ(admission.evicted, oldest_idle);
  EXPECT_TRUE(oldest_idle->evicted());
  EXPECT_FALSE(newer_idle->evicted());
  EXPECT_FALSE(logged_in->evicted());
  EXPECT_FALSE(busy->evicted());

  // The next newcomer takes the next one, not the one already leaving.
  admission = slots.admit(next_id_++, connection("203.0.113.10"));
  EXPECT_EQ(admission.evicted, newer_idle);
}

TEST_F(SlotTableTest, FullOfLoggedInOrBusySessionsRefuses) {
  SlotTable slots(limits_);
  for (int i = 0; i < 5; ++i) {
    auto c = idle(slots, "192.0.2." + std::to_string(i + 1));
    if (i % 2) c->set_authenticated(true);
    else c->set_idle(false);
  }
  auto admission = slots.admit(next_id_++, connection("203.0.113.9"));
  EXPECT_EQ(admission.verdict, SlotTable::Verdict::server_full);
  EXPECT_EQ(admission.evicted, nullptr);
  for (auto& c : held_) EXPECT_FALSE(c->evicted());
}

TEST_F(SlotTableTest, EvictedSlotsLeaveWhenTheirSessionEnds) {
  SlotTable slots(limits_);
  for (int i = 0; i < 5; ++i) idle(slots, "192.0.2." + std::to_string(i + 1));
  EXPECT_EQ(slots.admit(next_id_++, connection("203.0.113.9")).verdict, SlotTable::Verdict::admitted);
  EXPECT_EQ(slots.size(), 6u);  // the evicted one still says goodbye
  slots.release(1);
  EXPECT_EQ(slots.size(), 5u);
  EXPECT_EQ(slots.open().size(), 5u);
  // Releasing the evicted slot did not free a counted one: the server is
  // still full, so the next newcomer evicts again.
  EXPECT_NE(slots.admit(next_id_++, connection("203.0.113.10")).evicted, nullptr);
}

TEST_F(SlotTableTest, ARefusedAddressDoesNotEvict) {
  limits_.max_connections_per_ip = 1;
  SlotTable slots(limits_);
  for (int i = 0; i < 5; ++i) idle(slots, "192.0.2." + std::to_string(i + 1));
  auto admission = slots.admit(next_id_++, connection("192.0.2.1"));
  EXPECT_EQ(admission.verdict, SlotTable::Verdict::network_full);
  for (auto& c : held_) EXPECT_FALSE(c->evicted());
}

}  // namespace
}  // namespace tern::server
