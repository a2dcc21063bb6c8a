// The page behind error_uri in a real browser: headless Chromium loads the
// error_uri served by the real apptrust-decision (suspension in the real
// apptrust-store) on a phone (360×740) and a desktop (1280×800) viewport,
// checks that the reason sentence and the domain are visible, that nothing
// scrolls sideways, that no script exists or ran, and saves screenshots as
// test artifacts in <build>/tests/web/artifacts/.
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/logging/json_log.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/web/headless_chromium.h"
#include "tests/web/suspended_grant_fixture.h"

#ifndef APPTRUST_CHROMIUM
#define APPTRUST_CHROMIUM "chromium"
#endif
#ifndef APPTRUST_WEB_ARTIFACTS_DIR
#define APPTRUST_WEB_ARTIFACTS_DIR "."
#endif

namespace apptrust::testing {
namespace {

using google::protobuf::Struct;

constexpr char kPolicy[] = R"pb(
  tenants {
    key: "tenant-north"
    value {
      support_contact: "North Health help desk, 555-0100"
      manage_url: "https://north.example/patient/apps"
    }
  }
)pb";

std::string JsString(const std::string& text) {
  std::string out;
  logging::AppendJsonString(out, text);
  return out;
}

// What the page looks like to the user, measured in the page. Returned as a
// JSON string (one round trip, no remote objects).
std::string MeasureExpression(const std::string& sentence, const std::string& domain) {
  return absl::StrCat(R"js((() => {
  const sentence = )js",
                      JsString(sentence), R"js(;
  const domain = )js",
                      JsString(domain), R"js(;
  const holder = (text) => {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.nodeValue.includes(text)) return node.parentElement;
    }
    return null;
  };
  const shown = (element) => {
    if (!element) return false;
    const box = element.getBoundingClientRect();
    const style = getComputedStyle(element);
    return box.width > 0 && box.height > 0 && box.left >= 0 &&
        box.right <= window.innerWidth + 0.5 && style.visibility === 'visible' &&
        style.display !== 'none' && Number(style.opacity) > 0 &&
        style.color !== style.backgroundColor;
  };
  const reason = holder(sentence);
  const site = holder(domain);
  const button = document.querySelector('a.button');
  return JSON.stringify({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    innerHeight: window.innerHeight,
    reasonShown: shown(reason),
    reasonTop: reason ? reason.getBoundingClientRect().top : -1,
    domainShown: shown(site),
    buttonShown: shown(button),
    buttonHref: button ? button.href : '',
    buttonTarget: button ? button.target : '',
    scripts: document.scripts.length,
    lang: document.documentElement.lang,
    organizationAsText: document.body.textContent.includes('<script>alert(1)</script>'),
    h1: document.querySelector('h1') ? document.querySelector('h1').textContent : '',
  });
})())js");
}

struct Viewport {
  int width;
  int height;
  bool mobile;
};

void PrintTo(const Viewport& viewport, std::ostream* out) {
  *out << viewport.width << "x" << viewport.height << (viewport.mobile ? " (phone)" : "");
}

class ExplanationPageBrowserTest : public ::testing::TestWithParam<Viewport> {
 protected:
  static void SetUpTestSuite() {
    mkdir(APPTRUST_WEB_ARTIFACTS_DIR, 0755);
    dir_ = new TempDir();
    const std::string policy_path = dir_->File("policy.textproto");
    ASSERT_TRUE(WriteFile(policy_path, kPolicy).ok());
    auto fixture = SuspendedGrantFixture::Start({"--policy=" + policy_path});
    ASSERT_TRUE(fixture.ok()) << fixture.status();
    fixture_ = fixture->release();
    auto suspension = fixture_->Suspend(ExpiredCertificateSpec());
    ASSERT_TRUE(suspension.ok()) << suspension.status();
    error_uri_ = new std::string(suspension->error_uri());
    auto browser =
        HeadlessChromium::Start(APPTRUST_CHROMIUM, dir_->File("chromium-profile"),
                                absl::StrCat(APPTRUST_WEB_ARTIFACTS_DIR, "/chromium.log"));
    ASSERT_TRUE(browser.ok()) << browser.status();
    browser_ = browser->release();
  }
  static void TearDownTestSuite() {
    delete browser_;
    delete fixture_;
    delete error_uri_;
    delete dir_;
  }
  void SetUp() override {
    ASSERT_NE(browser_, nullptr);
    ASSERT_NE(error_uri_, nullptr);
  }

