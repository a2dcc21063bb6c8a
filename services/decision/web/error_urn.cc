#include "services/decision/web/error_urn.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace apptrust::web::internal {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::StatusOr<std::string> PercentDecode(absl::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) {
      return absl::NotFoundError("truncated percent escape");
    }
    const int high = HexValue(text[i + 1]);
    const int low = HexValue(text[i + 2]);
    if (high < 0 || low < 0) return absl::NotFoundError("bad percent escape");
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

}  // namespace

std::string ReasonSlug(v1::Reason reason) {
  std::string name = v1::Reason_Name(reason);
  if (name.empty()) name = "REASON_UNSPECIFIED";
  absl::string_view view = name;
  absl::ConsumePrefix(&view, "REASON_");
  return absl::StrReplaceAll(absl::AsciiStrToLower(view), {{"_", "-"}});
}

std::string ErrorUrn(v1::Reason reason) {
  return absl::StrCat("urn:apptrust:error:refresh-suspended:", ReasonSlug(reason));
}

absl::StatusOr<ErrorPath> ParseErrorPath(absl::string_view path) {
  const std::vector<absl::string_view> parts = absl::StrSplit(path, '/');
  // "", "errors", urn, "instances", id
  if (parts.size() != 5 || !parts[0].empty() || parts[1] != "errors" || parts[3] != "instances" ||
      parts[2].empty() || parts[4].empty()) {
    return absl::NotFoundError("not an error path");
  }
  ErrorPath out;
  auto urn = PercentDecode(parts[2]);
  if (!urn.ok()) return urn.status();
  auto id = PercentDecode(parts[4]);
  if (!id.ok()) return id.status();
  out.urn = *std::move(urn);
  out.suspension_id = *std::move(id);
  return out;
}

}  // namespace apptrust::web::internal
