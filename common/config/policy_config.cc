#include "common/config/policy_config.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/time/proto_time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace apptrust::config {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::TextFormat;

// The parser reports an unknown enum name where the *next* token starts
// (often the following line). Moves such a position back to the name itself,
// so the message points at what the operator has to fix.
void PointAtEnumName(absl::string_view text, const std::string& message, int& line, int& column) {
  constexpr absl::string_view kPrefix = "Unknown enumeration value of \"";
  if (!absl::StartsWith(message, kPrefix)) {
    return;
  }
  size_t end = message.find('"', kPrefix.size());
  if (end == std::string::npos) {
    return;
  }
  std::string name = message.substr(kPrefix.size(), end - kPrefix.size());
  // Offset of the reported position.
  size_t offset = 0;
  for (int l = 0; l < line && offset < text.size(); ++l) {
    size_t nl = text.find('\n', offset);
    if (nl == absl::string_view::npos) {
      return;
    }
    offset = nl + 1;
  }
  offset = std::min(text.size(), offset + static_cast<size_t>(std::max(column, 0)));
  size_t at = text.substr(0, offset).rfind(name);
  if (at == absl::string_view::npos) {
    return;
  }
  absl::string_view before = text.substr(0, at);
  line = static_cast<int>(std::count(before.begin(), before.end(), '\n'));
  size_t line_start = before.rfind('\n');
  column = static_cast<int>(line_start == absl::string_view::npos ? at : at - line_start - 1);
}

// Keeps every parser error with its 1-based position; the first is reported.
class CollectErrors : public google::protobuf::io::ErrorCollector {
 public:
  explicit CollectErrors(absl::string_view text) : text_(text) {}

  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    PointAtEnumName(text_, message, line, column);
    errors_.push_back(absl::StrCat(line + 1, ":", column + 1, ": ", message));
  }
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  absl::string_view text_;
  std::vector<std::string> errors_;
};

// A validation problem: the path of the field ("tenants[\"a\"].manage_url")
// and where it was written, when known.
struct Problem {
  std::string field;
  std::string message;
  int line = -1;    // 0-based, -1 when unknown
  int column = -1;  // 0-based
};

using timeconv::FromProto;

bool IsErrorUriChar(char c) {
  // RFC 6749 §4.1.2.1: error_uri is %x21 / %x23-5B / %x5D-7E.
  unsigned char u = static_cast<unsigned char>(c);
  return u == 0x21 || (u >= 0x23 && u <= 0x5B) || (u >= 0x5D && u <= 0x7E);
}

// Empty string when `url` is acceptable. A query is allowed only when
// `allow_query` (webhook receivers often key on one); a fragment never.
std::string CheckHttpUrl(absl::string_view url, bool for_error_uri, bool allow_query = false) {
  absl::string_view rest = url;
  std::string lower = absl::AsciiStrToLower(url);
  if (absl::StartsWith(lower, "https://")) {
    rest.remove_prefix(8);
  } else if (absl::StartsWith(lower, "http://")) {
    rest.remove_prefix(7);
  } else {
    return absl::StrCat("'", url, "' is not an absolute http:// or https:// URL");
  }
  absl::string_view authority = rest.substr(0, rest.find('/'));
  if (authority.empty()) {
    return absl::StrCat("'", url, "' has no host");
  }
  if ((!allow_query && absl::StrContains(url, '?')) || absl::StrContains(url, '#')) {
    return absl::StrCat(
        "'", url,
        allow_query ? "' must not have a fragment" : "' must not have a query or fragment");
  }
  if (authority.find('@') != absl::string_view::npos) {
    return absl::StrCat("'", url, "' must not hold user information");
  }
  for (char c : url) {
    if (for_error_uri ? !IsErrorUriChar(c) : (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F)) {
      return absl::StrCat("'", url, "' holds a character not allowed in an ",
                          for_error_uri ? "RFC 6749 error_uri" : "URL", " (percent-encode it)");
    }
  }
  return "";
}

