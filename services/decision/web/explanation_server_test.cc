// Routing decisions of the explanation server, without sockets: which
// requests get the page, which the 404 (no oracle), which the 503 or 405.
// tests/web/explanation_server_http_test.cc covers the same over real HTTP.
#include "services/decision/web/explanation_server.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace apptrust::web {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kId[] = "sus-AbC_123";
constexpr char kPath[] =
    "/errors/urn%3Aapptrust%3Aerror%3Arefresh-suspended%3Atls-cert-expired/instances/sus-AbC_123";
constexpr char kQuery[] = "client=client%2042&tenant=tenant-a";

v1::Suspension Stored() {
  v1::Suspension s;
  s.set_suspension_id(kId);
  s.set_tenant_id("tenant-a");
  s.set_client_id("client 42");
  s.set_reason(v1::REASON_TLS_CERT_EXPIRED);
  s.mutable_identity()->set_domain("example.com");
  v1::Finding* finding = s.add_findings();
  finding->set_reason(v1::REASON_TLS_CERT_EXPIRED);
  finding->set_suspends(true);
  finding->set_message("The website's security certificate expired on 1 November 2026.");
  finding->set_detail("not_after: 2026-11-01T00:00:00Z");
  return s;
}

class RespondTest : public ::testing::Test {
 protected:
  ExplanationResponse Get(const std::string& path, const std::string& query,
                          const std::string& accept = "text/html",
                          const std::string& method = "GET",
                          const std::string& accept_language = "") {
    return RespondToExplanationRequest(
        method, path, query, accept, accept_language,
        [this](const std::string& id, const std::string& tenant) -> absl::StatusOr<v1::Suspension> {
          ++lookups_;
          last_tenant_ = tenant;
          if (!store_status_.ok()) return store_status_;
          if (id != kId) return absl::NotFoundError("no such suspension");
          return Stored();
        },
        [](const std::string& tenant) {
          TenantContact contact;
          contact.support_contact = "help-" + tenant + "@example.org";
          contact.manage_url = "https://ehr.example.org/m";
          return contact;
        });
  }

  absl::Status store_status_;
  int lookups_ = 0;
  std::string last_tenant_;
};

TEST_F(RespondTest, ServesThePageForTheExactErrorUri) {
  const ExplanationResponse response = Get(kPath, kQuery);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/html; charset=utf-8");
  EXPECT_THAT(response.body, HasSubstr("expired on 1 November 2026"));
  EXPECT_THAT(response.body, HasSubstr("help-tenant-a@example.org"));
  EXPECT_EQ(last_tenant_, "tenant-a");
}

TEST_F(RespondTest, AcceptsAnUnencodedUrnToo) {
  EXPECT_EQ(Get("/errors/urn:apptrust:error:refresh-suspended:tls-cert-expired/instances/" +
                    std::string(kId),
                kQuery)
                .status,
            200);
}

TEST_F(RespondTest, JsonWhenAsked) {
  const ExplanationResponse response = Get(kPath, kQuery, "application/json");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "application/json; charset=utf-8");
  EXPECT_THAT(response.body, HasSubstr("\"suspension_id\":\"sus-AbC_123\""));
  EXPECT_EQ(Get("/nope", "", "application/json").content_type, "application/json; charset=utf-8");
}

TEST_F(RespondTest, HeadIsAllowed) { EXPECT_EQ(Get(kPath, kQuery, "", "HEAD").status, 200); }

TEST_F(RespondTest, OtherMethodsAre405) {
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS", "PATCH"}) {
    EXPECT_EQ(Get(kPath, kQuery, "", method).status, 405) << method;
  }
  EXPECT_EQ(lookups_, 0);
}

TEST_F(RespondTest, UnknownIdIs404) {
  const ExplanationResponse response =
      Get("/errors/urn%3Aapptrust%3Aerror%3Arefresh-suspended%3Atls-cert-expired/instances/other",
          kQuery);
  EXPECT_EQ(response.status, 404);
  EXPECT_THAT(response.body, HasSubstr("We could not find this page"));
}

TEST_F(RespondTest, MismatchesAreTheSame404AsUnknownIds) {
  const std::string not_found = Get("/errors/x/instances/other", kQuery).body;
  const std::string wrong_urn =
      "/errors/urn%3Aapptrust%3Aerror%3Arefresh-suspended%3Adns-txt-missing/instances/" +
      std::string(kId);
  for (const auto& [path, query] : std::vector<std::pair<std::string, std::string>>{
           {wrong_urn, kQuery},
           {kPath, "client=client%2042&tenant=tenant-b"},
           {kPath, "client=client-43&tenant=tenant-a"},
           {kPath, "client=client%2042"},
           {kPath, "tenant=tenant-a"},
           {kPath, ""},
           {kPath, "client=client%2042&tenant=tenant-a&tenant=tenant-b"},
       }) {
    const ExplanationResponse response = Get(path, query);
    EXPECT_EQ(response.status, 404) << path << "?" << query;
    EXPECT_EQ(response.body, not_found) << path << "?" << query;
  }
}

