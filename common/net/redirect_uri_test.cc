#include "common/net/redirect_uri.h"

#include <string>

#include "gtest/gtest.h"

namespace apptrust::net {
namespace {

TEST(RedirectUriTest, NormalisesHostPortAndDomain) {
  auto t = ParseRedirectUri("https://App.ExampleHealth.co.uk./callback?x=1#frag");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->scheme, "https");
  EXPECT_EQ(t->host, "app.examplehealth.co.uk");
  EXPECT_EQ(t->port, 443);
  EXPECT_EQ(t->domain, "examplehealth.co.uk");
  EXPECT_FALSE(t->host_is_ip_literal);

  auto gh = ParseRedirectUri("HTTPS://x.my-project.github.io:8443/cb");
  ASSERT_TRUE(gh.ok()) << gh.status();
  EXPECT_EQ(gh->port, 8443);
  EXPECT_EQ(gh->domain, "my-project.github.io");
}

TEST(RedirectUriTest, ConvertsInternationalNamesToALabels) {
  auto t = ParseRedirectUri("https://www.BÜCHER.de/cb");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->host, "www.xn--bcher-kva.de");
  EXPECT_EQ(t->domain, "xn--bcher-kva.de");
  auto encoded = ParseRedirectUri("https://www.b%C3%BCcher.de/cb");
  ASSERT_TRUE(encoded.ok()) << encoded.status();
  EXPECT_EQ(encoded->host, "www.xn--bcher-kva.de");
}

TEST(RedirectUriTest, AcceptsHttpAndIpLiterals) {
  auto http = ParseRedirectUri("http://app.examplehealth.test/cb");
  ASSERT_TRUE(http.ok()) << http.status();
  EXPECT_EQ(http->scheme, "http");
  EXPECT_EQ(http->port, 80);
  EXPECT_EQ(http->domain, "examplehealth.test");

  auto v4 = ParseRedirectUri("https://127.0.0.1:8443/cb");
  ASSERT_TRUE(v4.ok()) << v4.status();
  EXPECT_TRUE(v4->host_is_ip_literal);
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->domain, "127.0.0.1");

  auto v6 = ParseRedirectUri("https://[0:0::1]/cb");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_TRUE(v6->host_is_ip_literal);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 443);
}

TEST(RedirectUriTest, RejectsBadInputWithAReason) {
  struct Case {
    std::string uri;
    std::string expected_words;
  };
  const Case cases[] = {
      {"", "empty"},
      {"https:///cb", "host"},
      {"https://user:pw@app.example.com/cb", "userinfo"},
      {"ftp://app.example.com/", "scheme"},
      {"javascript:alert(1)", "scheme"},
      {"app.example.com/cb", "scheme"},
      {"https://app.exam\nple.com/", "control"},
      {"https://app.example.com/\x7f", "control"},
      {"https://" + std::string(250, 'a') + ".com/", "253"},
      {"https://" + std::string(64, 'a') + ".com/", "63"},
      {"https://a..example.com/", "empty label"},
      {"https://-a.example.com/", "'-'"},
      {"https://a_b.example.com/", "invalid character"},
      {"https://127.1/", "IPv4"},
      {"https://app.example.com:0/", "port"},
      {"https://app.example.com:65536/", "port"},
      {"https://[v1.fe]/", "IPvFuture"},
      {"https://%zz.example.com/", "not a valid URI"},
  };
  for (const Case& c : cases) {
    auto parsed = ParseRedirectUri(c.uri);
    ASSERT_FALSE(parsed.ok()) << c.uri;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << c.uri;
    EXPECT_NE(parsed.status().message().find(c.expected_words), absl::string_view::npos)
        << c.uri << " → " << parsed.status();
    EXPECT_NE(parsed.status().message().find("redirect_uri"), absl::string_view::npos);
  }
}

TEST(RedirectUriTest, MaximumLengthHostIsAccepted) {
  // 4 labels of 63 bytes minus separators: exactly 253 bytes.
  std::string host = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                     std::string(63, 'c') + "." + std::string(61, 'd');
  ASSERT_EQ(host.size(), 253u);
  auto t = ParseRedirectUri("https://" + host + "/");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->host, host);
}

}  // namespace
}  // namespace apptrust::net
