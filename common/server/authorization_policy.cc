#include "common/server/authorization_policy.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace apptrust::server {
namespace {

// Every caller may ask for health: it says up or down, nothing else.
constexpr absl::string_view kHealthPrefix = "/grpc.health.v1.Health/";

class FirstError : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (first_.empty()) first_ = absl::StrCat(line + 1, ":", column + 1, ": ", message);
  }
  const std::string& first() const { return first_; }

 private:
  std::string first_;
};

absl::Status CheckIdentityPattern(absl::string_view pattern) {
  if (pattern.empty()) return absl::InvalidArgumentError("must not be empty");
  const size_t star = pattern.find('*');
  if (star != absl::string_view::npos && star + 1 != pattern.size()) {
    return absl::InvalidArgumentError("'*' may only end a pattern (a prefix match)");
  }
  // "spiffe://example/ns/operators*" would also admit ".../ns/operators-evil/...":
  // a prefix ends at a path segment ('/') or a DNS label ('.'), or is "*" alone.
  if (star != absl::string_view::npos && pattern.size() > 1 && pattern[star - 1] != '/' &&
      pattern[star - 1] != '.') {
    return absl::InvalidArgumentError(
        "'*' must follow '/' or '.' (a whole path segment or DNS label), or stand alone");
  }
  return absl::OkStatus();
}

// "/package.Service/Method" or "/package.Service/*". When this binary links
// the service's descriptor, the method must exist: a typo would otherwise
// deny the calls the rule was written for, silently.
absl::Status CheckMethodPattern(absl::string_view pattern) {
  const std::vector<absl::string_view> parts = absl::StrSplit(pattern, '/');
  if (parts.size() != 3 || !parts[0].empty() || parts[1].empty() || parts[2].empty() ||
      !absl::StrContains(parts[1], '.')) {
    return absl::InvalidArgumentError(
        "must be a full method name \"/package.Service/Method\" or \"/package.Service/*\"");
  }
  if (absl::StrContains(parts[2], '*') && parts[2] != "*") {
    return absl::InvalidArgumentError("a method is named in full, or '*' for all of a service");
  }
  const auto* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(std::string(parts[1]));
  if (service != nullptr && parts[2] != "*" &&
      service->FindMethodByName(std::string(parts[2])) == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("the service ", parts[1], " has no method ", parts[2]));
  }
  return absl::OkStatus();
}

}  // namespace

bool MatchesPattern(absl::string_view pattern, absl::string_view value) {
  if (absl::EndsWith(pattern, "*")) {
    return absl::StartsWith(value, pattern.substr(0, pattern.size() - 1));
  }
  return pattern == value;
}

absl::StatusOr<AuthorizationPolicy> AuthorizationPolicy::Parse(absl::string_view text,
                                                               absl::string_view name) {
  v1::AuthorizationPolicy proto;
  FirstError errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.AllowUnknownField(false);
  if (!parser.ParseFromString(std::string(text), &proto)) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ":", errors.first().empty() ? "0:0: does not parse" : errors.first()));
  }
  for (int i = 0; i < proto.rules_size(); ++i) {
    const v1::AuthorizationRule& rule = proto.rules(i);
    const std::string where = absl::StrCat(name, ": rules[", i, "]");
    if (rule.identities().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".identities: at least one"));
    }
    if (rule.methods().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".methods: at least one"));
    }
    for (int j = 0; j < rule.identities_size(); ++j) {
      if (absl::Status s = CheckIdentityPattern(rule.identities(j)); !s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ".identities[", j, "] '", rule.identities(j), "': ", s.message()));
      }
    }
    for (int j = 0; j < rule.methods_size(); ++j) {
      if (absl::Status s = CheckMethodPattern(rule.methods(j)); !s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ".methods[", j, "] '", rule.methods(j), "': ", s.message()));
      }
    }
  }
  return AuthorizationPolicy(std::move(proto));
}

absl::StatusOr<AuthorizationPolicy> AuthorizationPolicy::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(path, ": cannot read the file"));
  std::ostringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path);
}

absl::Status AuthorizationPolicy::Check(absl::string_view identity,
                                        absl::string_view method) const {
  if (absl::StartsWith(method, kHealthPrefix)) return absl::OkStatus();
  if (!identity.empty()) {
    for (const v1::AuthorizationRule& rule : proto_.rules()) {
      bool caller = false;
      for (const std::string& pattern : rule.identities()) {
        if (MatchesPattern(pattern, identity)) {
          caller = true;
          break;
        }
      }
      if (!caller) continue;
      for (const std::string& pattern : rule.methods()) {
        if (MatchesPattern(pattern, method)) return absl::OkStatus();
      }
    }
  }
  return absl::PermissionDeniedError(absl::StrCat(
      identity.empty() ? std::string("a caller without a verified identity (no URI or DNS SAN)")
                       : absl::StrCat("caller '", identity, "'"),
      " may not call ", method, " (no rule of --authz_policy allows it)"));
}

}  // namespace apptrust::server
