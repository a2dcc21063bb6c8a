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

// RFC 3987 IRIs as apps register them: the UTF-8 host becomes A-labels by
// IDNA2008 with the UTS #46 non-transitional mapping, and every spelling of
// the host gives the same Target.
TEST(RedirectUriTest, AcceptsInternationalisedRedirectUris) {
  constexpr char kALabelHost[] = "app.xn--bcher-klinik-dlb.example";
  for (const std::string uri : {
           "https://app.b\xc3\xbc"
           "cher-klinik.example/cb",
           "https://APP.B\xc3\x9c"
           "CHER-Klinik.example./cb",                      // upper case Ü, trailing dot
           "https://app.b%C3%BCcher-klinik.example/cb",    // percent-encoded UTF-8
           "https://app.xn--bcher-klinik-dlb.example/cb",  // already A-labels
           "https://app\xe3\x80\x82"
           "b\xc3\xbc"
           "cher-klinik.example/cb",  // ideographic full stop
           "https://app.bu\xcc\x88"
           "cher-klinik.example/cb",  // u + combining diaeresis (NFC)
       }) {
    auto t = ParseRedirectUri(uri);
    ASSERT_TRUE(t.ok()) << uri << ": " << t.status();
    EXPECT_EQ(t->host, kALabelHost) << uri;
    EXPECT_EQ(t->domain, "xn--bcher-klinik-dlb.example") << uri;
    EXPECT_EQ(t->port, 443);
  }
  // Non-transitional: sharp s and final sigma keep their own names.
  auto sharp_s = ParseRedirectUri("https://fa\xc3\x9f.de/");
  ASSERT_TRUE(sharp_s.ok()) << sharp_s.status();
  EXPECT_EQ(sharp_s->host, "xn--fa-hia.de");
  // Non-ASCII in the path and query is part of the IRI and accepted.
  auto path = ParseRedirectUri(
      "https://app.example.com/r\xc3\xbc"
      "ckruf?name=J\xc3\xbcrgen");
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(path->host, "app.example.com");
}

TEST(RedirectUriTest, RefusesInvalidUtf8ControlsAndBadInternationalNames) {
  struct Case {
    std::string uri;
    std::string expected_words;
  };
  const Case cases[] = {
      {"https://app.b\xfc"
       "cher.example/cb",
       "not valid UTF-8"},                                          // Latin-1, not UTF-8
      {"https://app.example.com/\xc3", "not valid UTF-8"},          // truncated sequence
      {"https://app.example.com/\xc0\xaf", "not valid UTF-8"},      // overlong '/'
      {"https://app.example.com/\xed\xa0\x80", "not valid UTF-8"},  // surrogate
      {"https://app.example.com/\xc2\x85", "control"},              // C1 NEL
      {"https://app.%FF.example/cb", "not valid UTF-8"},            // encoded, in the host
      {"https://app.%0A.example/cb", "control"},
      {"https://app.xn--zz.example/", "internationalised"},                    // bad punycode
      {"https://app.\xe2\x98\x83\xef\xb8\x8f.example/", "internationalised"},  // disallowed
  };
  for (const Case& c : cases) {
    auto parsed = ParseRedirectUri(c.uri);
    ASSERT_FALSE(parsed.ok()) << c.uri;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << c.uri;
    EXPECT_NE(parsed.status().message().find(c.expected_words), absl::string_view::npos)
        << c.uri << " → " << parsed.status();
  }
}

TEST(RedirectUriTest, HostForDisplayShowsULabels) {
  EXPECT_EQ(HostForDisplay("app.xn--bcher-klinik-dlb.example"),
            "app.b\xc3\xbc"
            "cher-klinik.example");
  EXPECT_EQ(HostForDisplay("example.com"), "example.com");
  EXPECT_EQ(HostForDisplay("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(HostForDisplay("xn--zz.example"), "xn--zz.example");  // does not decode: unchanged
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
    // The caller names the field (once); the parser only says what is wrong.
    EXPECT_EQ(parsed.status().message().find("redirect_uri"), absl::string_view::npos)
        << parsed.status();
  }
}

// Found by fuzz/redirect_uri_fuzzer: empty brackets left an empty host whose
// last character was then read.
TEST(RedirectUriTest, NormalizeHostRefusesEmptyBrackets) {
  for (const std::string host : {"[]", "[.]"}) {
    auto normalized = NormalizeHost(host);
    ASSERT_FALSE(normalized.ok()) << host;
    EXPECT_EQ(normalized.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(normalized.status().message().find("empty"), absl::string_view::npos)
        << normalized.status();
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
