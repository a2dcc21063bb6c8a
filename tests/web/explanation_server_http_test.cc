// The explanation server over real HTTP on loopback, with a fake lookup: the
// bound address, status codes, the security headers on every response
// (including the ones civetweb writes itself), HEAD and 405.
#include <atomic>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/decision/web/explanation_server.h"
#include "tests/support/http_client.h"

namespace apptrust::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using web::ExplanationServer;

constexpr char kId[] = "0123456789abcdef0123456789abcdef";
constexpr char kUrn[] = "urn%3Aapptrust%3Aerror%3Arefresh-suspended%3Atls-cert-expired";

std::string Target(const std::string& urn = kUrn, const std::string& id = kId,
                   const std::string& query = "client=client-1&tenant=tenant-a") {
  return absl::StrCat("/errors/", urn, "/instances/", id, "?", query);
}

// `own_page`: a response the explanation server wrote (not one of civetweb's
// own error responses, whose Cache-Control civetweb writes).
void ExpectSecurityHeaders(const HttpResponse& response, bool own_page = true) {
  EXPECT_EQ(response.Header("content-security-policy"),
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
  EXPECT_EQ(response.Header("x-content-type-options"), "nosniff");
  EXPECT_EQ(response.Header("referrer-policy"), "no-referrer");
  if (own_page) {
    EXPECT_EQ(response.Header("cache-control"), "no-store");
  } else {
    EXPECT_THAT(response.Header("cache-control"), HasSubstr("no-store"));
  }
  for (const char* name :
       {"content-security-policy", "x-content-type-options", "referrer-policy", "cache-control"}) {
    EXPECT_EQ(response.header_counts.count(name) ? response.header_counts.at(name) : 0, 1) << name;
  }
}

// One server for the suite: stopping civetweb takes a couple of seconds.
class ExplanationServerHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto server = ExplanationServer::Start(
        "127.0.0.1:0",
        [](const std::string& id, const std::string& tenant) -> absl::StatusOr<v1::Suspension> {
          ++lookups_;
          if (store_down_) return absl::UnavailableError("store down");
          if (id != kId || tenant != "tenant-a") return absl::NotFoundError("no");
          v1::Suspension s;
          s.set_suspension_id(kId);
          s.set_tenant_id("tenant-a");
          s.set_client_id("client-1");
          s.set_reason(v1::REASON_TLS_CERT_EXPIRED);
          s.mutable_identity()->set_domain("example.com");
          s.mutable_identity()->set_organization_name("<script>alert(1)</script>");
          v1::Finding* finding = s.add_findings();
          finding->set_reason(v1::REASON_TLS_CERT_EXPIRED);
          finding->set_suspends(true);
          finding->set_message("The website's security certificate expired.");
          return s;
        },
        [](const std::string&) {
          web::TenantContact contact;
          contact.support_contact = "help@example.org";
          contact.manage_url = "https://ehr.example.org/manage";
          return contact;
        });
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server).release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    lookups_ = 0;
    store_down_ = false;
  }

  static ExplanationServer* server_;
  static std::atomic<int> lookups_;
  static std::atomic<bool> store_down_;
};

ExplanationServer* ExplanationServerHttpTest::server_ = nullptr;
std::atomic<int> ExplanationServerHttpTest::lookups_{0};
std::atomic<bool> ExplanationServerHttpTest::store_down_{false};

TEST_F(ExplanationServerHttpTest, ReportsTheBoundEphemeralPort) {
  EXPECT_THAT(server_->address(), HasSubstr("127.0.0.1:"));
  EXPECT_NE(server_->address(), "127.0.0.1:0");
}

TEST_F(ExplanationServerHttpTest, ServesThePageWithSecurityHeaders) {
  auto response = HttpRequest(server_->address(), "GET", Target());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->Header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(response->Header("content-length"), absl::StrCat(response->body.size()));
  ExpectSecurityHeaders(*response);
  EXPECT_THAT(response->body, HasSubstr("security certificate expired"));
  EXPECT_THAT(response->body, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_THAT(response->body, Not(HasSubstr("<script")));
}

TEST_F(ExplanationServerHttpTest, AcceptLanguageAndLangChooseTheLanguage) {
  auto spanish = HttpRequest(server_->address(), "GET", Target(),
                             {{"Accept-Language", "fr-CA, es;q=0.8, en;q=0.5"}});
  ASSERT_TRUE(spanish.ok()) << spanish.status();
  EXPECT_EQ(spanish->status, 200);
  EXPECT_EQ(spanish->Header("content-language"), "es");
  EXPECT_THAT(spanish->Header("vary"), HasSubstr("Accept-Language"));
  EXPECT_THAT(spanish->body, HasSubstr("<html lang=\"es\">"));
  EXPECT_THAT(spanish->body, HasSubstr("El certificado de seguridad del sitio web caducó."));

  auto english =
      HttpRequest(server_->address(), "GET", Target() + "&lang=en", {{"Accept-Language", "es"}});
  ASSERT_TRUE(english.ok()) << english.status();
  EXPECT_EQ(english->Header("content-language"), "en");
  EXPECT_THAT(english->body, HasSubstr("<html lang=\"en\">"));

  // A hostile lang is ignored (Accept-Language decides), never reflected.
  auto hostile = HttpRequest(server_->address(), "GET",
                             Target() + "&lang=%22%3E%3Cscript%3Ealert(2)%3C/script%3E",
                             {{"Accept-Language", "es"}});
  ASSERT_TRUE(hostile.ok()) << hostile.status();
  EXPECT_EQ(hostile->status, 200);
  EXPECT_EQ(hostile->Header("content-language"), "es");
  EXPECT_THAT(hostile->body, Not(HasSubstr("alert(2)")));
}

TEST_F(ExplanationServerHttpTest, UnencodedUrnWorksToo) {
  auto response = HttpRequest(server_->address(), "GET",
                              Target("urn:apptrust:error:refresh-suspended:tls-cert-expired"));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
}

TEST_F(ExplanationServerHttpTest, JsonVariant) {
  auto response =
      HttpRequest(server_->address(), "GET", Target(), {{"Accept", "application/json"}});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->Header("content-type"), "application/json; charset=utf-8");
  ExpectSecurityHeaders(*response);
  EXPECT_THAT(response->body, HasSubstr(absl::StrCat("\"suspension_id\":\"", kId, "\"")));
}

