#include "common/net/etld.h"

#include "gtest/gtest.h"

namespace apptrust::net {
namespace {

TEST(EtldTest, UsesThePublicSuffixList) {
  EXPECT_EQ(*RegistrableDomain("app.examplehealth.co.uk"), "examplehealth.co.uk");
  EXPECT_EQ(*RegistrableDomain("x.my-project.github.io"), "my-project.github.io");
  EXPECT_EQ(*RegistrableDomain("a.b.example.com"), "example.com");
  EXPECT_EQ(*RegistrableDomain("example.com"), "example.com");
  EXPECT_EQ(*RegistrableDomain("www.xn--bcher-kva.de"), "xn--bcher-kva.de");
  EXPECT_NE(PublicSuffixListSource(), "");
}

TEST(EtldTest, UnknownTldsFollowTheDefaultRule) {
  EXPECT_EQ(*RegistrableDomain("app.examplehealth.test"), "examplehealth.test");
  EXPECT_EQ(*RegistrableDomain("deep.app.examplehealth.test"), "examplehealth.test");
}

TEST(EtldTest, PublicSuffixesAndSingleLabelsAreTheirOwnDomain) {
  EXPECT_EQ(*RegistrableDomain("co.uk"), "co.uk");
  EXPECT_EQ(*RegistrableDomain("localhost"), "localhost");
  EXPECT_FALSE(RegistrableDomain("").ok());
}

}  // namespace
}  // namespace apptrust::net
