// The page behind error_uri in a real browser: headless Chromium loads the
// error_uri served by the real apptrust-decision (suspension in the real
// apptrust-store).
//
// ExplanationPageBrowserTest: on a phone (360×740) and a desktop (1280×800)
// viewport, in English and Spanish, the reason sentence and the domain are
// visible, nothing scrolls sideways, no script exists or ran.
//
// ExplanationPageAccessibilityTest: for a suspension with every kind of
// finding, in English and in Spanish (chosen by the browser's
// Accept-Language), at both viewports: axe-core (tests/web/axe, npm ci at
// build time) finds no WCAG 2.0/2.1 A or AA violation and no landmark or
// heading problem, colour contrast was actually evaluated; one h1, every text
// inside a landmark, <html lang> is the language; a keyboard user tabbing to
// the re-approval button sees a focus ring with at least 3:1 contrast; the
// text reflows without horizontal scrolling at 320 CSS px and at 200% zoom of
// the desktop window. The language links switch the language.
//
// Screenshots land in <build>/tests/web/artifacts/ (README images come from
// there).
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <ostream>
#include <sstream>
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
#ifndef APPTRUST_AXE_JS
#define APPTRUST_AXE_JS "axe.min.js"
#endif

namespace apptrust::testing {
namespace {

using google::protobuf::Struct;
using ::testing::HasSubstr;

constexpr char kPolicy[] = R"pb(
  tenants {
    key: "tenant-north"
    value {
      display_name: "North Health"
      support_contact: "North Health help desk, 555-0100"
      support_contact_text {
        key: "en"
        value: "Call the North Health help desk at 555-0100, Monday to Friday, 8am to 6pm."
      }
      support_contact_text {
        key: "es"
        value: "Llame a la mesa de ayuda de North Health al 555-0100, de lunes a viernes, de 8 a 18 h."
      }
      manage_url: "https://north.example/patient/apps"
    }
  }
)pb";

std::string JsString(const std::string& text) {
  std::string out;
  logging::AppendJsonString(out, text);
  return out;
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void SavePng(const std::string& png, const std::string& name) {
  const std::string path = absl::StrCat(APPTRUST_WEB_ARTIFACTS_DIR, "/", name, ".png");
  std::ofstream(path, std::ios::binary) << png;
  std::fprintf(stderr, "screenshot: %s\n", path.c_str());
}

// Evaluates an expression that returns JSON.stringify(...) and parses it.
absl::StatusOr<Struct> EvaluateJson(HeadlessChromium& browser, const std::string& expression,
                                    bool await_promise = false) {
  auto value = browser.Evaluate(expression, await_promise);
  if (!value.ok()) return value.status();
  Struct parsed;
  if (!google::protobuf::util::JsonStringToMessage(value->string_value(), &parsed).ok()) {
    return absl::InternalError(absl::StrCat("not JSON: ", value->string_value()));
  }
  return parsed;
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

// axe-core's WCAG 2.0 and 2.1 A/AA rules, then its landmark and heading
// rules (tagged best practice, asked for by name). Ids of rules that found
// violations (with their nodes) and of rules that passed or could not decide.
constexpr char kAxeExpression[] = R"js((async () => {
  const summary = (results) => ({
    violations: results.violations.map((rule) => ({
      id: rule.id,
      help: rule.help,
      nodes: rule.nodes.map((node) => node.target.join(' ') + ': ' + node.failureSummary),
    })),
    incomplete: results.incomplete.map((rule) => rule.id),
    passes: results.passes.map((rule) => rule.id),
  });
  const wcag = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
  });
  const structure = await axe.run(document, {
    runOnly: {type: 'rule', values: ['landmark-one-main', 'page-has-heading-one', 'region',
                                     'landmark-unique', 'heading-order', 'landmark-no-duplicate-main']},
  });
  return JSON.stringify({version: axe.version, wcag: summary(wcag), structure: summary(structure)});
})())js";

constexpr char kStructureExpression[] = R"js((() => {
  const outside = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.nodeValue.trim()) continue;
    if (!node.parentElement.closest('main, nav, header, footer, aside')) {
      outside.push(node.nodeValue.trim());
    }
  }
  const h1 = document.querySelectorAll('h1');
  return JSON.stringify({
    h1Count: h1.length,
    h1: h1.length ? h1[0].textContent : '',
    mainCount: document.querySelectorAll('main').length,
    navLabel: document.querySelector('nav') ? document.querySelector('nav').getAttribute('aria-label') : '',
    outside: outside,
    lang: document.documentElement.lang,
    title: document.title,
  });
})())js";

