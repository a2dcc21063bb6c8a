#include "common/webhook/webhook_directory.h"

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/config/policy_config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/subprocess.h"

namespace apptrust::webhook {
namespace {

using ::apptrust::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kSecretA[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-tenant-wide";
constexpr char kSecretB[] = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-app-specific";

class WebhookDirectoryTest : public ::testing::Test {
 protected:
  std::string WriteFile(const std::string& name, const std::string& contents) {
    std::string path = dir_.File(name);
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }

  v1::PolicyConfig Parse(const std::string& text) {
    auto config = config::ParsePolicyConfigText(text, "policy.textproto");
    EXPECT_TRUE(config.ok()) << config.status();
    return config.ok() ? *config : v1::PolicyConfig();
  }

  std::vector<std::string> Ids(const std::vector<WebhookEndpoint>& endpoints) {
    std::vector<std::string> ids;
    for (const WebhookEndpoint& endpoint : endpoints) {
      ids.push_back(endpoint.id);
    }
    return ids;
  }

  TempDir dir_;
};

TEST_F(WebhookDirectoryTest, AppSpecificEndpointWinsOverTenantWide) {
  const std::string a = WriteFile("a.secret", absl::StrCat(kSecretA, "\n"));
  const std::string b = WriteFile("b.secret", kSecretB);
  auto directory = WebhookDirectory::Load(Parse(absl::StrCat(
      "tenants { key: \"acme\" value {\n"
      "  webhooks { id: \"acme-all\" url: \"https://hooks.acme.example/all\" secret_file: \"",
      a,
      "\" }\n"
      "  webhooks { id: \"app-1-dev\" url: \"https://dev.example/hook\" secret_file: \"",
      b, "\" client_ids: \"app-1\" client_ids: \"app-9\" }\n} }\n")));
  ASSERT_TRUE(directory.ok()) << directory.status();
  EXPECT_FALSE(directory->empty());

  std::vector<WebhookEndpoint> app1 = directory->EndpointsFor("acme", "app-1");
  ASSERT_EQ(app1.size(), 1u);
  EXPECT_EQ(app1[0].id, "app-1-dev");
  EXPECT_EQ(app1[0].url, "https://dev.example/hook");
  EXPECT_EQ(app1[0].secret, kSecretB);

  std::vector<WebhookEndpoint> app2 = directory->EndpointsFor("acme", "app-2");
  ASSERT_EQ(app2.size(), 1u);
  EXPECT_EQ(app2[0].id, "acme-all");
  // The trailing newline of the file is not part of the key.
  EXPECT_EQ(app2[0].secret, kSecretA);

  EXPECT_THAT(Ids(directory->EndpointsFor("acme", "app-9")), ElementsAre("app-1-dev"));
  EXPECT_THAT(directory->EndpointsFor("other-tenant", "app-1"), IsEmpty());
}

TEST_F(WebhookDirectoryTest, NoWebhooksIsEmpty) {
  auto directory = WebhookDirectory::Load(v1::PolicyConfig());
  ASSERT_TRUE(directory.ok());
  EXPECT_TRUE(directory->empty());
  EXPECT_THAT(directory->EndpointsFor("acme", "app-1"), IsEmpty());
}

TEST_F(WebhookDirectoryTest, MissingOrShortSecretStopsLoadingNamingTheField) {
  const std::string short_secret = WriteFile("short.secret", "only-twenty-bytes...\n");
  for (const std::string& path : {dir_.File("absent.secret"), short_secret}) {
    auto directory = WebhookDirectory::Load(Parse(absl::StrCat(
        "tenants { key: \"acme\" value { webhooks { id: \"dev\" url: \"https://h.example/\" "
        "secret_file: \"",
        path, "\" } } }")));
    ASSERT_FALSE(directory.ok()) << path;
    EXPECT_EQ(directory.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(directory.status().message(),
                HasSubstr("tenants[\"acme\"].webhooks[0].secret_file"));
    EXPECT_THAT(directory.status().message(), HasSubstr(path));
  }
}

TEST_F(WebhookDirectoryTest, InvalidConfigBuiltInCodeIsRefused) {
  v1::PolicyConfig config;
  v1::WebhookConfig* webhook = (*config.mutable_tenants())["acme"].add_webhooks();
  webhook->set_id("dev");
  webhook->set_url("http://h.example/");
  webhook->set_secret_file(WriteFile("ok.secret", kSecretA));
  auto directory = WebhookDirectory::Load(config);
  ASSERT_FALSE(directory.ok());
  EXPECT_THAT(directory.status().message(), HasSubstr("webhooks[0].url"));
}

}  // namespace
}  // namespace apptrust::webhook
