#include "common/net/etld.h"

#include <libpsl.h>

#include <string>

#include "absl/status/status.h"

namespace apptrust::net {
namespace {

struct LoadedList {
  const psl_ctx_t* ctx = nullptr;
  std::string source;
};

// Loaded once; libpsl contexts are immutable after loading, so concurrent
// lookups need no lock. Never freed: it lives as long as the process.
const LoadedList& List() {
  static const LoadedList* list = [] {
    auto* loaded = new LoadedList;
    for (const char* path : {"/usr/share/publicsuffix/public_suffix_list.dafsa",
                             "/usr/share/publicsuffix/public_suffix_list.dat"}) {
      if (psl_ctx_t* ctx = psl_load_file(path); ctx != nullptr) {
        loaded->ctx = ctx;
        loaded->source = path;
        return loaded;
      }
    }
    loaded->ctx = psl_builtin();
    loaded->source = "built-in";
    return loaded;
  }();
  return *list;
}

}  // namespace

absl::StatusOr<std::string> RegistrableDomain(absl::string_view host) {
  if (host.empty()) {
    return absl::InvalidArgumentError("host is empty");
  }
  const LoadedList& list = List();
  if (list.ctx == nullptr) {
    return absl::FailedPreconditionError("the Public Suffix List could not be loaded");
  }
  std::string name(host);
  const char* registrable = psl_registrable_domain(list.ctx, name.c_str());
  if (registrable == nullptr) {
    return name;  // a public suffix itself, or one label
  }
  return std::string(registrable);
}

std::string PublicSuffixListSource() { return List().source; }

}  // namespace apptrust::net
