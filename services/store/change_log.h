// The change log behind FingerprintStore.WatchGrants: what both backends
// agree on about resume points, and the resume token that carries one.
//
// A resume token names the database (its store id, made at random when the
// database was created) and a revision: the stream continues with the
// changes after it. The store id makes a token from another database (or a
// database rebuilt under the same address) unusable instead of silently
// skipping changes; the revision is checked against what the database kept
// (pruned past it: OUT_OF_RANGE naming the oldest resumable revision) and
// handed out (above it: a database restored from a backup, OUT_OF_RANGE). A
// client answers OUT_OF_RANGE by dropping what it cached and starting again
// without a token.
#ifndef APPTRUST_SERVICES_STORE_CHANGE_LOG_H_
#define APPTRUST_SERVICES_STORE_CHANGE_LOG_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace apptrust::store {

// OK when a reader may resume after `after_revision`: no change after it was
// pruned (`oldest_resumable`, see ChangeLogState) and it is not above the
// highest revision handed out (`allocated`). OUT_OF_RANGE otherwise, naming
// the bounds.
absl::Status CheckResumable(int64_t after_revision, int64_t oldest_resumable, int64_t allocated);

struct ResumePoint {
  std::string store_id;
  int64_t revision = 0;
};

std::string EncodeResumeToken(const ResumePoint& point);

// INVALID_ARGUMENT naming `field` for a token the store did not write.
absl::StatusOr<ResumePoint> DecodeResumeToken(absl::string_view token, absl::string_view field);

}  // namespace apptrust::store

#endif  // APPTRUST_SERVICES_STORE_CHANGE_LOG_H_
