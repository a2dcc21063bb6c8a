#include "common/probe/txt_entries.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace apptrust::probe {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kKey[] = "cerner-client-id";

TEST(TxtEntriesTest, SeparateRecords) {
  EXPECT_THAT(ExtractTxtEntries(
                  {{"cerner-client-id=bbb"}, {"v=spf1 -all"}, {"cerner-client-id=aaa"}}, kKey),
              ElementsAre("cerner-client-id=aaa", "cerner-client-id=bbb"));
}

TEST(TxtEntriesTest, SeveralStringsOfOneRecord) {
  EXPECT_THAT(ExtractTxtEntries({{"cerner-client-id=one", "cerner-client-id=two"}}, kKey),
              ElementsAre("cerner-client-id=one", "cerner-client-id=two"));
}

TEST(TxtEntriesTest, WhitespaceAndNewlineSeparatedPairsInOneString) {
  EXPECT_THAT(ExtractTxtEntries({{"cerner-client-id=x1\ncerner-client-id=x2  other=1\t"
                                  "Cerner-Client-Id=x3\r\n"}},
                                kKey),
              ElementsAre("cerner-client-id=x1", "cerner-client-id=x2", "cerner-client-id=x3"));
}

TEST(TxtEntriesTest, SortsDeduplicatesAndIgnoresOtherKeys) {
  EXPECT_THAT(ExtractTxtEntries({{"cerner-client-id=b"},
                                 {"cerner-client-id=a"},
                                 {"cerner-client-id=b"},
                                 {"cerner-client-idx=c"},
                                 {"xcerner-client-id=d"},
                                 {"cerner-client-id="},
                                 {"google-site-verification=zzz"}},
                                kKey),
              ElementsAre("cerner-client-id=a", "cerner-client-id=b"));
  EXPECT_THAT(ExtractTxtEntries({}, kKey), IsEmpty());
  EXPECT_THAT(ExtractTxtEntries({{"k=v"}}, "k"), ElementsAre("k=v"));
  EXPECT_THAT(ExtractTxtEntries({{"k=v"}}, ""), IsEmpty());
}

TEST(TxtEntriesTest, ValuesAreKeptVerbatim) {
  EXPECT_THAT(ExtractTxtEntries({{"cerner-client-id=AbC-123_x=y"}}, kKey),
              ElementsAre("cerner-client-id=AbC-123_x=y"));
}

}  // namespace
}  // namespace apptrust::probe
