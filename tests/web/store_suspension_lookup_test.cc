// The store-backed lookup against stores that do not answer: a port nobody
// listens on (UNAVAILABLE) and a peer that accepts but never speaks
// (DEADLINE_EXCEEDED after the lookup's own short deadline). Both must become
// the 503 page, never a hang or a 404.
#include "services/decision/web/store_suspension_lookup.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"

namespace apptrust::testing {
namespace {

constexpr char kPath[] =
    "/errors/urn%3Aapptrust%3Aerror%3Arefresh-suspended%3Atls-cert-expired/instances/"
    "0123456789abcdef0123456789abcdef";
constexpr char kQuery[] = "client=c&tenant=t";

// A loopback socket that listens (the kernel completes handshakes) but is
// never accepted from or written to.
class SilentPeer {
 public:
  SilentPeer() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 || listen(fd_, 16) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      ADD_FAILURE() << "cannot listen on loopback";
    }
    port_ = ntohs(address.sin_port);
  }
  ~SilentPeer() { close(fd_); }
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A port that was bound and released: nothing listens there now.
std::string ClosedPort() {
  SilentPeer peer;
  return peer.address();
}

TEST(StoreSuspensionLookupTest, NobodyListeningIsServiceUnavailable) {
  const web::SuspensionLookup lookup = web::MakeStoreSuspensionLookup(
      grpc::CreateChannel(ClosedPort(), grpc::InsecureChannelCredentials()), absl::Seconds(5));
  const auto suspension = lookup("0123456789abcdef0123456789abcdef", "t");
  ASSERT_FALSE(suspension.ok());
  EXPECT_EQ(suspension.status().code(), absl::StatusCode::kUnavailable) << suspension.status();
  EXPECT_EQ(web::RespondToExplanationRequest("GET", kPath, kQuery, "", "", lookup, nullptr).status,
            503);
}

TEST(StoreSuspensionLookupTest, SilentStoreEndsAtTheLookupDeadline) {
  SilentPeer peer;
  const web::SuspensionLookup lookup = web::MakeStoreSuspensionLookup(
      grpc::CreateChannel(peer.address(), grpc::InsecureChannelCredentials()),
      absl::Milliseconds(300));
  const auto suspension = lookup("0123456789abcdef0123456789abcdef", "t");
  ASSERT_FALSE(suspension.ok());
  EXPECT_THAT(suspension.status().code(),
              ::testing::AnyOf(absl::StatusCode::kDeadlineExceeded, absl::StatusCode::kUnavailable))
      << suspension.status();
  EXPECT_EQ(web::RespondToExplanationRequest("GET", kPath, kQuery, "", "", lookup, nullptr).status,
            503);
}

}  // namespace
}  // namespace apptrust::testing