void CheckPersonas(const google::protobuf::RepeatedField<int>& personas, const std::string& field,
                   std::vector<Problem>& problems) {
  for (int p : personas) {
    if (p == v1::PERSONA_UNSPECIFIED || !v1::Persona_IsValid(p)) {
      problems.push_back(
          {field, absl::StrCat(p == v1::PERSONA_UNSPECIFIED ? std::string("PERSONA_UNSPECIFIED")
                                                            : absl::StrCat(p),
                               " is not a persona")});
    }
  }
}

// Enum values written as numbers parse in proto3 even when unknown; refuse
// them like unknown names.
template <typename IsValid>
void CheckEnum(int value, IsValid is_valid, const std::string& field,
               std::vector<Problem>& problems) {
  if (!is_valid(value)) {
    problems.push_back({field, absl::StrCat(value, " is not a known value")});
  }
}

void CheckDuration(bool has, const google::protobuf::Duration& d, const std::string& field,
                   std::vector<Problem>& problems) {
  if (!has) {
    return;
  }
  if (d.seconds() < 0 || d.nanos() < 0 || d.nanos() > 999999999) {
    problems.push_back({field, "must be a non-negative duration"});
  }
}

// support_contact_text is keyed by the language tag the explanation page
// speaks: a lowercase primary subtag ("en", "es"); a key like "English" or
// "es_MX" would never be shown.
void CheckLanguageKeys(const google::protobuf::Map<std::string, std::string>& texts,
                       const std::string& field, std::vector<Problem>& problems) {
  for (const auto& [language, text] : texts) {
    const bool tag = language.size() >= 2 && language.size() <= 3 &&
                     std::all_of(language.begin(), language.end(), absl::ascii_islower);
    if (!tag) {
      problems.push_back({field, absl::StrCat("'", language,
                                              "' is not a lowercase language tag such as "
                                              "\"en\" or \"es\"")});
    }
  }
}

