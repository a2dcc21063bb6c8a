#include "common/logging/json_log.h"

#include "gtest/gtest.h"

namespace apptrust::logging {
namespace {

std::string Quoted(absl::string_view value) {
  std::string out;
  AppendJsonString(out, value);
  return out;
}

TEST(JsonLogTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(Quoted("plain"), "\"plain\"");
  EXPECT_EQ(Quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Quoted("line\nnext\t\x01"), "\"line\\nnext\\t\\u0001\"");
}

TEST(JsonLogTest, ParsesLevels) {
  EXPECT_EQ(*ParseLevel("DEBUG"), Level::kDebug);
  EXPECT_EQ(*ParseLevel("warn"), Level::kWarning);
  EXPECT_FALSE(ParseLevel("loud").ok());
}

TEST(JsonLogTest, LinesBelowTheMinimumLevelAreDropped) {
  SetMinLevel(Level::kWarning);
  EXPECT_FALSE(Enabled(Level::kInfo));
  EXPECT_TRUE(Enabled(Level::kError));
  testing::internal::CaptureStderr();
  Info("dropped").Field("k", "v");
  Error("kept").Field("grant_id", "g1").Field("n", 3).Field("ok", true);
  const std::string out = testing::internal::GetCapturedStderr();
  SetMinLevel(Level::kInfo);
  EXPECT_EQ(out.find("dropped"), std::string::npos);
  EXPECT_NE(
      out.find("\"level\":\"error\",\"msg\":\"kept\",\"grant_id\":\"g1\",\"n\":3,\"ok\":true}\n"),
      std::string::npos)
      << out;
}

}  // namespace
}  // namespace apptrust::logging