TEST_F(RespondTest, MalformedPathsAre404WithoutAskingTheStore) {
  for (const char* path :
       {"/", "/errors", "/errors/x/instances/", "/errors//instances/abc",
        "/errors/x/instances/a%2Fb", "/errors/x/instances/a%ZZ", "/errors/x/instances/<script>",
        "/errors/x/instances/abc/extra", "/favicon.ico"}) {
    EXPECT_EQ(Get(path, kQuery).status, 404) << path;
  }
  EXPECT_EQ(Get("/errors/x/instances/" + std::string(200, 'a'), kQuery).status, 404);
  EXPECT_EQ(lookups_, 0);
}

// Found by fuzz/explanation_request_fuzzer: a tenant that is not an id (here
// not even UTF-8) went to the store, whose request then could not be encoded.
TEST_F(RespondTest, TenantsThatAreNoIdAre404WithoutAskingTheStore) {
  for (const char* query : {"client=client%2042&tenant=t%8D1", "client=client%2042&tenant=a%0Ab"}) {
    EXPECT_EQ(Get(kPath, query).status, 404) << query;
  }
  EXPECT_EQ(lookups_, 0);
}

TEST_F(RespondTest, StoreTroubleIs503) {
  for (const absl::Status& status :
       {absl::UnavailableError("connection refused"), absl::DeadlineExceededError("slow"),
        absl::InternalError("boom"), absl::UnimplementedError("not yet")}) {
    store_status_ = status;
    const ExplanationResponse response = Get(kPath, kQuery);
    EXPECT_EQ(response.status, 503) << status;
    EXPECT_THAT(response.body, HasSubstr("try again")) << status;
  }
}

TEST_F(RespondTest, SpeaksTheLanguageTheBrowserPrefers) {
  const ExplanationResponse spanish =
      Get(kPath, kQuery, "text/html", "GET", "es-MX,es;q=0.9,en;q=0.8");
  EXPECT_EQ(spanish.status, 200);
  EXPECT_EQ(spanish.language, Language::kSpanish);
  EXPECT_THAT(spanish.body, HasSubstr("<html lang=\"es\">"));
  EXPECT_THAT(spanish.body, HasSubstr("caducó el 1 de noviembre de 2026"));
  // English wins on q-values, and is the fallback for languages not spoken.
  EXPECT_EQ(Get(kPath, kQuery, "text/html", "GET", "es;q=0.5, en").language, Language::kEnglish);
  EXPECT_EQ(Get(kPath, kQuery, "text/html", "GET", "fr, de;q=0.9").language, Language::kEnglish);
  EXPECT_EQ(Get(kPath, kQuery, "text/html", "GET", "").language, Language::kEnglish);
}

TEST_F(RespondTest, TheLangParameterOverridesAcceptLanguage) {
  const ExplanationResponse spanish =
      Get(kPath, std::string(kQuery) + "&lang=es", "text/html", "GET", "en-US");
  EXPECT_EQ(spanish.language, Language::kSpanish);
  EXPECT_THAT(spanish.body, HasSubstr("<html lang=\"es\">"));
  EXPECT_EQ(Get(kPath, "lang=en&" + std::string(kQuery), "text/html", "GET", "es").language,
            Language::kEnglish);
  // The error pages speak it too.
  const ExplanationResponse not_found = Get("/nope", "lang=es");
  EXPECT_EQ(not_found.status, 404);
  EXPECT_THAT(not_found.body, HasSubstr("No encontramos esta página"));
  const ExplanationResponse json = Get(kPath, std::string(kQuery) + "&lang=es", "application/json");
  EXPECT_THAT(json.body, HasSubstr("\"lang\":\"es\""));
}

TEST_F(RespondTest, ABadLangFallsBackAndIsNeverEchoed) {
  for (const std::string& bad :
       {std::string("%3Cscript%3Ealert(1)%3C%2Fscript%3E"), std::string("xx"), std::string(""),
        std::string("es%00"), std::string("%ZZ"), std::string("es-"), std::string("e%20s"),
        std::string("*"), std::string(3000, 'e'), std::string("es&lang=en")}) {
    const std::string query = std::string(kQuery) + "&lang=" + bad;
    for (const auto& [accept_language, expected] :
         {std::pair<std::string, Language>{"es", Language::kSpanish},
          std::pair<std::string, Language>{"", Language::kEnglish}}) {
      const ExplanationResponse response = Get(kPath, query, "text/html", "GET", accept_language);
      EXPECT_EQ(response.status, 200) << query;
      EXPECT_EQ(response.language, expected) << query << " / " << accept_language;
      EXPECT_THAT(response.body, Not(HasSubstr("<script>"))) << query;
      EXPECT_THAT(response.body, Not(HasSubstr("alert(1)"))) << query;
      if (bad.size() > 2) {
        EXPECT_THAT(response.body, Not(HasSubstr(bad))) << query;
      }
    }
  }
}

TEST_F(RespondTest, InvalidArgumentFromTheStoreIs404) {
  store_status_ = absl::InvalidArgumentError("suspension_id: malformed");
  EXPECT_EQ(Get(kPath, kQuery).status, 404);
}

}  // namespace
}  // namespace apptrust::web
