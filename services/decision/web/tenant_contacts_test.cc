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

TEST(TenantContactsFromPolicyTest, DisplayNameAndSupportTextPerLanguage) {
  v1::PolicyConfig config;
  config.set_display_name("AppTrust Health");
  (*config.mutable_support_contact_text())["en"] = "Call the help desk.";
  (*config.mutable_support_contact_text())["es"] = "Llame a la mesa de ayuda.";
  v1::TenantPolicy& north = (*config.mutable_tenants())["north"];
  north.set_display_name("North Health");
  (*north.mutable_support_contact_text())["es"] = "Llame a North Health al 555-0100.";
  const TenantContactLookup contacts = TenantContactsFromPolicy(config);

  const TenantContact tenant = contacts("north");
  EXPECT_EQ(tenant.display_name, "North Health");
  // The tenant's Spanish text; English inherited from the top level.
  EXPECT_EQ(tenant.support_contact_text.at("es"), "Llame a North Health al 555-0100.");
  EXPECT_EQ(tenant.support_contact_text.at("en"), "Call the help desk.");
  const TenantContact other = contacts("south");
  EXPECT_EQ(other.display_name, "AppTrust Health");
  EXPECT_EQ(other.support_contact_text.at("es"), "Llame a la mesa de ayuda.");
}

TEST(TenantContactsFromPolicyTest, EmptyConfigMeansNoContactAndTheDefaultTxtKey) {
  const TenantContact contact = TenantContactsFromPolicy(v1::PolicyConfig())("any");
  EXPECT_EQ(contact.support_contact, "");
  EXPECT_EQ(contact.manage_url, "");
  EXPECT_EQ(contact.txt_key, "cerner-client-id");
  EXPECT_EQ(contact.display_name, "");
  EXPECT_TRUE(contact.support_contact_text.empty());
}

}  // namespace
}  // namespace apptrust::web