bool IsWebhookIdChar(char c) { return absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.'; }

// A tenant's webhooks: what can be judged without reading the secret files
// (webhook_directory.h reads them). `seen_ids` spans the whole config.
void CheckWebhooks(const v1::TenantPolicy& tenant, const std::string& prefix,
                   std::set<std::string>& seen_ids, std::vector<Problem>& problems) {
  for (int i = 0; i < tenant.webhooks_size(); ++i) {
    const v1::WebhookConfig& webhook = tenant.webhooks(i);
    const std::string field = absl::StrCat(prefix, "webhooks[", i, "].");
    if (webhook.id().empty() || webhook.id().size() > 128 ||
        !std::all_of(webhook.id().begin(), webhook.id().end(), IsWebhookIdChar)) {
      problems.push_back({field + "id", "must be 1-128 letters, digits, '-', '_' or '.'"});
    } else if (!seen_ids.insert(webhook.id()).second) {
      problems.push_back(
          {field + "id", absl::StrCat("'", webhook.id(), "' is already the id of a webhook")});
    }
    std::string why = CheckHttpUrl(webhook.url(), /*for_error_uri=*/false, /*allow_query=*/true);
    if (why.empty() && !absl::StartsWith(absl::AsciiStrToLower(webhook.url()), "https://")) {
      why = absl::StrCat("'", webhook.url(),
                         "' is not an https:// URL (deliveries are signed and "
                         "concern patients: TLS only)");
    }
    if (!why.empty()) {
      problems.push_back({field + "url", why});
    }
    if (webhook.secret_file().empty()) {
      problems.push_back({field + "secret_file", "must name the file holding the secret"});
    }
    std::set<std::string> clients;
    for (const std::string& client_id : webhook.client_ids()) {
      if (client_id.empty()) {
        problems.push_back({field + "client_ids", "a client id must not be empty"});
      } else if (!clients.insert(client_id).second) {
        problems.push_back(
            {field + "client_ids", absl::StrCat("'", client_id, "' is listed twice")});
      }
    }
  }
}

std::vector<Problem> FindProblems(const v1::PolicyConfig& config) {
  std::vector<Problem> problems;
  CheckEnum(config.profile(), v1::Profile_IsValid, "profile", problems);
  CheckEnum(config.enforcement(), v1::Enforcement_IsValid, "enforcement", problems);
  CheckEnum(config.on_probe_failure(), v1::ProbeFailure_IsValid, "on_probe_failure", problems);
  if (!config.txt_key().empty()) {
    for (char c : config.txt_key()) {
      if (c == '=' || static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) {
        problems.push_back({"txt_key", "must not contain '=', whitespace or control characters"});
        break;
      }
    }
  }
  CheckDuration(config.has_expiring_soon(), config.expiring_soon(), "expiring_soon", problems);
  CheckDuration(config.has_max_staleness(), config.max_staleness(), "max_staleness", problems);
  if (config.has_max_staleness() && FromProto(config.max_staleness()) > kMaxStaleness) {
    problems.push_back({"max_staleness", "must be at most 12h (the outer bound of staleness)"});
  }
  CheckPersonas(config.personas_in_scope(), "personas_in_scope", problems);
  if (!config.error_base_url().empty()) {
    std::string why = CheckHttpUrl(config.error_base_url(), /*for_error_uri=*/true);
    if (!why.empty()) {
      problems.push_back({"error_base_url", why});
    }
  }
  if (!config.manage_url().empty()) {
    std::string why = CheckHttpUrl(config.manage_url(), /*for_error_uri=*/false);
    if (!why.empty()) {
      problems.push_back({"manage_url", why});
    }
  }
  CheckLanguageKeys(config.support_contact_text(), "support_contact_text", problems);
  std::set<std::string> webhook_ids;
  for (const auto& [id, tenant] : config.tenants()) {
    std::string prefix = absl::StrCat("tenants[\"", id, "\"].");
    CheckWebhooks(tenant, prefix, webhook_ids, problems);
    CheckLanguageKeys(tenant.support_contact_text(), prefix + "support_contact_text", problems);
    if (id.empty()) {
      problems.push_back({"tenants", "a tenant id must not be empty"});
    }
    CheckEnum(tenant.profile(), v1::Profile_IsValid, prefix + "profile", problems);
    CheckEnum(tenant.enforcement(), v1::Enforcement_IsValid, prefix + "enforcement", problems);
    CheckEnum(tenant.on_probe_failure(), v1::ProbeFailure_IsValid, prefix + "on_probe_failure",
              problems);
    CheckPersonas(tenant.personas_in_scope(), prefix + "personas_in_scope", problems);
    if (!tenant.manage_url().empty()) {
      std::string why = CheckHttpUrl(tenant.manage_url(), /*for_error_uri=*/false);
      if (!why.empty()) {
        problems.push_back({prefix + "manage_url", why});
      }
    }
  }
  return problems;
}

// Finds where the field a problem names was written, using the parser's
// location tree. Only the shapes FindProblems produces are understood:
// "name" and "tenants[\"id\"].name".
void Locate(const v1::PolicyConfig& config, const TextFormat::ParseInfoTree& tree,
            Problem& problem) {
  const Descriptor* root = v1::PolicyConfig::descriptor();
  const TextFormat::ParseInfoTree* at = &tree;
  const Descriptor* message = root;
  absl::string_view field = problem.field;
  if (absl::StartsWith(field, "tenants[")) {
    const FieldDescriptor* tenants = root->FindFieldByName("tenants");
    size_t close = field.find("\"].");
    if (close == absl::string_view::npos) {
      // "tenants" itself: point at the first entry.
      if (tree.GetLocation(tenants, 0).line >= 0) {
        problem.line = tree.GetLocation(tenants, 0).line;
        problem.column = tree.GetLocation(tenants, 0).column;
      }
      return;
    }
    std::string id(field.substr(9, close - 9));
    // Map entries keep the order they were written in; the last one with a
    // given key wins, so search from the end.
    const TextFormat::ParseInfoTree* entry = nullptr;
    const google::protobuf::Reflection* reflection = config.GetReflection();
    int n = reflection->FieldSize(config, tenants);
    for (int i = n - 1; i >= 0 && entry == nullptr; --i) {
      const auto& m = reflection->GetRepeatedMessage(config, tenants, i);
      const FieldDescriptor* key = m.GetDescriptor()->FindFieldByName("key");
      if (m.GetReflection()->GetString(m, key) == id) {
        entry = tree.GetTreeForNested(tenants, i);
        if (entry != nullptr) {
          const FieldDescriptor* value = m.GetDescriptor()->FindFieldByName("value");
          auto loc = entry->GetLocation(value, -1);
          problem.line = loc.line;
          problem.column = loc.column;
          entry = entry->GetTreeForNested(value, -1);
        }
      }
    }
    if (entry == nullptr) {
      return;
    }
    at = entry;
    message = v1::TenantPolicy::descriptor();
    field.remove_prefix(close + 3);
  }
  // "webhooks[2].url": the url of the third webhook entry.
  int index = 0;
  if (size_t open = field.find('['); open != absl::string_view::npos) {
    const FieldDescriptor* list = message->FindFieldByName(std::string(field.substr(0, open)));
    size_t close = field.find("].", open);
    if (list == nullptr || list->message_type() == nullptr || close == absl::string_view::npos ||
        !absl::SimpleAtoi(field.substr(open + 1, close - open - 1), &index)) {
      return;
    }
    const TextFormat::ParseInfoTree* nested = at->GetTreeForNested(list, index);
    if (nested == nullptr) {
      return;
    }
    auto loc = at->GetLocation(list, index);
    problem.line = loc.line;
    problem.column = loc.column;
    at = nested;
    message = list->message_type();
    field.remove_prefix(close + 2);
    index = 0;
  }
  const FieldDescriptor* fd = message->FindFieldByName(std::string(field));
  if (fd == nullptr) {
    return;
  }
  auto loc = at->GetLocation(fd, fd->is_repeated() ? index : -1);
  if (loc.line >= 0) {
    problem.line = loc.line;
    problem.column = loc.column;
  }
}

}  // namespace

