// The catalogues are complete and consistent: every key of one is in every
// other, with the same placeholders, and every reason, label and month the
// page can show has its text.
#include "services/decision/web/message_catalog.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "apptrust/v1/types.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace apptrust::web {
namespace {

std::set<std::string> Keys(Language language) {
  std::set<std::string> keys;
  for (const Message& message : CatalogEntries(language)) keys.emplace(message.key);
  return keys;
}

// The "{name}" placeholders of a text.
std::multiset<std::string> Placeholders(absl::string_view text) {
  std::multiset<std::string> names;
  for (size_t open = text.find('{'); open != absl::string_view::npos;
       open = text.find('{', open + 1)) {
    const size_t close = text.find('}', open);
    if (close == absl::string_view::npos) break;
    names.emplace(text.substr(open + 1, close - open - 1));
  }
  return names;
}

TEST(MessageCatalogTest, EveryCatalogueHasEveryKeyAnotherHas) {
  for (const Language language : kLanguages) {
    for (const Language other : kLanguages) {
      const std::set<std::string> own = Keys(language);
      for (const std::string& key : Keys(other)) {
        EXPECT_TRUE(own.count(key)) << "catalogue \"" << LanguageTag(language) << "\" lacks \""
                                    << key << "\", which \"" << LanguageTag(other) << "\" has";
      }
    }
  }
}

TEST(MessageCatalogTest, NoKeyTwiceAndNoEmptyText) {
  for (const Language language : kLanguages) {
    std::set<std::string> seen;
    for (const Message& message : CatalogEntries(language)) {
      EXPECT_TRUE(seen.emplace(message.key).second)
          << LanguageTag(language) << ": \"" << message.key << "\" twice";
      EXPECT_FALSE(message.text.empty()) << LanguageTag(language) << ": " << message.key;
    }
  }
}

TEST(MessageCatalogTest, TranslationsKeepThePlaceholders) {
  for (const Message& english : CatalogEntries(Language::kEnglish)) {
    for (const Language language : kLanguages) {
      EXPECT_EQ(Placeholders(Translate(language, english.key)), Placeholders(english.text))
          << LanguageTag(language) << ": " << english.key;
    }
  }
}

TEST(MessageCatalogTest, EveryReasonLabelAndMonthHasItsText) {
  const google::protobuf::EnumDescriptor* reasons = v1::Reason_descriptor();
  const std::set<std::string> english = Keys(Language::kEnglish);
  for (int i = 0; i < reasons->value_count(); ++i) {
    EXPECT_TRUE(english.count(ReasonKey(reasons->value(i)->number()))) << reasons->value(i)->name();
  }
  const google::protobuf::EnumDescriptor* labels = v1::Label_descriptor();
  for (int i = 0; i < labels->value_count(); ++i) {
    if (labels->value(i)->number() == v1::LABEL_UNSPECIFIED) continue;
    const std::string name = labels->value(i)->name();
    EXPECT_TRUE(english.count(absl::StrCat("label.", name.substr(name.find('_') + 1)))) << name;
  }
  for (int month = 1; month <= 12; ++month) {
    EXPECT_TRUE(english.count(absl::StrCat("month.", month))) << month;
  }
}

TEST(MessageCatalogTest, TranslationsAreTranslated) {
  // Only names that read the same in both languages may stay identical.
  const std::set<std::string> same_everywhere = {"dev.error", "dev.finding", "date.time"};
  for (const Message& english : CatalogEntries(Language::kEnglish)) {
    if (same_everywhere.count(std::string(english.key))) continue;
    EXPECT_NE(Translate(Language::kSpanish, english.key), english.text) << english.key;
  }
}

TEST(MessageCatalogTest, UnknownKeysFallBackToEnglishThenToNothing) {
  EXPECT_EQ(Translate(Language::kSpanish, "page.heading"),
            "El acceso de esta aplicación a su expediente médico está en pausa");
  EXPECT_EQ(Translate(Language::kSpanish, "no.such.key"), "");
  EXPECT_EQ(ReasonKey(v1::REASON_TLS_CERT_EXPIRED), "reason.TLS_CERT_EXPIRED");
  EXPECT_EQ(ReasonKey(9999), "reason.9999");
}

TEST(FillPlaceholdersTest, FillsOnceAndLeavesUnknownNames) {
  EXPECT_EQ(FillPlaceholders("{a} and {b}", {{"a", "{b}"}, {"b", "2"}}), "{b} and 2");
  EXPECT_EQ(FillPlaceholders("{unknown} {", {{"a", "1"}}), "{unknown} {");
  EXPECT_EQ(FillPlaceholders("plain", {}), "plain");
}

}  // namespace
}  // namespace apptrust::web
