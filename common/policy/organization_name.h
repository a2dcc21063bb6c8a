// When two spellings of an organization's name name the same organization.
//
// The Baseline Requirements (§7.1.4.2.2) let an OV/EV certificate abbreviate
// the organization's legal form, and CAs differ in punctuation and case: the
// same company renews as "Example Health, Incorporated" after "Example
// Health Inc.". Under PROFILE_DISPLAYED these are the same organization; the
// patient still sees the name as the certificate spells it. PROFILE_STRICT
// compares the bytes.
//
// The comparison key: letters lower-cased (ASCII), every character that is
// not a letter or digit (punctuation, whitespace) a single separator, "&"
// read as "and", then the legal form at the end replaced by its canonical
// abbreviation from this table (several forms in a row, "Co., Ltd.", each):
//
//   inc   Inc, Incorporated            corp  Corp, Corporation
//   co    Co, Company                  ltd   Ltd, Limited
//   llc   LLC, L.L.C., Limited Liability Company
//   llp   LLP, L.L.P., Limited Liability Partnership
//   lp    LP, L.P., Limited Partnership
//   plc   PLC, Public Limited Company  pc    P.C., Professional Corporation
//   pllc  PLLC, Professional Limited Liability Company
//   gmbh  GmbH, Gesellschaft mit beschränkter Haftung
//   ag    AG, Aktiengesellschaft       sa    S.A., Société Anonyme
//   bv    B.V., Besloten Vennootschap  nv    N.V., Naamloze Vennootschap
//   pty   Pty, Proprietary             spa   S.p.A., Società per Azioni
//
// Only the end of the name is read as a legal form, so "Limited Edition
// Health" keeps its first word. Non-ASCII letters are compared as they are
// (no case folding beyond ASCII): a name in another script must match
// exactly, apart from punctuation and spacing.
#ifndef APPTRUST_COMMON_POLICY_ORGANIZATION_NAME_H_
#define APPTRUST_COMMON_POLICY_ORGANIZATION_NAME_H_

#include <string>

#include "absl/strings/string_view.h"

namespace apptrust::policy {

// The comparison key described above ("example health inc").
std::string OrganizationNameKey(absl::string_view name);

// Same key. Two empty names are the same; an empty and a non-empty are not.
bool SameOrganizationName(absl::string_view a, absl::string_view b);

}  // namespace apptrust::policy

#endif  // APPTRUST_COMMON_POLICY_ORGANIZATION_NAME_H_
