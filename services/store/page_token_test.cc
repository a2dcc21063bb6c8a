// Page tokens round-trip, are bound to their query, and refuse tampering.
#include "services/store/page_token.h"

#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace apptrust::store {
namespace {

using ::testing::StartsWith;

TEST(PageTokenTest, RoundTripsTheLastGrantId) {
  const std::string token = EncodePageToken("tenant", "client", "grant 42");
  auto after = DecodePageToken(token, "tenant", "client");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(*after, "grant 42");
  EXPECT_EQ(token.find("grant"), std::string::npos) << "token should be opaque";
}

TEST(PageTokenTest, EmptyTokenStartsFromTheBeginning) {
  auto after = DecodePageToken("", "tenant", "");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, "");
}

TEST(PageTokenTest, IsBoundToTenantAndClientFilter) {
  const std::string token = EncodePageToken("tenant-a", "", "g");
  for (auto [tenant, client] :
       {std::pair<const char*, const char*>{"tenant-b", ""}, {"tenant-a", "client"}}) {
    auto after = DecodePageToken(token, tenant, client);
    EXPECT_EQ(after.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(after.status().message()), StartsWith("page_token: "));
  }
}

TEST(PageTokenTest, RefusesGarbage) {
  for (const std::string& bad :
       {std::string("%%%"), absl::WebSafeBase64Escape("hello"),
        absl::WebSafeBase64Escape("g2\x1ft\x1f\x1fg"), absl::WebSafeBase64Escape("g1\x1ft\x1f\x1f"),
        absl::WebSafeBase64Escape("g1\x1ft\x1f\x1fg\x1f"
                                  "extra")}) {
    auto after = DecodePageToken(bad, "t", "");
    EXPECT_EQ(after.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(after.status().message()), StartsWith("page_token: ")) << bad;
  }
}

TEST(AuditPageTokenTest, RoundTripsTheLastSeqOfItsOwnQueryOnly) {
  const std::string token = EncodeAuditPageToken("t", "g", 42);
  auto after = DecodeAuditPageToken(token, "t", "g");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(*after, 42);
  EXPECT_EQ(*DecodeAuditPageToken("", "t", "g"), 0);
  // Another tenant, another grant filter, a ListGrants token, garbage.
  for (const auto& [bad, tenant, grant] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {token, "other", "g"},
           {token, "t", ""},
           {EncodePageToken("t", "", "g"), "t", ""},
           {absl::WebSafeBase64Escape("a1\x1ft\x1fg\x1f-3"), "t", "g"},
           {absl::WebSafeBase64Escape("a1\x1ft\x1fg\x1fx"), "t", "g"},
           {"%%%", "t", "g"}}) {
    auto decoded = DecodeAuditPageToken(bad, tenant, grant);
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(decoded.status().message()), StartsWith("page_token: ")) << bad;
  }
  // Nor does an audit token continue a ListGrants query.
  EXPECT_EQ(DecodePageToken(token, "t", "g").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(AppPageTokenTest, ContinuesOnlyTheListingAndFiltersItCameFrom) {
  const std::string token = EncodeAppPageToken("sweep", "t/all", "t", "client 1");
  auto decoded = DecodeAppPageToken(token, "sweep", "t/all");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->first, "t");
  EXPECT_EQ(decoded->second, "client 1");
  EXPECT_TRUE(DecodeAppPageToken("", "apps", "")->first.empty());
  for (const auto& [kind, filter] : std::vector<std::pair<std::string, std::string>>{
           {"apps", "t/all"}, {"sweep", "t/at-risk"}, {"sweep", ""}}) {
    auto refused = DecodeAppPageToken(token, kind, filter);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << kind << filter;
    EXPECT_THAT(std::string(refused.status().message()), StartsWith("page_token: "));
  }
  EXPECT_EQ(DecodeAppPageToken(EncodePageToken("t", "", "g"), "sweep", "t/all").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace apptrust::store