// The focused element and how its focus indicator looks: outline style and
// width, and the contrast of the outline colour against the background the
// outline is drawn on (WCAG 1.4.11: at least 3:1).
constexpr char kFocusExpression[] = R"js((() => {
  const element = document.activeElement;
  if (!element || element === document.body) return JSON.stringify({focused: false});
  const style = getComputedStyle(element);
  const channels = (colour) => colour.match(/[\d.]+/g).map(Number);
  const luminance = ([r, g, b]) => {
    const linear = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  };
  let background = 'rgb(255, 255, 255)';
  for (let at = element.parentElement; at; at = at.parentElement) {
    const colour = getComputedStyle(at).backgroundColor;
    if (colour !== 'transparent' && !colour.startsWith('rgba(0, 0, 0, 0)')) { background = colour; break; }
  }
  const a = luminance(channels(style.outlineColor));
  const b = luminance(channels(background));
  const box = element.getBoundingClientRect();
  return JSON.stringify({
    focused: true,
    isButton: element.classList.contains('button'),
    text: element.textContent,
    focusVisible: element.matches(':focus-visible'),
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth),
    contrast: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05),
    inView: box.top >= 0 && box.bottom <= innerHeight && box.left >= 0 && box.right <= innerWidth,
  });
})())js";

// Horizontal overflow: the page's scroll width and every element that
// sticks out of the viewport on either side.
constexpr char kReflowExpression[] = R"js((() => {
  const outside = [];
  for (const element of document.body.querySelectorAll('*')) {
    const box = element.getBoundingClientRect();
    if (box.width > 0 && (box.right > innerWidth + 0.5 || box.left < -0.5)) {
      outside.push(element.tagName + ' ' + (element.textContent || '').slice(0, 60));
    }
  }
  return JSON.stringify({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: innerWidth,
    devicePixelRatio: devicePixelRatio,
    outside: outside,
  });
})())js";

struct Viewport {
  int width;
  int height;
  bool mobile;
};

void PrintTo(const Viewport& viewport, std::ostream* out) {
  *out << viewport.width << "x" << viewport.height << (viewport.mobile ? " (phone)" : "");
}

constexpr Viewport kPhone{360, 740, true};
constexpr Viewport kDesktop{1280, 800, false};

struct LanguageCase {
  const char* tag;
  // What the browser sends; the page must pick `tag` from it.
  const char* accept_language;
  // Words of the heading in that language.
  const char* heading;
  // The expired-certificate finding as a patient reads it in that language.
  const char* expired_sentence;
};

constexpr LanguageCase kEnglish{"en", "en-US,en;q=0.9", "access to your health record is paused",
                                kExpiredSentence};
constexpr LanguageCase kSpanish{
    "es", "es-MX,es;q=0.9,en;q=0.5", "acceso de esta aplicación a su expediente médico",
    "El certificado de seguridad del sitio web caducó el 1 de noviembre de 2026."};

// One fixture, two suspensions and one browser for the test that runs (ctest
// runs each test in its own process), started on first use and stopped by
// gtest at the end.
class BrowserEnvironment : public ::testing::Environment {
 public:
  static BrowserEnvironment* Get();
  absl::Status status() {
    if (!started_) {
      started_ = true;
      status_ = Start();
    }
    return status_;
  }
  HeadlessChromium& browser() { return *browser_; }
  const std::string& expired_uri() const { return expired_uri_; }
  const std::string& every_finding_uri() const { return every_finding_uri_; }
  const std::string& axe_source() const { return axe_source_; }
  void TearDown() override {
    browser_.reset();
    fixture_.reset();
    dir_.reset();
  }