absl::Status ValidatePolicyConfig(const v1::PolicyConfig& config) {
  std::vector<Problem> problems = FindProblems(config);
  if (problems.empty()) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat(problems.front().field, ": ", problems.front().message));
}

absl::StatusOr<v1::PolicyConfig> ParsePolicyConfigText(absl::string_view text,
                                                       absl::string_view name) {
  v1::PolicyConfig config;
  CollectErrors errors(text);
  TextFormat::ParseInfoTree tree;
  TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(&tree);
  // Unknown fields and enum names are mistakes in a hand-written file, never
  // forward compatibility: refuse them (the parser's default, made explicit).
  parser.AllowUnknownField(false);
  parser.AllowUnknownExtension(false);
  if (!parser.ParseFromString(std::string(text), &config)) {
    std::string first =
        errors.errors().empty() ? std::string("0:0: does not parse") : errors.errors().front();
    return absl::InvalidArgumentError(absl::StrCat(name, ":", first));
  }
  std::vector<Problem> problems = FindProblems(config);
  if (problems.empty()) {
    return config;
  }
  Problem& problem = problems.front();
  Locate(config, tree, problem);
  std::string where = problem.line >= 0
                          ? absl::StrCat(name, ":", problem.line + 1, ":", problem.column + 1)
                          : std::string(name);
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": ", problem.field, ": ", problem.message));
}

absl::StatusOr<v1::PolicyConfig> LoadPolicyConfig(const std::string& path) {
  if (path.empty()) {
    return v1::PolicyConfig();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    std::string message = absl::StrCat(path, ": cannot read the policy file: ", std::strerror(err));
    if (err == EACCES) {
      return absl::PermissionDeniedError(message);
    }
    return absl::NotFoundError(message);
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return absl::InternalError(absl::StrCat(path, ": read error"));
  }
  return ParsePolicyConfigText(text.str(), path);
}

}  // namespace apptrust::config
