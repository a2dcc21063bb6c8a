#include "common/probe/ocsp_staple.h"

#include <optional>

namespace apptrust::probe {
namespace {

// A cursor over DER bytes. Only definite lengths (DER) are accepted.
struct Der {
  absl::Span<const uint8_t> rest;

  bool empty() const { return rest.empty(); }

  // Reads one TLV; returns its tag and sets `contents`.
  std::optional<uint8_t> Next(absl::Span<const uint8_t>* contents) {
    if (rest.size() < 2) {
      return std::nullopt;
    }
    uint8_t tag = rest[0];
    if ((tag & 0x1f) == 0x1f) {
      return std::nullopt;  // high tag numbers: not in OCSP
    }
    size_t length = rest[1];
    size_t header = 2;
    if (length & 0x80) {
      size_t count = length & 0x7f;
      if (count == 0 || count > 4 || rest.size() < 2 + count) {
        return std::nullopt;
      }
      length = 0;
      for (size_t i = 0; i < count; ++i) {
        length = (length << 8) | rest[2 + i];
      }
      header += count;
    }
    if (rest.size() - header < length) {
      return std::nullopt;
    }
    *contents = rest.subspan(header, length);
    rest = rest.subspan(header + length);
    return tag;
  }

  // Reads one TLV that must have `tag`.
  bool Expect(uint8_t tag, absl::Span<const uint8_t>* contents) {
    std::optional<uint8_t> got = Next(contents);
    return got.has_value() && *got == tag;
  }
};

constexpr uint8_t kSequence = 0x30;
constexpr uint8_t kEnumerated = 0x0a;
constexpr uint8_t kOctetString = 0x04;
constexpr uint8_t kOid = 0x06;
constexpr uint8_t kInteger = 0x02;
constexpr uint8_t kGeneralizedTime = 0x18;

// id-pkix-ocsp-basic, 1.3.6.1.5.5.7.48.1.1
constexpr uint8_t kBasicOid[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01};

absl::Span<const uint8_t> StripLeadingZeros(absl::Span<const uint8_t> bytes) {
  while (bytes.size() > 1 && bytes[0] == 0) {
    bytes.remove_prefix(1);
  }
  return bytes;
}

bool SameSerial(absl::Span<const uint8_t> a, absl::Span<const uint8_t> b) {
  a = StripLeadingZeros(a);
  b = StripLeadingZeros(b);
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace

v1::Revocation RevocationFromOcspStaple(absl::Span<const uint8_t> der,
                                        absl::Span<const uint8_t> leaf_serial) {
  constexpr v1::Revocation kUnknown = v1::REVOCATION_UNKNOWN;
  absl::Span<const uint8_t> body, field;
  // OCSPResponse ::= SEQUENCE { responseStatus, responseBytes [0] EXPLICIT }
  if (!Der{der}.Expect(kSequence, &body)) {
    return kUnknown;
  }
  Der response{body};
  if (!response.Expect(kEnumerated, &field) || field.size() != 1 || field[0] != 0) {
    return kUnknown;  // not "successful"
  }
  absl::Span<const uint8_t> explicit0, bytes_seq;
  if (!response.Expect(0xa0, &explicit0) || !Der{explicit0}.Expect(kSequence, &bytes_seq)) {
    return kUnknown;
  }
  Der response_bytes{bytes_seq};
  absl::Span<const uint8_t> oid, basic_der;
  if (!response_bytes.Expect(kOid, &oid) ||
      !std::equal(oid.begin(), oid.end(), std::begin(kBasicOid), std::end(kBasicOid)) ||
      !response_bytes.Expect(kOctetString, &basic_der)) {
    return kUnknown;
  }
  // BasicOCSPResponse ::= SEQUENCE { tbsResponseData, ... }
  absl::Span<const uint8_t> basic, tbs;
  if (!Der{basic_der}.Expect(kSequence, &basic) || !Der{basic}.Expect(kSequence, &tbs)) {
    return kUnknown;
  }
  // ResponseData ::= SEQUENCE { version [0] OPTIONAL, responderID, producedAt,
  //                             responses SEQUENCE OF SingleResponse, ... }
  Der data{tbs};
  absl::Span<const uint8_t> item;
  std::optional<uint8_t> tag = data.Next(&item);
  if (tag == 0xa0) {
    tag = data.Next(&item);  // version
  }
  if (tag != 0xa1 && tag != 0xa2) {
    return kUnknown;  // responderID byName / byKey
  }
  if (!data.Expect(kGeneralizedTime, &item)) {
    return kUnknown;
  }
  absl::Span<const uint8_t> responses;
  if (!data.Expect(kSequence, &responses)) {
    return kUnknown;
  }
  Der list{responses};
  while (!list.empty()) {
    absl::Span<const uint8_t> single;
    if (!list.Expect(kSequence, &single)) {
      return kUnknown;
    }
    Der s{single};
    absl::Span<const uint8_t> cert_id, status;
    if (!s.Expect(kSequence, &cert_id)) {
      return kUnknown;
    }
    // CertID ::= SEQUENCE { hashAlgorithm, issuerNameHash, issuerKeyHash, serialNumber }
    Der id{cert_id};
    absl::Span<const uint8_t> skip, serial;
    if (!id.Expect(kSequence, &skip) || !id.Expect(kOctetString, &skip) ||
        !id.Expect(kOctetString, &skip) || !id.Expect(kInteger, &serial)) {
      return kUnknown;
    }
    std::optional<uint8_t> status_tag = s.Next(&status);
    if (!status_tag.has_value()) {
      return kUnknown;
    }
    if (!SameSerial(serial, leaf_serial)) {
      continue;
    }
    switch (*status_tag) {
      case 0x80:  // good [0] IMPLICIT NULL
        return v1::REVOCATION_GOOD;
      case 0xa1:  // revoked [1] IMPLICIT RevokedInfo
        return v1::REVOCATION_REVOKED;
      default:  // unknown [2]
        return kUnknown;
    }
  }
  return kUnknown;
}

}  // namespace apptrust::probe
