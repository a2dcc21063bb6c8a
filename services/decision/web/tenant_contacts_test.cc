#include "services/decision/web/tenant_contacts.h"

#include "gtest/gtest.h"

namespace apptrust::web {
namespace {

TEST(TenantContactsFromPolicyTest, TenantValuesOverrideTopLevelOnes) {
  v1::PolicyConfig config;
  config.set_support_contact("help@apptrust.example");
  config.set_manage_url("https://ehr.example/manage");
  config.set_txt_key("acme-client-id");
  (*config.mutable_tenants())["north"].set_support_contact("north-help@example.org");
  (*config.mutable_tenants())["north"].set_manage_url("https://north.example/apps");
  const TenantContactLookup contacts = TenantContactsFromPolicy(config);

  const TenantContact north = contacts("north");
  EXPECT_EQ(north.support_contact, "north-help@example.org");
  EXPECT_EQ(north.manage_url, "https://north.example/apps");
  EXPECT_EQ(north.txt_key, "acme-client-id");
  const TenantContact other = contacts("south");
  EXPECT_EQ(other.support_contact, "help@apptrust.example");
  EXPECT_EQ(other.manage_url, "https://ehr.example/manage");
}

TEST(TenantContactsFromPolicyTest, EmptyConfigMeansNoContactAndTheDefaultTxtKey) {
  const TenantContact contact = TenantContactsFromPolicy(v1::PolicyConfig())("any");
  EXPECT_EQ(contact.support_contact, "");
  EXPECT_EQ(contact.manage_url, "");
  EXPECT_EQ(contact.txt_key, "cerner-client-id");
}

}  // namespace
}  // namespace apptrust::web
