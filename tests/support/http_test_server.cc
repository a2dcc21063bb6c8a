#include "tests/support/http_test_server.h"

#include <civetweb.h>

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace apptrust::testing {

absl::StatusOr<std::unique_ptr<HttpTestServer>> HttpTestServer::Start() {
  mg_init_library(0);
  std::unique_ptr<HttpTestServer> server(new HttpTestServer());
  const char* options[] = {"listening_ports", "127.0.0.1:0", "num_threads", "8", nullptr};
  mg_callbacks callbacks{};
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = server.get();
  init.configuration_options = options;
  char error_text[256] = {0};
  mg_error_data error{};
  error.text = error_text;
  error.text_buffer_size = sizeof(error_text);
  server->context_ = mg_start2(&init, &error);
  if (server->context_ == nullptr) {
    return absl::UnavailableError(absl::StrCat("HTTP test server: ", error_text));
  }
  mg_set_request_handler(server->context_, "/", &HttpTestServer::Handle, server.get());
  mg_server_port ports[2];
  if (mg_get_server_ports(server->context_, 2, ports) < 1) {
    return absl::UnavailableError("HTTP test server: no bound port");
  }
  server->port_ = static_cast<uint16_t>(ports[0].port);
  return server;
}

HttpTestServer::~HttpTestServer() {
  if (context_ != nullptr) {
    mg_stop(context_);
  }
}

std::string HttpTestServer::Url(const std::string& path) const {
  return absl::StrCat("http://127.0.0.1:", port_, path);
}

void HttpTestServer::Serve(const std::string& path, HttpTestResponse response) {
  absl::MutexLock lock(&mutex_);
  responses_[path] = std::move(response);
}

int HttpTestServer::Requests(const std::string& path) const {
  absl::MutexLock lock(&mutex_);
  auto it = requests_.find(path);
  return it == requests_.end() ? 0 : it->second;
}

int HttpTestServer::Handle(mg_connection* connection, void* self_pointer) {
  auto* self = static_cast<HttpTestServer*>(self_pointer);
  const mg_request_info* info = mg_get_request_info(connection);
  const std::string path = info->local_uri != nullptr ? info->local_uri : "";
  HttpTestResponse response{404, "not found", ""};
  {
    absl::MutexLock lock(&self->mutex_);
    ++self->requests_[path];
    auto it = self->responses_.find(path);
    if (it != self->responses_.end()) {
      response = it->second;
    }
  }
  absl::SleepFor(response.delay);
  std::string head = absl::StrCat(
      "HTTP/1.1 ", response.status, " Test\r\n", "Content-Type: application/pkix-crl\r\n",
      "Content-Length: ", response.body.size(), "\r\n", "Connection: close\r\n");
  if (!response.location.empty()) {
    absl::StrAppend(&head, "Location: ", response.location, "\r\n");
  }
  head += "\r\n";
  mg_write(connection, head.data(), head.size());
  mg_write(connection, response.body.data(), response.body.size());
  return response.status;
}

}  // namespace apptrust::testing
