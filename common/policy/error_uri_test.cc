#include "common/policy/error_uri.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"

namespace apptrust::policy {
namespace {

bool IsErrorUriChar(unsigned char c) {
  return c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}
bool IsErrorDescriptionChar(unsigned char c) { return c == 0x20 || IsErrorUriChar(c); }

std::vector<v1::Reason> AllReasons() {
  std::vector<v1::Reason> out;
  const google::protobuf::EnumDescriptor* d = v1::Reason_descriptor();
  for (int i = 0; i < d->value_count(); ++i) {
    if (d->value(i)->number() != 0) {
      out.push_back(static_cast<v1::Reason>(d->value(i)->number()));
    }
  }
  return out;
}

TEST(ErrorUriTest, SlugAndUrn) {
  EXPECT_EQ(ReasonSlug(v1::REASON_TLS_CERT_EXPIRED), "tls-cert-expired");
  EXPECT_EQ(ReasonSlug(v1::REASON_DNS_TXT_MISSING), "dns-txt-missing");
  EXPECT_EQ(ErrorUrn(v1::REASON_TLS_CERT_EXPIRED),
            "urn:apptrust:error:refresh-suspended:tls-cert-expired");
  EXPECT_EQ(*ReasonFromSlug("identity-changed"), v1::REASON_IDENTITY_CHANGED);
  EXPECT_EQ(ReasonFromSlug("unspecified").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReasonFromSlug("nope").status().code(), absl::StatusCode::kNotFound);
}

TEST(ErrorUriTest, BuildsTheDesignedShape) {
  EXPECT_EQ(BuildErrorUri("https://apptrust.example.org/", v1::REASON_TLS_CERT_EXPIRED, "s_0123abc",
                          "my app", "tenant/1"),
            "https://apptrust.example.org/errors/"
            "urn:apptrust:error:refresh-suspended:tls-cert-expired/instances/s_0123abc"
            "?client=my%20app&tenant=tenant%2F1");
}

TEST(ErrorUriTest, SameInputsSameUri) {
  EXPECT_EQ(BuildErrorUri("http://127.0.0.1:8080", v1::REASON_KEY_CHANGED, "id", "c", "t"),
            BuildErrorUri("http://127.0.0.1:8080", v1::REASON_KEY_CHANGED, "id", "c", "t"));
  EXPECT_NE(BuildErrorUri("http://127.0.0.1:8080", v1::REASON_KEY_CHANGED, "id", "c", "t"),
            BuildErrorUri("http://127.0.0.1:8080", v1::REASON_KEY_CHANGED, "id2", "c", "t"));
}

TEST(ErrorUriTest, EveryReasonGivesAnRfc6749UriThatParsesBack) {
  const std::string hostile = "a b\"c\\d\xC3\xA9?&=#/%";
  for (v1::Reason reason : AllReasons()) {
    std::string uri =
        BuildErrorUri("https://apptrust.example.org/base", reason, hostile, hostile, hostile);
    for (unsigned char c : uri) {
      EXPECT_TRUE(IsErrorUriChar(c)) << "0x" << std::hex << int(c) << " in " << uri;
    }
    std::string path = uri.substr(std::string("https://apptrust.example.org").size());
    auto parsed = ParseErrorPath(path);
    ASSERT_TRUE(parsed.ok()) << parsed.status() << " " << path;
    EXPECT_EQ(parsed->reason, reason);
    EXPECT_EQ(parsed->suspension_id, hostile);
  }
}

TEST(ErrorUriTest, ParseRejectsOtherPaths) {
  for (const char* path :
       {"/", "/errors/", "/errors/urn:apptrust:error:refresh-suspended:tls-cert-expired",
        "/errors/urn:apptrust:error:refresh-suspended:tls-cert-expired/instances/",
        "/errors/urn:other:tls-cert-expired/instances/x",
        "/errors/urn:apptrust:error:refresh-suspended:no-such-reason/instances/x",
        "/errors/urn:apptrust:error:refresh-suspended:tls-cert-expired/x/y",
        "/errors/urn%3zz/instances/x"}) {
    EXPECT_FALSE(ParseErrorPath(path).ok()) << path;
  }
  auto encoded = ParseErrorPath(
      "/errors/urn%3Aapptrust%3Aerror%3Arefresh-suspended%3Akey-changed/instances/abc/?x=1");
  ASSERT_TRUE(encoded.ok()) << encoded.status();
  EXPECT_EQ(encoded->reason, v1::REASON_KEY_CHANGED);
  EXPECT_EQ(encoded->suspension_id, "abc");
}

TEST(ErrorUriTest, DescriptionIsReadableAndInTheRfc6749Charset) {
  v1::Finding expired;
  expired.set_reason(v1::REASON_TLS_CERT_EXPIRED);
  expired.set_suspends(true);
  expired.set_message("The website's security certificate expired on 1 November 2026.");
  expired.set_detail("not_after: 2026-11-01T00:00:00Z");
  v1::Finding info;
  info.set_reason(v1::REASON_DV_CERTIFICATE);
  info.set_message("Informational, not in the description.");
  std::string d = ErrorDescription({expired, info});
  EXPECT_THAT(
      d, ::testing::HasSubstr("The website's security certificate expired on 1 November 2026."));
  EXPECT_THAT(d, ::testing::Not(::testing::HasSubstr("Informational")));
  for (unsigned char c : d) {
    EXPECT_TRUE(IsErrorDescriptionChar(c)) << d;
  }
}

TEST(ErrorUriTest, DescriptionCharsetHoldsForHostileMessages) {
  v1::Finding f;
  f.set_suspends(true);
  f.set_message(
      "Org \"M\xC3\xBCller & S\xC3\xB6hne\" \xE2\x86\x92 \\ \xE4\xB8\xAD\xE6\x96\x87\t\n"
      "\xE2\x80\x9Cquoted\xE2\x80\x9D \xFF\xFE end.");
  for (v1::Reason reason : AllReasons()) {
    f.set_reason(reason);
    std::string d = ErrorDescription({f});
    for (unsigned char c : d) {
      EXPECT_TRUE(IsErrorDescriptionChar(c)) << d;
    }
    EXPECT_THAT(d, ::testing::HasSubstr("Org 'Muller & Sohne' -> / 'quoted' end."));
  }
}

TEST(ErrorUriTest, CharsetConversion) {
  EXPECT_EQ(ToErrorDescriptionCharset("caf\xC3\xA9  \xE2\x80\x94 na\xC3\xAFve"), "cafe - naive");
  EXPECT_EQ(ToErrorDescriptionCharset("a\"b\\c"), "a'b/c");
  EXPECT_EQ(ToErrorDescriptionCharset("\xE2\x98\x83 snow"), "snow");
}

}  // namespace
}  // namespace apptrust::policy