TEST_F(ExplanationServerHttpTest, HeadHasHeadersButNoBody) {
  auto get = HttpRequest(server_->address(), "GET", Target());
  auto head = HttpRequest(server_->address(), "HEAD", Target());
  ASSERT_TRUE(get.ok() && head.ok());
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->body, "");
  EXPECT_EQ(head->Header("content-length"), absl::StrCat(get->body.size()));
  ExpectSecurityHeaders(*head);
}

TEST_F(ExplanationServerHttpTest, OtherMethodsAre405) {
  for (const char* method : {"POST", "PUT", "DELETE"}) {
    auto response = HttpRequest(server_->address(), method, Target(), {{"Content-Length", "0"}});
    ASSERT_TRUE(response.ok()) << method << ": " << response.status();
    EXPECT_EQ(response->status, 405) << method;
    EXPECT_EQ(response->Header("allow"), "GET, HEAD");
    ExpectSecurityHeaders(*response);
  }
  EXPECT_EQ(lookups_.load(), 0);
}

TEST_F(ExplanationServerHttpTest, NotFoundCasesLookAlike) {
  auto unknown = HttpRequest(server_->address(), "GET", Target(kUrn, std::string(32, 'f')));
  auto other_tenant =
      HttpRequest(server_->address(), "GET", Target(kUrn, kId, "client=client-1&tenant=tenant-b"));
  auto wrong_urn =
      HttpRequest(server_->address(), "GET",
                  Target("urn%3Aapptrust%3Aerror%3Arefresh-suspended%3Adns-txt-missing"));
  auto root = HttpRequest(server_->address(), "GET", "/");
  for (const auto* response : {&unknown, &other_tenant, &wrong_urn, &root}) {
    ASSERT_TRUE(response->ok()) << response->status();
    EXPECT_EQ((*response)->status, 404);
    EXPECT_EQ((*response)->Header("content-type"), "text/html; charset=utf-8");
    ExpectSecurityHeaders(**response);
    EXPECT_EQ((*response)->body, unknown->body);
  }
}

TEST_F(ExplanationServerHttpTest, StoreDownIs503) {
  store_down_ = true;
  auto response = HttpRequest(server_->address(), "GET", Target());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 503);
  EXPECT_FALSE(response->Header("retry-after").empty());
  ExpectSecurityHeaders(*response);
  EXPECT_THAT(response->body, HasSubstr("try again"));
}

TEST_F(ExplanationServerHttpTest, OversizedRequestIsRefusedWithSecurityHeaders) {
  auto response = HttpRequest(server_->address(), "GET", Target(),
                              {{"X-Padding", std::string(16 * 1024, 'a')}});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_GE(response->status, 400);
  EXPECT_EQ(lookups_.load(), 0);
  ExpectSecurityHeaders(*response, /*own_page=*/false);
}

TEST_F(ExplanationServerHttpTest, MalformedRequestIsRefused) {
  auto response = HttpRawRequest(server_->address(), "NONSENSE\r\n\r\n");
  if (response.ok()) {
    EXPECT_GE(response->status, 400);
    ExpectSecurityHeaders(*response, /*own_page=*/false);
  }
  EXPECT_EQ(lookups_.load(), 0);
}

TEST(ExplanationServerStartTest, FailsNamingTheAddressWhenThePortIsTaken) {
  auto first = ExplanationServer::Start(
      "127.0.0.1:0",
      [](const std::string&, const std::string&) -> absl::StatusOr<v1::Suspension> {
        return absl::NotFoundError("no");
      },
      nullptr);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = ExplanationServer::Start(
      (*first)->address(),
      [](const std::string&, const std::string&) -> absl::StatusOr<v1::Suspension> {
        return absl::NotFoundError("no");
      },
      nullptr);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.status().message(), HasSubstr((*first)->address()));
}

TEST(ExplanationServerStartTest, RejectsABadAddress) {
  auto server = ExplanationServer::Start(
      "nowhere",
      [](const std::string&, const std::string&) -> absl::StatusOr<v1::Suspension> {
        return absl::NotFoundError("no");
      },
      nullptr);
  EXPECT_FALSE(server.ok());
}

}  // namespace
}  // namespace apptrust::testing
