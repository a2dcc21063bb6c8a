#include "common/policy/error_uri.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/net/percent_encoding.h"
#include "google/protobuf/descriptor.h"

namespace apptrust::policy {
namespace {

constexpr absl::string_view kUrnPrefix = "urn:apptrust:error:refresh-suspended:";
constexpr size_t kMaxDescriptionFindings = 3;

// ASCII replacements for the non-ASCII characters likely in certificate
// subjects and in our own texts. Anything not listed is dropped.
const char* Transliterate(uint32_t cp) {
  if (cp >= 0xC0 && cp <= 0xFF) {
    static constexpr const char* kLatin1[] = {
        "A", "A", "A", "A", "A", "A", "AE", "C", "E", "E", "E", "E", "I", "I", "I",  "I",
        "D", "N", "O", "O", "O", "O", "O",  "x", "O", "U", "U", "U", "U", "Y", "Th", "ss",
        "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
        "d", "n", "o", "o", "o", "o", "o",  "/", "o", "u", "u", "u", "u", "y", "th", "y"};
    return kLatin1[cp - 0xC0];
  }
  switch (cp) {
    case 0xA0:    // no-break space
    case 0x2009:  // thin space
    case 0x202F:  // narrow no-break space
      return " ";
    case 0x2018:
    case 0x2019:
    case 0x201A:
    case 0x201C:
    case 0x201D:
    case 0x201E:
    case 0xAB:
    case 0xBB:
      return "'";
    case 0x2010:
    case 0x2011:
    case 0x2012:
    case 0x2013:
    case 0x2014:
    case 0x2212:
      return "-";
    case 0x2026:
      return "...";
    case 0x2192:
      return "->";
    case 0x2190:
      return "<-";
    case 0x2022:
    case 0xB7:
      return "-";
    case 0x152:
      return "OE";
    case 0x153:
      return "oe";
    case 0x160:
      return "S";
    case 0x161:
      return "s";
    case 0x17D:
      return "Z";
    case 0x17E:
      return "z";
    case 0x141:
      return "L";
    case 0x142:
      return "l";
    default:
      return "";
  }
}

// Decodes one UTF-8 sequence at text[i]; returns its length, 0 if invalid.
size_t DecodeUtf8(absl::string_view text, size_t i, uint32_t& cp) {
  unsigned char c = static_cast<unsigned char>(text[i]);
  size_t len;
  if (c < 0x80) {
    cp = c;
    return 1;
  } else if ((c & 0xE0) == 0xC0) {
    cp = c & 0x1F;
    len = 2;
  } else if ((c & 0xF0) == 0xE0) {
    cp = c & 0x0F;
    len = 3;
  } else if ((c & 0xF8) == 0xF0) {
    cp = c & 0x07;
    len = 4;
  } else {
    return 0;
  }
  if (i + len > text.size()) {
    return 0;
  }
  for (size_t k = 1; k < len; ++k) {
    unsigned char cc = static_cast<unsigned char>(text[i + k]);
    if ((cc & 0xC0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (cc & 0x3F);
  }
  return len;
}

}  // namespace

std::string ReasonSlug(v1::Reason reason) {
  std::string name = v1::Reason_Name(reason);
  if (name.empty()) {
    name = absl::StrCat("REASON_", static_cast<int>(reason));
  }
  if (absl::StartsWith(name, "REASON_")) {
    name.erase(0, 7);
  }
  absl::AsciiStrToLower(&name);
  absl::StrReplaceAll({{"_", "-"}}, &name);
  return name;
}

absl::StatusOr<v1::Reason> ReasonFromSlug(absl::string_view slug) {
  const google::protobuf::EnumDescriptor* reasons = v1::Reason_descriptor();
  for (int i = 0; i < reasons->value_count(); ++i) {
    auto reason = static_cast<v1::Reason>(reasons->value(i)->number());
    if (reason != v1::REASON_UNSPECIFIED && ReasonSlug(reason) == slug) {
      return reason;
    }
  }
  return absl::NotFoundError(absl::StrCat("no reason is named '", slug, "'"));
}

std::string ErrorUrn(v1::Reason reason) { return absl::StrCat(kUrnPrefix, ReasonSlug(reason)); }

std::string BuildErrorUri(absl::string_view base, v1::Reason reason,
                          absl::string_view suspension_id, absl::string_view client_id,
                          absl::string_view tenant_id) {
  while (!base.empty() && base.back() == '/') {
    base.remove_suffix(1);
  }
  return absl::StrCat(base, "/errors/", net::PercentEncode(ErrorUrn(reason), ":"), "/instances/",
                      net::PercentEncode(suspension_id, ""),
                      "?client=", net::PercentEncode(client_id, ""),
                      "&tenant=", net::PercentEncode(tenant_id, ""));
}

absl::StatusOr<ErrorPath> ParseErrorPath(absl::string_view path) {
  path = path.substr(0, path.find_first_of("?#"));
  size_t at = path.rfind("/errors/");
  if (at == absl::string_view::npos) {
    return absl::InvalidArgumentError("not an error path: no /errors/ segment");
  }
  std::vector<absl::string_view> segments = absl::StrSplit(path.substr(at + 8), '/');
  if (segments.size() == 4 && segments[3].empty()) {
    segments.pop_back();  // trailing slash
  }
  if (segments.size() != 3 || segments[1] != "instances" || segments[0].empty() ||
      segments[2].empty()) {
    return absl::InvalidArgumentError(
        "not an error path: expected /errors/{urn}/instances/{suspension_id}");
  }
  absl::StatusOr<std::string> urn = net::PercentDecode(segments[0]);
  if (!urn.ok()) {
    return urn.status();
  }
  if (!absl::StartsWith(*urn, kUrnPrefix)) {
    return absl::InvalidArgumentError(absl::StrCat("unknown error URN '", *urn, "'"));
  }
  absl::StatusOr<v1::Reason> reason =
      ReasonFromSlug(absl::string_view(*urn).substr(kUrnPrefix.size()));
  if (!reason.ok()) {
    return absl::InvalidArgumentError(reason.status().message());
  }
  absl::StatusOr<std::string> id = net::PercentDecode(segments[2]);
  if (!id.ok()) {
    return id.status();
  }
  return ErrorPath{*reason, *std::move(id)};
}

std::string ToErrorDescriptionCharset(absl::string_view text) {
  std::string out;
  auto append = [&out](absl::string_view s) {
    for (char c : s) {
      if (c == ' ' && (out.empty() || out.back() == ' ')) {
        continue;
      }
      out.push_back(c);
    }
  };
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    size_t len = DecodeUtf8(text, i, cp);
    if (len == 0) {
      ++i;
      continue;
    }
    i += len;
    if (cp == '"') {
      append("'");
    } else if (cp == '\\') {
      append("/");
    } else if (cp < 0x20 || cp == 0x7F) {
      append(" ");
    } else if (cp < 0x80) {
      append(std::string(1, static_cast<char>(cp)));
    } else {
      append(Transliterate(cp));
    }
  }
  while (!out.empty() && out.back() == ' ') {
    out.pop_back();
  }
  return out;
}

std::string ErrorDescription(const std::vector<v1::Finding>& findings) {
  std::vector<const v1::Finding*> chosen;
  for (const v1::Finding& f : findings) {
    if (f.suspends()) {
      chosen.push_back(&f);
    }
  }
  if (chosen.empty()) {
    for (const v1::Finding& f : findings) {
      chosen.push_back(&f);
    }
  }
  std::string text = "This app's access to your health record was suspended to protect you.";
  size_t n = 0;
  for (const v1::Finding* f : chosen) {
    if (n++ == kMaxDescriptionFindings) {
      break;
    }
    absl::StrAppend(&text, " ", f->message());
  }
  absl::StrAppend(&text, " Approve the app again to restore its access.");
  return ToErrorDescriptionCharset(text);
}

}  // namespace apptrust::policy
