#include "queue/routing.hpp"

#include <gtest/gtest.h>

#include <set>

#include "queue/bounce.hpp"
#include "queue/scheduler.hpp"

namespace tern::queue {
namespace {

TEST(Routing, MxByPreferenceRandomAmongEquals) {
  std::set<std::string> firsts;
  for (unsigned seed = 0; seed < 40; ++seed) {
    std::mt19937 random(seed);
    auto hops = order_mx({{20, "c.example"}, {10, "a.example"}, {10, "b.example"}, {30, "d.example"}}, random);
    ASSERT_EQ(hops.size(), 4u);
    EXPECT_EQ(hops[2].host, "c.example");
    EXPECT_EQ(hops[3].host, "d.example");
    EXPECT_EQ(hops[0].port, 25);
    firsts.insert(hops[0].host);
  }
  EXPECT_EQ(firsts, (std::set<std::string>{"a.example", "b.example"}));
}

TEST(Routing, NullMx) {
  EXPECT_TRUE(is_null_mx({{0, ""}}));
  EXPECT_FALSE(is_null_mx({{0, "mx.example"}}));
  EXPECT_FALSE(is_null_mx({}));
  std::mt19937 random(1);
  EXPECT_EQ(order_mx({{0, ""}, {5, "mx.example"}}, random).size(), 1u);
}

TEST(Routing, RoutesThenSmarthost) {
  RelayConfig relay;
  EXPECT_FALSE(fixed_route(relay, "x.example").found);
  relay.routes["x.example"] = "127.0.0.9:2525";
  relay.smarthost = "relay.example:587";
  auto route = fixed_route(relay, "x.example");
  ASSERT_TRUE(route.found);
  EXPECT_EQ(route.hop.host, "127.0.0.9");
  EXPECT_EQ(route.hop.port, 2525);
  EXPECT_FALSE(route.smarthost);
  auto other = fixed_route(relay, "y.example");
  ASSERT_TRUE(other.found);
  EXPECT_TRUE(other.smarthost);
  EXPECT_EQ(other.hop.port, 587);
  EXPECT_EQ(domain_of("User@Example.ORG"), "example.org");
}

TEST(Dns, MxRdata) {
  const unsigned char rdata[] = {0, 10, 2, 'M', 'x', 1, 'b', 4, 't', 'e', 's', 't', 0};
  auto mx = dns::parse_mx_rdata(rdata, sizeof rdata);
  ASSERT_TRUE(mx.has_value());
  EXPECT_EQ(mx->preference, 10);
  EXPECT_EQ(mx->exchange, "mx.b.test");
  const unsigned char null_mx[] = {0, 0, 0};
  EXPECT_EQ(dns::parse_mx_rdata(null_mx, 3)->exchange, "");
  const unsigned char truncated[] = {0, 10, 5, 'a'};
  EXPECT_FALSE(dns::parse_mx_rdata(truncated, sizeof truncated).has_value());
}

TEST(Schedule, LastDelayRepeats) {
  std::vector<std::chrono::seconds> schedule{std::chrono::seconds(60), std::chrono::seconds(600)};
  EXPECT_EQ(retry_delay(schedule, 1).count(), 60);
  EXPECT_EQ(retry_delay(schedule, 2).count(), 600);
  EXPECT_EQ(retry_delay(schedule, 9).count(), 600);
}

TEST(Bounce, DeliveryStatusReport) {
  Notice n;
  n.hostname = "mx.a.example";
  n.to = "alice@a.example";
  n.envid = "E1";
  n.arrival = 1700000000;
  n.now = 1700000100;
  n.unique = "u1";
  n.recipients.push_back({"bob@b.example", "rfc822;bob@b.example", "5.1.1", "mx.b.example",
                          "smtp; 550 5.1.1 no such user"});
  std::string original = "Return-Path: <alice@a.example>\r\nSubject: hi\r\n\r\nsecret body\r\n";
  std::string text = build_notice(n, original);
  EXPECT_NE(text.find("From: Mail Delivery System <MAILER-DAEMON@mx.a.example>\r\n"), std::string::npos);
  EXPECT_NE(text.find("multipart/report; report-type=delivery-status"), std::string::npos);
  EXPECT_NE(text.find("Reporting-MTA: dns; mx.a.example\r\nOriginal-Envelope-Id: E1\r\n"), std::string::npos);
  EXPECT_NE(text.find("Final-Recipient: rfc822; bob@b.example\r\nOriginal-Recipient: rfc822; bob@b.example\r\n"
                      "Action: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; mx.b.example\r\n"
                      "Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Content-Type: text/rfc822-headers\r\n"), std::string::npos);
  EXPECT_NE(text.find("Subject: hi"), std::string::npos);
  EXPECT_EQ(text.find("secret body"), std::string::npos) << "only the headers without RET=FULL";
  EXPECT_EQ(text.find("Return-Path: <alice"), std::string::npos);
  n.return_full = true;
  EXPECT_NE(build_notice(n, original).find("secret body"), std::string::npos);
  n.delayed = true;
  n.retry_until = 1700500000;
  std::string delayed = build_notice(n, original);
  EXPECT_NE(delayed.find("Action: delayed"), std::string::npos);
  EXPECT_NE(delayed.find("Will-Retry-Until: "), std::string::npos);
}

}  // namespace
}  // namespace tern::queue