  static TempDir* dir_;
  static SuspendedGrantFixture* fixture_;
  static std::string* error_uri_;
  static HeadlessChromium* browser_;
};

TempDir* ExplanationPageBrowserTest::dir_ = nullptr;
SuspendedGrantFixture* ExplanationPageBrowserTest::fixture_ = nullptr;
std::string* ExplanationPageBrowserTest::error_uri_ = nullptr;
HeadlessChromium* ExplanationPageBrowserTest::browser_ = nullptr;

TEST_P(ExplanationPageBrowserTest, ReasonAndDomainVisibleWithoutHorizontalScroll) {
  const Viewport viewport = GetParam();
  ASSERT_TRUE(browser_->Open(*error_uri_, viewport.width, viewport.height, viewport.mobile).ok());

  auto measured = browser_->Evaluate(MeasureExpression(kExpiredSentence, "heart-helper.example"));
  ASSERT_TRUE(measured.ok()) << measured.status();
  Struct page;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(measured->string_value(), &page).ok())
      << measured->string_value();
  const auto& m = page.fields();
  SCOPED_TRACE(measured->string_value());

  EXPECT_EQ(m.at("innerWidth").number_value(), viewport.width);
  EXPECT_LE(m.at("scrollWidth").number_value(), m.at("innerWidth").number_value())
      << "the page scrolls sideways at " << viewport.width << " px";
  EXPECT_TRUE(m.at("reasonShown").bool_value());
  // The reason is what the patient came for: on the first screen.
  EXPECT_GE(m.at("reasonTop").number_value(), 0);
  EXPECT_LT(m.at("reasonTop").number_value(), m.at("innerHeight").number_value());
  EXPECT_TRUE(m.at("domainShown").bool_value());
  EXPECT_TRUE(m.at("buttonShown").bool_value());
  EXPECT_EQ(m.at("buttonHref").string_value(), "https://north.example/patient/apps");
  EXPECT_EQ(m.at("buttonTarget").string_value(), "_blank");
  EXPECT_EQ(m.at("scripts").number_value(), 0);
  EXPECT_TRUE(m.at("organizationAsText").bool_value());
  EXPECT_EQ(m.at("lang").string_value(), "en");
  EXPECT_THAT(m.at("h1").string_value(), ::testing::HasSubstr("paused"));
  for (const std::string& event : browser_->events()) {
    EXPECT_NE(event, "Page.javascriptDialogOpening") << "a script ran: alert()";
  }

  auto png = browser_->ScreenshotPng();
  ASSERT_TRUE(png.ok()) << png.status();
  ASSERT_GT(png->size(), 24u);
  EXPECT_EQ(png->substr(1, 3), "PNG");
  // IHDR width, big-endian at offset 16.
  const auto byte = [&](size_t i) { return static_cast<unsigned char>((*png)[i]); };
  EXPECT_EQ((byte(16) << 24) | (byte(17) << 16) | (byte(18) << 8) | byte(19), viewport.width);
  const std::string path = absl::StrCat(APPTRUST_WEB_ARTIFACTS_DIR, "/explanation_page_",
                                        viewport.width, "x", viewport.height, ".png");
  std::ofstream(path, std::ios::binary) << *png;
  std::fprintf(stderr, "screenshot: %s\n", path.c_str());

  auto full_page = browser_->ScreenshotPng(/*full_page=*/true);
  ASSERT_TRUE(full_page.ok()) << full_page.status();
  const std::string full_path =
      absl::StrCat(APPTRUST_WEB_ARTIFACTS_DIR, "/explanation_page_", viewport.width, "_full.png");
  std::ofstream(full_path, std::ios::binary) << *full_page;
  std::fprintf(stderr, "screenshot: %s\n", full_path.c_str());
}

INSTANTIATE_TEST_SUITE_P(Viewports, ExplanationPageBrowserTest,
                         ::testing::Values(Viewport{360, 740, true}, Viewport{1280, 800, false}),
                         [](const ::testing::TestParamInfo<Viewport>& info) {
                           return absl::StrCat(info.param.width, "x", info.param.height);
                         });

}  // namespace
}  // namespace apptrust::testing
