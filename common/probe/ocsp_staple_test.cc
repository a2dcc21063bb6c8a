#include "common/probe/ocsp_staple.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace apptrust::probe {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes Tlv(uint8_t tag, const Bytes& contents) {
  Bytes out = {tag};
  if (contents.size() < 128) {
    out.push_back(static_cast<uint8_t>(contents.size()));
  } else {
    out.push_back(0x82);
    out.push_back(static_cast<uint8_t>(contents.size() >> 8));
    out.push_back(static_cast<uint8_t>(contents.size()));
  }
  out.insert(out.end(), contents.begin(), contents.end());
  return out;
}

Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

const Bytes kGeneralizedTime = Tlv(0x18, Bytes(15, '0'));

// A structurally valid OCSPResponse with one SingleResponse.
Bytes Response(uint8_t response_status, const Bytes& serial, const Bytes& cert_status) {
  Bytes sha1 = Tlv(0x30, Cat({Tlv(0x06, {0x2b, 0x0e, 0x03, 0x02, 0x1a}), Tlv(0x05, {})}));
  Bytes cert_id =
      Tlv(0x30, Cat({sha1, Tlv(0x04, Bytes(20, 1)), Tlv(0x04, Bytes(20, 2)), Tlv(0x02, serial)}));
  Bytes single = Tlv(0x30, Cat({cert_id, cert_status, kGeneralizedTime}));
  Bytes tbs =
      Tlv(0x30, Cat({Tlv(0xa2, Tlv(0x04, Bytes(20, 3))), kGeneralizedTime, Tlv(0x30, single)}));
  Bytes basic =
      Tlv(0x30, Cat({tbs, Tlv(0x30, Tlv(0x06, {0x2a, 0x86, 0x48})), Tlv(0x03, {0x00, 0x01})}));
  Bytes response_bytes = Tlv(
      0x30,
      Cat({Tlv(0x06, {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01}), Tlv(0x04, basic)}));
  return Tlv(0x30, Cat({Tlv(0x0a, {response_status}), Tlv(0xa0, response_bytes)}));
}

const Bytes kGood = {0x80, 0x00};
const Bytes kRevoked = Tlv(0xa1, kGeneralizedTime);
const Bytes kUnknownStatus = {0x82, 0x00};

TEST(OcspStapleTest, ReadsGoodAndRevokedForTheLeafSerial) {
  const Bytes serial = {0x00, 0x9a, 0x01};  // DER keeps the sign byte
  const Bytes leaf = {0x9a, 0x01};
  EXPECT_EQ(RevocationFromOcspStaple(Response(0, serial, kGood), leaf), v1::REVOCATION_GOOD);
  EXPECT_EQ(RevocationFromOcspStaple(Response(0, serial, kRevoked), leaf), v1::REVOCATION_REVOKED);
  EXPECT_EQ(RevocationFromOcspStaple(Response(0, serial, kUnknownStatus), leaf),
            v1::REVOCATION_UNKNOWN);
}

TEST(OcspStapleTest, AnythingUnjudgeableIsUnknown) {
  const Bytes serial = {0x05};
  EXPECT_EQ(RevocationFromOcspStaple(Response(0, serial, kRevoked), Bytes{0x06}),
            v1::REVOCATION_UNKNOWN);  // another certificate's status
  EXPECT_EQ(RevocationFromOcspStaple(Response(1, serial, kRevoked), serial),
            v1::REVOCATION_UNKNOWN);  // malformedRequest
  Bytes truncated = Response(0, serial, kRevoked);
  truncated.resize(truncated.size() - 7);
  EXPECT_EQ(RevocationFromOcspStaple(truncated, serial), v1::REVOCATION_UNKNOWN);
  EXPECT_EQ(RevocationFromOcspStaple(Bytes{}, serial), v1::REVOCATION_UNKNOWN);
  EXPECT_EQ(RevocationFromOcspStaple(Bytes{0x30, 0x84, 0xff, 0xff, 0xff, 0xff}, serial),
            v1::REVOCATION_UNKNOWN);
}

}  // namespace
}  // namespace apptrust::probe
