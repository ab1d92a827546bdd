// TXT record data (RFC 1035 3.3.14): character-strings joined, as SPF
// (RFC 7208 3.3), DKIM (RFC 6376 3.6.2.2) and DMARC read them.
#include "dns/resolver.hpp"

#include <gtest/gtest.h>

namespace tern::dns {
namespace {

std::optional<std::string> txt(std::string_view rdata) {
  return parse_txt_rdata(reinterpret_cast<const unsigned char*>(rdata.data()), rdata.size());
}

TEST(TxtRdata, StringsAreJoinedWithoutSeparator) {
  EXPECT_EQ(txt(std::string_view("\x06v=spf1\x05 -all", 13)), "v=spf1 -all");
  EXPECT_EQ(txt(std::string_view("\x00", 1)), "");
  EXPECT_EQ(txt(""), "");
  std::string long_record(1, '\xff');
  long_record += std::string(255, 'a');
  long_record += '\x02';
  long_record += "bc";
  EXPECT_EQ(txt(long_record), std::string(255, 'a') + "bc");
}

TEST(TxtRdata, ALengthPastTheEndIsMalformed) {
  EXPECT_FALSE(txt(std::string_view("\x05" "abc", 4)).has_value());
  EXPECT_FALSE(txt(std::string_view("\x01" "a\x02", 3)).has_value());
}

}  // namespace
}  // namespace tern::dns
