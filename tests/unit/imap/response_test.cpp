// Response writing: quoting rules, status responses, flag lists, LIST lines
// with modified UTF-7 or UTF-8 names, ESEARCH.
#include <gtest/gtest.h>

#include "imap/protocol/response.hpp"

namespace tern::imap {
namespace {

TEST(ImapResponse, QuotesOrSendsLiterals) {
  EXPECT_EQ(quote_string("hello"), "\"hello\"");
  EXPECT_EQ(quote_string(""), "\"\"");
  EXPECT_EQ(quote_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(quote_string("two\r\nlines"), "{10}\r\ntwo\r\nlines");
  EXPECT_EQ(quote_string("Entw\xc3\xbcrfe"), "{9}\r\nEntw\xc3\xbcrfe");
  EXPECT_EQ(quote_string("Entw\xc3\xbcrfe", true), "\"Entw\xc3\xbcrfe\"");
  EXPECT_EQ(quote_string("\xff", true), "{1}\r\n\xff");
  EXPECT_EQ(quote_string(std::string("a\0b", 3)), std::string("~{3}\r\na\0b", 9));
  const std::string long_text(max_quoted_octets + 1, 'x');
  EXPECT_EQ(quote_string(long_text), "{1025}\r\n" + long_text);
  EXPECT_EQ(format_astring("INBOX"), "INBOX");
  EXPECT_EQ(format_astring("nil"), "\"nil\"");
  EXPECT_EQ(format_astring(""), "\"\"");
  EXPECT_EQ(format_astring("a b"), "\"a b\"");
  EXPECT_EQ(format_astring("Lists]"), "Lists]");
  EXPECT_EQ(format_nstring(std::nullopt), "NIL");
  EXPECT_EQ(format_nstring(std::string("x")), "\"x\"");
}

TEST(ImapResponse, StatusResponses) {
  EXPECT_EQ(status_response("a1", Status::ok, "READ-WRITE", "SELECT completed"), "a1 OK [READ-WRITE] SELECT completed\r\n");
  EXPECT_EQ(status_response("*", Status::bye, "", "Logging out"), "* BYE Logging out\r\n");
  EXPECT_EQ(status_response("", Status::bad, "", "missing tag"), "* BAD missing tag\r\n");
  EXPECT_EQ(status_response("a", Status::no, "TOOBIG", "line\r\nbreak"), "a NO [TOOBIG] line??break\r\n");
  EXPECT_EQ(continuation(""), "+ Ready\r\n");
  EXPECT_EQ(continuation("idling"), "+ idling\r\n");
}

TEST(ImapResponse, FlagsAndList) {
  EXPECT_EQ(format_flag_list({}), "()");
  EXPECT_EQ(format_flag_list({"\\Seen", "$Junk"}), "(\\Seen $Junk)");
  EXPECT_EQ(list_response("LIST", {"\\HasNoChildren", "\\Drafts"}, '/', "Entw\xc3\xbcrfe", false),
            "* LIST (\\HasNoChildren \\Drafts) \"/\" Entw&APw-rfe\r\n");
  EXPECT_EQ(list_response("LIST", {}, '/', "Entw\xc3\xbcrfe", true), "* LIST () \"/\" \"Entw\xc3\xbcrfe\"\r\n");
  EXPECT_EQ(list_response("LSUB", {"\\Noselect"}, std::nullopt, "My Box", false), "* LSUB (\\Noselect) NIL \"My Box\"\r\n");
  EXPECT_EQ(list_response("LIST", {}, '"', "INBOX", false, "(\"CHILDINFO\" (\"SUBSCRIBED\"))"),
            "* LIST () \"\\\"\" INBOX (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n");
}

TEST(ImapResponse, StatusItemsAndDateTimes) {
  EXPECT_EQ(status_item_name(StatusItem::highestmodseq), "HIGHESTMODSEQ");
  EXPECT_EQ(status_item_name(StatusItem::size), "SIZE");
  EXPECT_EQ(format_date_time(DateTime{{2024, 7, 1}, 12, 0, 5, 0}), "\"01-Jul-2024 12:00:05 +0000\"");
  EXPECT_EQ(format_date_time(DateTime{{1999, 12, 31}, 23, 59, 59, -330}), "\"31-Dec-1999 23:59:59 -0530\"");
}

TEST(ImapResponse, Esearch) {
  EsearchResult r;
  r.min = 2;
  r.max = 9;
  r.count = 5;
  r.all = std::vector<std::uint32_t>{2, 3, 4, 7, 9};
  EXPECT_EQ(esearch_response("a1", true, r), "* ESEARCH (TAG \"a1\") UID MIN 2 MAX 9 ALL 2:4,7,9 COUNT 5\r\n");
  EXPECT_EQ(esearch_response("a2", false, EsearchResult{std::nullopt, std::nullopt, 0, std::vector<std::uint32_t>{}}),
            "* ESEARCH (TAG \"a2\") COUNT 0\r\n");
}

}  // namespace
}  // namespace tern::imap