 private:
  absl::Status Start() {
    mkdir(APPTRUST_WEB_ARTIFACTS_DIR, 0755);
    auto axe = ReadWholeFile(APPTRUST_AXE_JS);
    if (!axe.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          axe.status().message(), " (axe-core: the build runs npm ci in tests/web/axe)"));
    }
    axe_source_ = *std::move(axe);
    dir_ = std::make_unique<TempDir>();
    const std::string policy_path = dir_->File("policy.textproto");
    if (auto written = WriteFile(policy_path, kPolicy); !written.ok()) return written;
    auto fixture = SuspendedGrantFixture::Start({"--policy=" + policy_path});
    if (!fixture.ok()) return fixture.status();
    fixture_ = *std::move(fixture);
    auto expired = fixture_->Suspend(ExpiredCertificateSpec());
    if (!expired.ok()) return expired.status();
    expired_uri_ = expired->error_uri();
    auto every = fixture_->Suspend(EveryKindOfFindingSpec());
    if (!every.ok()) return every.status();
    every_finding_uri_ = every->error_uri();
    auto browser =
        HeadlessChromium::Start(APPTRUST_CHROMIUM, dir_->File("chromium-profile"),
                                absl::StrCat(APPTRUST_WEB_ARTIFACTS_DIR, "/chromium.log"));
    if (!browser.ok()) return browser.status();
    browser_ = *std::move(browser);
    return absl::OkStatus();
  }

  bool started_ = false;
  absl::Status status_;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<SuspendedGrantFixture> fixture_;
  std::unique_ptr<HeadlessChromium> browser_;
  std::string expired_uri_;
  std::string every_finding_uri_;
  std::string axe_source_;
};

BrowserEnvironment* const kEnvironment =
    static_cast<BrowserEnvironment*>(::testing::AddGlobalTestEnvironment(new BrowserEnvironment()));

BrowserEnvironment* BrowserEnvironment::Get() { return kEnvironment; }

class ExplanationPageBrowserTest : public ::testing::TestWithParam<Viewport> {
 protected:
  void SetUp() override { ASSERT_TRUE(env().status().ok()) << env().status(); }
  static BrowserEnvironment& env() { return *BrowserEnvironment::Get(); }
};

TEST_P(ExplanationPageBrowserTest, ReasonAndDomainVisibleWithoutHorizontalScroll) {
  const Viewport viewport = GetParam();
  HeadlessChromium& browser = env().browser();
  for (const LanguageCase& language : {kEnglish, kSpanish}) {
    SCOPED_TRACE(language.tag);
    HeadlessChromium::PageOptions options;
    options.width = viewport.width;
    options.height = viewport.height;
    options.mobile = viewport.mobile;
    options.accept_language = language.accept_language;
    ASSERT_TRUE(browser.Open(env().expired_uri(), options).ok());

    auto measured =
        browser.Evaluate(MeasureExpression(language.expired_sentence, "heart-helper.example"));
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
    EXPECT_EQ(m.at("lang").string_value(), language.tag);
    EXPECT_THAT(m.at("h1").string_value(), HasSubstr(language.heading));
    for (const std::string& event : browser.events()) {
      EXPECT_NE(event, "Page.javascriptDialogOpening") << "a script ran: alert()";
    }

    auto png = browser.ScreenshotPng();
    ASSERT_TRUE(png.ok()) << png.status();
    ASSERT_GT(png->size(), 24u);
    EXPECT_EQ(png->substr(1, 3), "PNG");
    // IHDR width, big-endian at offset 16.
    const auto byte = [&](size_t i) { return static_cast<unsigned char>((*png)[i]); };
    EXPECT_EQ((byte(16) << 24) | (byte(17) << 16) | (byte(18) << 8) | byte(19), viewport.width);
    SavePng(*png, absl::StrCat("explanation_page_expired_", language.tag, "_", viewport.width, "x",
                               viewport.height));

    auto full_page = browser.ScreenshotPng(/*full_page=*/true);
    ASSERT_TRUE(full_page.ok()) << full_page.status();
    SavePng(*full_page,
            absl::StrCat("explanation_page_expired_", language.tag, "_", viewport.width, "_full"));
  }
}

INSTANTIATE_TEST_SUITE_P(Viewports, ExplanationPageBrowserTest, ::testing::Values(kPhone, kDesktop),
                         [](const ::testing::TestParamInfo<Viewport>& info) {
                           return absl::StrCat(info.param.width, "x", info.param.height);
                         });

struct AccessibilityCase {
  Viewport viewport;
  LanguageCase language;
};

void PrintTo(const AccessibilityCase& c, std::ostream* out) {
  PrintTo(c.viewport, out);
  *out << " " << c.language.tag;
}

std::string ListOf(const google::protobuf::Value& list) {
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(list, &json);
  return json;
}

bool Contains(const google::protobuf::Value& list, const std::string& id) {
  for (const auto& value : list.list_value().values()) {
    if (value.string_value() == id) return true;
  }
  return false;
}

