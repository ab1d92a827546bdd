// SPF: the record syntax, the macro language (RFC 7208 7.4's examples) and
// the evaluation limits that keep hostile records bounded. The RFC 7208
// test suite runs separately (tests/tools/spf_suite.py).
#include "mailauth/spf_check.hpp"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include "support/stub_resolver.hpp"

namespace tern::spf {
namespace {

Verdict check(test::StubResolver& dns, std::string ip, std::string sender, std::string helo = "mx.example.org") {
  asio::io_context io;
  Query query;
  query.ip = asio::ip::make_address(ip);
  query.sender = std::move(sender);
  query.helo = std::move(helo);
  auto future = asio::co_spawn(io, check_host(dns, query), asio::use_future);
  io.run();
  return future.get();
}

TEST(SpfRecord, ParsesEveryMechanismAndModifier) {
  auto r = parse_record(
      "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx:%{d}/24//64 ptr:example.com ~exists:%{ir}.bl.example.com "
      "include:_spf.example.net ?all redirect=_spf.example.com exp=why.%{d} unknown=%{h}");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->mechanisms.size(), 8u);
  EXPECT_EQ(r->mechanisms[0].kind, Kind::ip4);
  EXPECT_EQ(r->mechanisms[0].cidr4, 24u);
  EXPECT_EQ(r->mechanisms[3].kind, Kind::mx);
  EXPECT_EQ(r->mechanisms[3].domain_spec, "%{d}");
  EXPECT_EQ(r->mechanisms[3].cidr4, 24u);
  EXPECT_EQ(r->mechanisms[3].cidr6, 64u);
  EXPECT_EQ(r->mechanisms[5].qualifier, Status::softfail);
  EXPECT_EQ(r->mechanisms[7].qualifier, Status::neutral);
  EXPECT_EQ(r->redirect, "_spf.example.com");
  EXPECT_EQ(r->exp, "why.%{d}");
}

TEST(SpfRecord, SyntaxErrorsAreRefused) {
  for (const char* bad : {"v=spf1 ip4:192.0.2.0/33", "v=spf1 ip4:192.0.02.1", "v=spf1 ip6:2001:db8::/129",
                          "v=spf1 a:example.com/024", "v=spf1 foo:bar", "v=spf1 include", "v=spf1 exists:",
                          "v=spf1 redirect=a.example.com redirect=b.example.com", "v=spf1 a:%{x}.example.com",
                          "v=spf1 a:%{d0}.example.com", "v=spf1 exists:%{c}.example.com", "v=spf1 a:%",
                          "v=spf1 include:example", "v=spf1 all:foo", "v=spf1 -all\tmx"}) {
    EXPECT_FALSE(parse_record(bad)) << bad;
  }
  EXPECT_FALSE(is_spf_record("v=spf10 -all"));
  EXPECT_TRUE(is_spf_record("V=SPF1"));
}

TEST(SpfMacro, Rfc7208Examples) {
  MacroInput in;
  in.sender = "strong-bad@email.example.com";
  in.local = "strong-bad";
  in.sender_domain = "email.example.com";
  in.domain = "email.example.com";
  in.ip = asio::ip::make_address("192.0.2.3");
  EXPECT_EQ(expand("%{s}", in), "strong-bad@email.example.com");
  EXPECT_EQ(expand("%{o}", in), "email.example.com");
  EXPECT_EQ(expand("%{d4}", in), "email.example.com");
  EXPECT_EQ(expand("%{d2}", in), "example.com");
  EXPECT_EQ(expand("%{d1}", in), "com");
  EXPECT_EQ(expand("%{dr}", in), "com.example.email");
  EXPECT_EQ(expand("%{d2r}", in), "example.email");
  EXPECT_EQ(expand("%{l}", in), "strong-bad");
  EXPECT_EQ(expand("%{l-}", in), "strong.bad");
  EXPECT_EQ(expand("%{lr}", in), "strong-bad");
  EXPECT_EQ(expand("%{lr-}", in), "bad.strong");
  EXPECT_EQ(expand("%{l1r-}", in), "strong");
  EXPECT_EQ(expand("%{ir}.%{v}._spf.%{d2}", in), "3.2.0.192.in-addr._spf.example.com");
  EXPECT_EQ(expand("%{lr-}.lp._spf.%{d2}", in), "bad.strong.lp._spf.example.com");
  EXPECT_EQ(expand("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", in), "3.2.0.192.in-addr.strong.lp._spf.example.com");
  EXPECT_EQ(expand("%{d2}.trusted-domains.example.net", in), "example.com.trusted-domains.example.net");
  EXPECT_EQ(expand("%%%_%-", in), "% %20");
  in.ip = asio::ip::make_address("2001:db8::cb01");
  EXPECT_EQ(expand("%{ir}.%{v}._spf.%{d2}", in),
            "1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.ip6._spf.example.com");
  in.local = "a b&c";
  EXPECT_EQ(expand("%{L}", in), "a%20b%26c");
}

TEST(SpfMacro, LongDomainsAreShortenedFromTheLeft) {
  MacroInput in;
  std::string local(60, 'x');
  std::string long_local = local + "." + local + "." + local + "." + local + "." + local;
  in.local = long_local;
  in.domain = "example.com";
  std::string out = expand_domain("%{l}.example.com", in);
  EXPECT_LE(out.size(), 253u);
  EXPECT_TRUE(out.ends_with(".example.com"));
}

TEST(SpfCheck, PassFailAndExplanation) {
  test::StubResolver dns;
  dns.txt["example.com"] = {"v=spf1 ip4:192.0.2.0/24 -all exp=why.example.com", "unrelated text"};
  dns.txt["why.example.com"] = {"%{i} may not send for %{d}"};
  EXPECT_EQ(check(dns, "192.0.2.7", "a@example.com").status, Status::pass);
  auto v = check(dns, "198.51.100.1", "a@example.com");
  EXPECT_EQ(v.status, Status::fail);
  EXPECT_EQ(v.explanation, "198.51.100.1 may not send for example.com");
  // The HELO identity: postmaster@HELO.
  auto helo = check(dns, "192.0.2.7", "", "example.com");
  EXPECT_EQ(helo.status, Status::pass);
  EXPECT_EQ(helo.sender, "postmaster@example.com");
  // IPv4-mapped clients are IPv4 clients.
  EXPECT_EQ(check(dns, "::ffff:192.0.2.9", "a@example.com").status, Status::pass);
}

TEST(SpfCheck, NoRecordTwoRecordsAndDnsFailure) {
  test::StubResolver dns;
  dns.txt["none.example"] = {"hello"};
  dns.txt["two.example"] = {"v=spf1 -all", "v=spf1 +all"};
  dns.failing.insert("broken.example");
  EXPECT_EQ(check(dns, "192.0.2.1", "a@none.example").status, Status::none);
  EXPECT_EQ(check(dns, "192.0.2.1", "a@nxdomain.example").status, Status::none);
  EXPECT_EQ(check(dns, "192.0.2.1", "a@two.example").status, Status::permerror);
  EXPECT_EQ(check(dns, "192.0.2.1", "a@broken.example").status, Status::temperror);
  EXPECT_EQ(check(dns, "192.0.2.1", "a@not-a-domain").status, Status::none);
}

TEST(SpfCheck, IncludeLoopsAndLookupBombsStopAtTheLimits) {
  test::StubResolver dns;
  dns.txt["loop.example"] = {"v=spf1 include:loop.example -all"};
  auto loop = check(dns, "192.0.2.1", "a@loop.example");
  EXPECT_EQ(loop.status, Status::permerror);
  EXPECT_LE(dns.queries, 12);

  // Each of 20 includes has an MX with 10 hosts: without the limits that is
  // hundreds of queries.
  std::string bomb = "v=spf1";
  for (int i = 0; i < 20; ++i) {
    std::string name = "i" + std::to_string(i) + ".bomb.example";
    bomb += " include:" + name;
    dns.txt[name] = {"v=spf1 mx -all"};
    for (int h = 0; h < 10; ++h) dns.mx[name].push_back({10, "h" + std::to_string(h) + "." + name});
  }
  dns.txt["bomb.example"] = {bomb + " -all"};
  dns.queries = 0;
  EXPECT_EQ(check(dns, "192.0.2.1", "a@bomb.example").status, Status::permerror);
  EXPECT_LE(dns.queries, 120);

  // More than two lookups that find nothing.
  dns.txt["void.example"] = {"v=spf1 a:n1.void.example a:n2.void.example a:n3.void.example -all"};
  auto voids = check(dns, "192.0.2.1", "a@void.example");
  EXPECT_EQ(voids.status, Status::permerror);
  EXPECT_NE(voids.mechanism.find("void"), std::string::npos);
}

TEST(SpfCheck, ARecordOfManyStringsIsJoined) {
  // A TXT record of 100 strings reaches check_host already joined (RFC 7208
  // 3.3); a long list of ip4 terms evaluates without DNS.
  test::StubResolver dns;
  std::string record = "v=spf1";
  for (int i = 0; i < 100; ++i) record += " ip4:10.0." + std::to_string(i) + ".0/24";
  dns.txt["many.example"] = {record + " -all"};
  EXPECT_EQ(check(dns, "10.0.99.5", "a@many.example").status, Status::pass);
  EXPECT_EQ(check(dns, "10.1.0.5", "a@many.example").status, Status::fail);
}

TEST(SpfCheck, PtrAndMxMechanisms) {
  test::StubResolver dns;
  dns.txt["example.com"] = {"v=spf1 mx/30 ptr -all"};
  dns.mx["example.com"] = {{10, "mx.example.com"}};
  dns.a["mx.example.com"] = {"192.0.2.8"};
  dns.ptr["1.100.51.198.in-addr.arpa"] = {"out.example.com"};
  dns.a["out.example.com"] = {"198.51.100.1"};
  EXPECT_EQ(check(dns, "192.0.2.10", "a@example.com").status, Status::pass);   // in mx's /30
  EXPECT_EQ(check(dns, "198.51.100.1", "a@example.com").status, Status::pass);  // validated PTR
  EXPECT_EQ(check(dns, "192.0.2.20", "a@example.com").status, Status::fail);
}

}  // namespace
}  // namespace tern::spf
