#include "services/store/change_log.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace apptrust::store {
namespace {

constexpr absl::string_view kVersion = "w1";
constexpr char kSeparator = '\x1f';
// Store ids are 32 lowercase hex digits (both schemas make them so).
constexpr size_t kStoreIdLength = 32;

bool IsStoreId(absl::string_view id) {
  if (id.size() != kStoreIdLength) return false;
  for (char c : id) {
    if (!absl::ascii_isxdigit(c) || absl::ascii_isupper(c)) return false;
  }
  return true;
}

}  // namespace

absl::Status CheckResumable(int64_t after_revision, int64_t oldest_resumable, int64_t allocated) {
  if (after_revision < oldest_resumable) {
    return absl::OutOfRangeError(
        absl::StrCat("resume_token: revision ", after_revision,
                     " is past the change log's retention; the oldest revision to resume from is ",
                     oldest_resumable, ": drop cached grants and watch again without a token"));
  }
  if (after_revision > allocated) {
    return absl::OutOfRangeError(absl::StrCat(
        "resume_token: revision ", after_revision, " is ahead of this database (at ", allocated,
        "; restored from a backup?): drop cached grants and watch again without a token"));
  }
  return absl::OkStatus();
}

std::string EncodeResumeToken(const ResumePoint& point) {
  return absl::WebSafeBase64Escape(absl::StrCat(kVersion, std::string(1, kSeparator),
                                                point.store_id, std::string(1, kSeparator),
                                                point.revision));
}

absl::StatusOr<ResumePoint> DecodeResumeToken(absl::string_view token, absl::string_view field) {
  const absl::Status bad =
      absl::InvalidArgumentError(absl::StrCat(field, ": not a token returned by WatchGrants"));
  std::string decoded;
  // Only the exact spelling the store wrote (see page_token.cc).
  if (!absl::WebSafeBase64Unescape(token, &decoded) ||
      absl::WebSafeBase64Escape(decoded) != token) {
    return bad;
  }
  const std::vector<absl::string_view> parts = absl::StrSplit(decoded, kSeparator);
  if (parts.size() != 3 || parts[0] != kVersion || !IsStoreId(parts[1])) return bad;
  ResumePoint point;
  point.store_id = std::string(parts[1]);
  if (!absl::SimpleAtoi(parts[2], &point.revision) || point.revision < 0) return bad;
  return point;
}

}  // namespace apptrust::store