class ExplanationPageAccessibilityTest : public ::testing::TestWithParam<AccessibilityCase> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(env().status().ok()) << env().status();
    HeadlessChromium::PageOptions options;
    options.width = GetParam().viewport.width;
    options.height = GetParam().viewport.height;
    options.mobile = GetParam().viewport.mobile;
    options.accept_language = GetParam().language.accept_language;
    ASSERT_TRUE(browser().Open(env().every_finding_uri(), options).ok());
  }
  static BrowserEnvironment& env() { return *BrowserEnvironment::Get(); }
  static HeadlessChromium& browser() { return env().browser(); }
  std::string Name() const {
    return absl::StrCat(GetParam().language.tag, "_", GetParam().viewport.width, "x",
                        GetParam().viewport.height);
  }
  // axe-core finds no WCAG 2.0/2.1 A or AA violation and no landmark or
  // heading problem, and measured the colour contrast.
  void CheckAxe();
  // One h1 in the language, one main, a labelled nav, no text outside a
  // landmark, <html lang> is the language.
  void CheckStructure();
  // Tabbing reaches the re-approval button, whose focus ring is visible.
  void CheckKeyboardFocus();
  // The link to the other language leads to the page in that language.
  void CheckLanguageLinks();
};

void ExplanationPageAccessibilityTest::CheckAxe() {
  ASSERT_TRUE(browser().Evaluate(env().axe_source()).ok());
  auto results = EvaluateJson(browser(), kAxeExpression, /*await_promise=*/true);
  ASSERT_TRUE(results.ok()) << results.status();
  const auto& fields = results->fields();
  std::fprintf(stderr, "axe-core %s\n", fields.at("version").string_value().c_str());
  for (const char* run : {"wcag", "structure"}) {
    const auto& run_fields = fields.at(run).struct_value().fields();
    EXPECT_EQ(run_fields.at("violations").list_value().values_size(), 0)
        << run << " violations: " << ListOf(run_fields.at("violations"));
    if (std::string(run) == "wcag") {
      // Contrast was measured, not skipped or left undecided.
      EXPECT_TRUE(Contains(run_fields.at("passes"), "color-contrast"))
          << ListOf(run_fields.at("passes"));
      EXPECT_FALSE(Contains(run_fields.at("incomplete"), "color-contrast"));
      EXPECT_TRUE(Contains(run_fields.at("passes"), "html-lang-valid"));
    }
  }
}

void ExplanationPageAccessibilityTest::CheckStructure() {
  auto page = EvaluateJson(browser(), kStructureExpression);
  ASSERT_TRUE(page.ok()) << page.status();
  const auto& m = page->fields();
  EXPECT_EQ(m.at("h1Count").number_value(), 1);
  EXPECT_THAT(m.at("h1").string_value(), HasSubstr(GetParam().language.heading));
  EXPECT_EQ(m.at("mainCount").number_value(), 1);
  EXPECT_FALSE(m.at("navLabel").string_value().empty());
  EXPECT_EQ(m.at("outside").list_value().values_size(), 0)
      << "text outside every landmark: " << ListOf(m.at("outside"));
  EXPECT_EQ(m.at("lang").string_value(), GetParam().language.tag);
  auto png = browser().ScreenshotPng();
  ASSERT_TRUE(png.ok()) << png.status();
  SavePng(*png, absl::StrCat("explanation_page_", Name()));
}

void ExplanationPageAccessibilityTest::CheckKeyboardFocus() {
  // Tab from the top as a keyboard user does, until the button has focus.
  Struct focus;
  for (int presses = 0; presses < 20; ++presses) {
    ASSERT_TRUE(browser().PressKey("Tab").ok());
    auto measured = EvaluateJson(browser(), kFocusExpression);
    ASSERT_TRUE(measured.ok()) << measured.status();
    focus = *measured;
    if (focus.fields().at("focused").bool_value() && focus.fields().at("isButton").bool_value()) {
      break;
    }
  }
  const auto& m = focus.fields();
  ASSERT_TRUE(m.at("focused").bool_value() && m.at("isButton").bool_value())
      << "Tab never reached the re-approval button";
  EXPECT_TRUE(m.at("focusVisible").bool_value());
  EXPECT_NE(m.at("outlineStyle").string_value(), "none");
  EXPECT_GE(m.at("outlineWidth").number_value(), 2);
  EXPECT_GE(m.at("contrast").number_value(), 3.0);
  EXPECT_TRUE(m.at("inView").bool_value());
  auto png = browser().ScreenshotPng();
  ASSERT_TRUE(png.ok()) << png.status();
  SavePng(*png, absl::StrCat("explanation_page_focus_", Name()));
}

