#include "common/text/utf8.h"

#include <random>
#include <string>

#include "apptrust/v1/types.pb.h"
#include "gtest/gtest.h"

namespace apptrust::text {
namespace {

using namespace std::string_literals;

// Whether protobuf accepts `s` in a string field on the receiving side.
bool ProtoAccepts(const std::string& s) {
  v1::Finding finding;
  finding.set_detail(s);
  const std::string wire = finding.SerializeAsString();
  v1::Finding parsed;
  return parsed.ParseFromString(wire) && parsed.detail() == s;
}

TEST(Utf8Test, ValidTextIsUnchanged) {
  for (const std::string& s : {""s, "Example Health, Inc."s, "Bücher-Klinik"s, "日本語"s,
                               "\xF0\x9F\x8F\xA5"s, "back\\slash"s, "nul\0inside"s, "\x7F"s}) {
    EXPECT_TRUE(IsValidUtf8(s)) << s;
    EXPECT_EQ(ToValidUtf8(s), s);
  }
}

TEST(Utf8Test, InvalidBytesAreRecognised) {
  for (const std::string& s :
       {"\xFF"s, "\xFE\xFF"s, "\xC0\x80"s /* overlong NUL */, "\xE0\x80\x80"s /* overlong */,
        "\xED\xA0\x80"s /* surrogate */, "\xF4\x90\x80\x80"s /* > U+10FFFF */, "\xC3"s /* cut */,
        "\xE2\x82"s /* cut */, "\x80"s /* lone continuation */}) {
    EXPECT_FALSE(IsValidUtf8(s)) << ToValidUtf8(s);
  }
}

TEST(Utf8Test, InvalidBytesAreEscapedVisiblyAndValidPartsKept) {
  EXPECT_EQ(ToValidUtf8("Acme\xFF\xFE"), "Acme\\xFF\\xFE");
  EXPECT_EQ(ToValidUtf8("cerner-client-id=\xFF"
                        "abc"),
            "cerner-client-id=\\xFFabc");
  EXPECT_EQ(ToValidUtf8("Bücher\xFF"), "Bücher\\xFF");
  // A backslash in an escaped string is escaped too, so each \xHH is one byte.
  EXPECT_EQ(ToValidUtf8("a\\b\xFF"), "a\\x5Cb\\xFF");
  EXPECT_EQ(ToValidUtf8("\xED\xA0\x80"), "\\xED\\xA0\\x80");
  EXPECT_EQ(ToValidUtf8("\xE2\x82"), "\\xE2\\x82");
}

TEST(Utf8Test, TheResultIsAlwaysValidAndProtobufAcceptsIt) {
  EXPECT_FALSE(ProtoAccepts("O=\xFF\xFE"));  // why this module exists
  std::mt19937 random(13);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(0, 40);
  for (int i = 0; i < 5000; ++i) {
    std::string s(static_cast<size_t>(length(random)), '\0');
    for (char& c : s) c = static_cast<char>(byte(random));
    const std::string out = ToValidUtf8(s);
    ASSERT_TRUE(IsValidUtf8(out));
    ASSERT_TRUE(ProtoAccepts(out));
    if (IsValidUtf8(s)) {
      EXPECT_EQ(out, s);
    }
  }
}

TEST(Utf8Test, TruncateKeepsCharactersWholeAndMarksTheCut) {
  EXPECT_EQ(TruncateUtf8("short", 255), "short");
  EXPECT_EQ(TruncateUtf8("abcdefgh", 8), "abcdefgh");
  EXPECT_EQ(TruncateUtf8("abcdefghi", 8), "abcde\xE2\x80\xA6");
  // "ü" is two bytes: never cut in half.
  const std::string cut = TruncateUtf8("aaaaüüü", 8);
  EXPECT_EQ(cut, "aaaa\xE2\x80\xA6");
  EXPECT_TRUE(IsValidUtf8(cut));
  const std::string long_text(1000, 'x');
  EXPECT_EQ(TruncateUtf8(long_text, 255).size(), 255u);
}

}  // namespace
}  // namespace apptrust::text
