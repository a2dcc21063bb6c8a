#include "services/decision/web/page_language.h"

#include <string>

#include "gtest/gtest.h"

namespace apptrust::web {
namespace {

constexpr Language kEn = Language::kEnglish;
constexpr Language kEs = Language::kSpanish;

TEST(PreferredLanguageTest, HighestQValueWins) {
  EXPECT_EQ(PreferredLanguage("es"), kEs);
  EXPECT_EQ(PreferredLanguage("es-MX,es;q=0.9,en;q=0.8"), kEs);
  EXPECT_EQ(PreferredLanguage("en-US,en;q=0.9,es;q=0.8"), kEn);
  EXPECT_EQ(PreferredLanguage("es;q=0.5, en;q=0.6"), kEn);
  EXPECT_EQ(PreferredLanguage("en;q=0.5, es;q=0.6"), kEs);
  EXPECT_EQ(PreferredLanguage("fr-CA, fr;q=0.9, es;q=0.3"), kEs);
  EXPECT_EQ(PreferredLanguage("ES-419"), kEs);
  EXPECT_EQ(PreferredLanguage("  es ; q=1.000 "), kEs);
}

TEST(PreferredLanguageTest, TiesGoToTheEarlierRange) {
  EXPECT_EQ(PreferredLanguage("es, en"), kEs);
  EXPECT_EQ(PreferredLanguage("en;q=0.7, es;q=0.7"), kEn);
}

TEST(PreferredLanguageTest, WildcardAndZero) {
  EXPECT_EQ(PreferredLanguage("*"), kEn);
  EXPECT_EQ(PreferredLanguage("fr, *;q=0.5"), kEn);
  EXPECT_EQ(PreferredLanguage("en;q=0, *;q=0.5"), kEs);
  EXPECT_EQ(PreferredLanguage("es;q=0"), std::nullopt);
  EXPECT_EQ(PreferredLanguage("es;q=0.000, en;q=0"), std::nullopt);
}

TEST(PreferredLanguageTest, MalformedRangesAreSkipped) {
  EXPECT_EQ(PreferredLanguage(""), std::nullopt);
  EXPECT_EQ(PreferredLanguage("fr, de"), std::nullopt);
  EXPECT_EQ(PreferredLanguage("es;q=2, en;q=0.1"), kEn);
  EXPECT_EQ(PreferredLanguage("es;q=0.5x, en;q=0.1"), kEn);
  EXPECT_EQ(PreferredLanguage("es;level=1, en;q=0.1"), kEn);
  EXPECT_EQ(PreferredLanguage("e$, es_MX, <script>, es;q=0.2"), kEs);
  EXPECT_EQ(PreferredLanguage("es;q=1.5"), std::nullopt);
  EXPECT_EQ(PreferredLanguage(",,,;;;==="), std::nullopt);
  EXPECT_EQ(PreferredLanguage(std::string(10000, 'e')), std::nullopt);
  // Only the first ranges count: a header of thousands costs nothing more.
  std::string many;
  for (int i = 0; i < 1000; ++i) many += "fr,";
  EXPECT_EQ(PreferredLanguage(many + "es"), std::nullopt);
}

TEST(ParseLanguageParameterTest, SupportedTagsOnly) {
  EXPECT_EQ(ParseLanguageParameter("es"), kEs);
  EXPECT_EQ(ParseLanguageParameter("ES"), kEs);
  EXPECT_EQ(ParseLanguageParameter("es-MX"), kEs);
  EXPECT_EQ(ParseLanguageParameter("en"), kEn);
  for (const char* bad : {"", "*", "fr", "esp", "es-", "es_MX", "<es>", "es;q=1", "e s"}) {
    EXPECT_EQ(ParseLanguageParameter(bad), std::nullopt) << bad;
  }
}

TEST(ChooseLanguageTest, ParameterThenHeaderThenEnglish) {
  EXPECT_EQ(ChooseLanguage("es", "en"), kEs);
  EXPECT_EQ(ChooseLanguage("en", "es"), kEn);
  EXPECT_EQ(ChooseLanguage("klingon", "es"), kEs);
  EXPECT_EQ(ChooseLanguage(std::nullopt, "es"), kEs);
  EXPECT_EQ(ChooseLanguage(std::nullopt, "fr"), kEn);
  EXPECT_EQ(ChooseLanguage(std::nullopt, ""), kEn);
  EXPECT_EQ(LanguageTag(kEn), "en");
  EXPECT_EQ(LanguageTag(kEs), "es");
}

}  // namespace
}  // namespace apptrust::web