void ExplanationPageAccessibilityTest::CheckLanguageLinks() {
  const std::string other = GetParam().language.tag == std::string("en") ? "es" : "en";
  auto href = browser().Evaluate(
      absl::StrCat("document.querySelector('nav a[hreflang=\"", other, "\"]').href"));
  ASSERT_TRUE(href.ok()) << href.status();
  EXPECT_THAT(href->string_value(), HasSubstr(absl::StrCat("lang=", other)));
  // The browser still asks for the first language: the link wins.
  ASSERT_TRUE(browser().Navigate(href->string_value()).ok());
  auto lang = browser().Evaluate("document.documentElement.lang");
  ASSERT_TRUE(lang.ok()) << lang.status();
  EXPECT_EQ(lang->string_value(), other);
  auto current = browser().Evaluate("document.querySelector('nav a[aria-current]').hreflang");
  ASSERT_TRUE(current.ok()) << current.status();
  EXPECT_EQ(current->string_value(), other);
}

// One browser tab per viewport and language, checked in the order a page
// visit allows (the language links navigate away last).
TEST_P(ExplanationPageAccessibilityTest, MeetsWcag21AaInThisLanguageAndViewport) {
  {
    SCOPED_TRACE("axe-core");
    CheckAxe();
  }
  {
    SCOPED_TRACE("heading, landmarks, lang");
    CheckStructure();
  }
  {
    SCOPED_TRACE("keyboard focus");
    CheckKeyboardFocus();
  }
  {
    SCOPED_TRACE("language links");
    CheckLanguageLinks();
  }
}

INSTANTIATE_TEST_SUITE_P(
    ViewportsAndLanguages, ExplanationPageAccessibilityTest,
    ::testing::Values(AccessibilityCase{kPhone, kEnglish}, AccessibilityCase{kPhone, kSpanish},
                      AccessibilityCase{kDesktop, kEnglish}, AccessibilityCase{kDesktop, kSpanish}),
    [](const ::testing::TestParamInfo<AccessibilityCase>& info) {
      return absl::StrCat(info.param.language.tag, "_", info.param.viewport.width, "x",
                          info.param.viewport.height);
    });

// WCAG 1.4.10: at 320 CSS px, and at 200% zoom of the desktop window (a
// 1280×800 window at 200% is a 640×400 CSS-pixel viewport at two device
// pixels per CSS pixel), nothing needs horizontal scrolling.
struct ReflowCase {
  const char* name;
  HeadlessChromium::PageOptions options;
  LanguageCase language;
};

HeadlessChromium::PageOptions Options(int width, int height, bool mobile, double scale) {
  HeadlessChromium::PageOptions options;
  options.width = width;
  options.height = height;
  options.mobile = mobile;
  options.scale = scale;
  return options;
}

TEST(ExplanationPageReflowTest, NoHorizontalScrollingAt320PxOrAt200PercentZoom) {
  BrowserEnvironment& env = *BrowserEnvironment::Get();
  ASSERT_TRUE(env.status().ok()) << env.status();
  for (const ReflowCase& reflow :
       {ReflowCase{"en_320px", Options(320, 640, true, 1), kEnglish},
        ReflowCase{"es_320px", Options(320, 640, true, 1), kSpanish},
        ReflowCase{"en_zoom200", Options(640, 400, false, 2), kEnglish},
        ReflowCase{"es_zoom200", Options(640, 400, false, 2), kSpanish}}) {
    SCOPED_TRACE(reflow.name);
    HeadlessChromium::PageOptions options = reflow.options;
    options.accept_language = reflow.language.accept_language;
    ASSERT_TRUE(env.browser().Open(env.every_finding_uri(), options).ok());
    auto measured = EvaluateJson(env.browser(), kReflowExpression);
    ASSERT_TRUE(measured.ok()) << measured.status();
    const auto& m = measured->fields();
    EXPECT_EQ(m.at("innerWidth").number_value(), options.width);
    EXPECT_EQ(m.at("devicePixelRatio").number_value(), options.scale);
    EXPECT_LE(m.at("scrollWidth").number_value(), m.at("innerWidth").number_value());
    EXPECT_EQ(m.at("outside").list_value().values_size(), 0)
        << "outside the viewport: " << ListOf(m.at("outside"));
    auto png = env.browser().ScreenshotPng(/*full_page=*/true);
    ASSERT_TRUE(png.ok()) << png.status();
    SavePng(*png, absl::StrCat("explanation_page_reflow_", reflow.name));
  }
}

}  // namespace
}  // namespace apptrust::testing
