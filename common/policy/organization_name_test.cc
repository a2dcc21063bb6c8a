#include "common/policy/organization_name.h"

#include "gtest/gtest.h"

namespace apptrust::policy {
namespace {

TEST(OrganizationNameTest, LegalFormsAndTheirAbbreviationsAreTheSame) {
  EXPECT_TRUE(SameOrganizationName("Example Health Inc.", "Example Health, Incorporated"));
  EXPECT_TRUE(SameOrganizationName("Example Health Inc", "EXAMPLE HEALTH INC."));
  EXPECT_TRUE(SameOrganizationName("Example Health Corp.", "Example Health Corporation"));
  EXPECT_TRUE(SameOrganizationName("Example Health Ltd", "Example Health Limited"));
  EXPECT_TRUE(SameOrganizationName("Example Health Co., Ltd.", "Example Health Company Limited"));
  EXPECT_TRUE(SameOrganizationName("Example Health Company Ltd", "Example Health Co. Limited"));
  EXPECT_TRUE(SameOrganizationName("Example Health, L.L.C.", "Example Health LLC"));
  EXPECT_TRUE(
      SameOrganizationName("Example Health Limited Liability Company", "Example Health, LLC"));
  EXPECT_TRUE(SameOrganizationName("Beispiel Gesundheit GmbH",
                                   "Beispiel Gesundheit Gesellschaft mit beschränkter Haftung"));
  EXPECT_TRUE(SameOrganizationName("Example Health PLC", "Example Health public limited company"));
  EXPECT_TRUE(SameOrganizationName("Example & Health Inc", "Example and Health, Inc."));
  EXPECT_TRUE(SameOrganizationName("  Example\tHealth   Inc ", "Example Health Inc"));
}

TEST(OrganizationNameTest, DifferentOrganizationsStayDifferent) {
  EXPECT_FALSE(SameOrganizationName("Example Health Inc.", "Other Health Inc."));
  EXPECT_FALSE(SameOrganizationName("Example Health Inc.", "Example Health LLC"));
  EXPECT_FALSE(SameOrganizationName("Example Health Inc.", "Example Healthcare Inc."));
  EXPECT_FALSE(SameOrganizationName("Example Health Inc.", ""));
  EXPECT_TRUE(SameOrganizationName("", ""));
  // Only the end is a legal form: the name itself keeps its words.
  EXPECT_FALSE(SameOrganizationName("Limited Edition Health", "Ltd Edition Health"));
  // A name that is only a legal form is not emptied.
  EXPECT_EQ(OrganizationNameKey("Incorporated"), "incorporated");
  // Non-ASCII letters are compared as they are.
  EXPECT_FALSE(SameOrganizationName("Ärzte Inc", "ärzte Inc"));
}

TEST(OrganizationNameTest, KeyIsReadable) {
  EXPECT_EQ(OrganizationNameKey("Example Health, Incorporated"), "example health inc");
  EXPECT_EQ(OrganizationNameKey("Example Health Co., Ltd."), "example health co ltd");
}

}  // namespace
}  // namespace apptrust::policy
