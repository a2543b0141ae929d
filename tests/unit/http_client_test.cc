// SPDX-License-Identifier: Apache-2.0
// The HTTP layer against a hostile peer on a raw socket: interim responses
// without end and headers that trickle are bounded (a request cannot be
// held for ever by bytes that keep coming).
#include "http/http_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "protocols/protocol_client.h"

namespace ferry::internal {
namespace {

// Accepts one connection, reads the request, sends `first`, then `chunk`
// every `every` until the client goes away.
class DrippingServer {
 public:
  DrippingServer(std::string first, std::string chunk,
                 std::chrono::milliseconds every)
      : first_(std::move(first)), chunk_(std::move(chunk)), every_(every) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 4);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~DrippingServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/files/x";
  }
  int sent() const { return sent_; }

 private:
  void Serve() {
    int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    char buf[4096];
    (void)::recv(c, buf, sizeof buf, 0);  // the request
    (void)::send(c, first_.data(), first_.size(), MSG_NOSIGNAL);
    while (!stop_) {
      if (::send(c, chunk_.data(), chunk_.size(), MSG_NOSIGNAL) < 0) break;
      ++sent_;
      std::this_thread::sleep_for(every_);
    }
    ::close(c);
  }
  std::string first_;
  std::string chunk_;
  std::chrono::milliseconds every_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> sent_{0};
  std::thread thread_;
};

// A HEAD to `url` with `o`; *secs: how long it took.
HttpOutcome TimedHead(const HttpOptions& o, const std::string& url,
                      double* secs) {
  HttpClient http(o);
  HttpRequest r;
  r.method = "HEAD";
  r.url = url;
  auto start = std::chrono::steady_clock::now();
  HttpOutcome out = http.Perform(r);
  *secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return out;
}

TEST(HttpClient, EndlessInterimResponsesAreCut) {
  DrippingServer server("", "HTTP/1.1 102 Processing\r\n\r\n",
                        std::chrono::milliseconds(5));
  HttpOptions o;
  double secs = 0;
  HttpOutcome out = TimedHead(o, server.url(), &secs);
  ASSERT_FALSE(out.ok);
  EXPECT_TRUE(out.transport.response_too_large);
  EXPECT_LE(server.sent(), o.max_interim_responses + 8);
  EXPECT_LT(secs, 10);
}

// The IETF draft's 104 reaches the caller while the request goes on; the
// final response is the one returned. A caller that refuses what a 104
// says (a Location elsewhere) ends the request there.
TEST(HttpClient, InterimResponsesReachTheCallerWhoMayEndTheRequest) {
  const std::string answer =
      "HTTP/1.1 104 Upload Resumption Supported\r\nLocation: /u/1\r\n"
      "Upload-Limit: max-append-size=10\r\n\r\n"
      "HTTP/1.1 201 Created\r\nLocation: /u/1\r\nContent-Length: 0\r\n"
      "\r\n";
  for (bool go_on : {true, false}) {
    DrippingServer server(answer, "", std::chrono::milliseconds(20));
    HttpClient http{HttpOptions()};
    HttpRequest r;
    r.method = "POST";
    r.url = server.url();
    r.has_body = true;
    std::vector<std::pair<int, std::string>> seen;
    r.on_interim = [&](const HttpResponse& interim) {
      seen.emplace_back(interim.status,
                        interim.Header("location").value_or(""));
      return go_on;
    };
    HttpOutcome out = http.Perform(r);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0], std::make_pair(104, std::string("/u/1")));
    if (go_on) {
      ASSERT_TRUE(out.ok);
      EXPECT_EQ(out.response.status, 201);
      // The final response's headers only.
      EXPECT_FALSE(out.response.Header("upload-limit"));
    } else {
      ASSERT_FALSE(out.ok);
      EXPECT_TRUE(out.transport.aborted_by_caller);
    }
  }
}

TEST(HttpClient, ARequestWithoutBodyHasAnOverallDeadline) {
  // A header line that grows by a byte every 100 ms: never a stall, never
  // an end.
  DrippingServer server("HTTP/1.1 200 OK\r\nX-Drip: ", "a",
                        std::chrono::milliseconds(100));
  HttpOptions o;
  o.bodyless_deadline_ms = 1500;
  double secs = 0;
  HttpOutcome out = TimedHead(o, server.url(), &secs);
  ASSERT_FALSE(out.ok);
  EXPECT_EQ(out.transport.curl_code, 28);  // CURLE_OPERATION_TIMEDOUT
  EXPECT_GE(secs, 1.4);
  EXPECT_LT(secs, 10);
}

// The send buffer libcurl allocates for a large request is part of what
// an upload holds: the memory budget counts it (for small files, sent in
// one small request, it is not there to count).
TEST(HttpClient, LargeRequestsSendBufferIsCountedAgainstTheBudget) {
  ClientConfig config;
  config.endpoint = "http://127.0.0.1:1/files/";
  HttpClient http{HttpOptions{}};
  auto tus = NewProtocolClient(config, &http);
  ASSERT_TRUE(tus.ok());
  uint64_t chunk = config.chunk_size;
  EXPECT_EQ(tus.value()->PerUploadMemory(uint64_t{1} << 30),
            4 * chunk + kLargeBodySendBuffer);
  EXPECT_EQ(tus.value()->PerUploadMemory(64 * 1024), 4 * 64 * 1024u);
}

TEST(HttpClient, ParseHeaderList) {
  EXPECT_EQ(ParseHeaderList("creation, termination ,checksum"),
            (std::vector<std::string>{"creation", "termination", "checksum"}));
  EXPECT_TRUE(ParseHeaderList("").empty());
  EXPECT_EQ(ParseHeaderList(",,a,,"), (std::vector<std::string>{"a"}));
  EXPECT_EQ(ParseHeaderList("\ta ;q=1,\tb\t"),
            (std::vector<std::string>{"a ;q=1", "b"}));
}

}  // namespace
}  // namespace ferry::internal
