// Proves that parsing secret-bearing answers leaves no copy of a value in freed memory. This
// binary replaces the global operator new/delete: while a thread is armed, every block it frees
// through operator delete (std::string, std::vector, nlohmann::json, std::map nodes) is scanned
// for a marker first. A value that reached a buffer freed without a wipe is a hit.
//
// Not scanned: memory that never goes through operator delete (libcurl's and OpenSSL's own
// buffers, the stack).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>

#include "core/json_bounded.h"
#include "locksmith/naming.h"
#include "locksmith/testing/matchers.h"
#include "providers/aws/credentials/source.h"
#include "providers/vault/vault_api.h"
#include "transport/curl_http_client.h"
#include "transport/test_http_server.h"

namespace {

constexpr std::string_view kMarker = "Z9-wipe-marker-Q7-4242";
// What is scanned for: the marker's tail, since a reused buffer's first bytes may have been
// overwritten by a later, shorter string (a cleared std::string writes a NUL at its start).
constexpr std::string_view kMarkerTail = kMarker.substr(8);

thread_local bool t_scanning = false;
thread_local int t_hits = 0;

void ScanAndFree(void* block) noexcept {
  if (block != nullptr && t_scanning) {
    if (memmem(block, malloc_usable_size(block), kMarkerTail.data(), kMarkerTail.size()) !=
        nullptr) {
      ++t_hits;
    }
  }
  std::free(block);  // NOLINT(cppcoreguidelines-no-malloc): this is the allocator
}

void* Allocate(std::size_t size) {
  if (void* block = std::malloc(size == 0 ? 1 : size)) {  // NOLINT(cppcoreguidelines-no-malloc)
    return block;
  }
  throw std::bad_alloc();
}

}  // namespace

void* operator new(std::size_t size) { return Allocate(size); }
void* operator new[](std::size_t size) { return Allocate(size); }
void operator delete(void* block) noexcept { ScanAndFree(block); }
void operator delete[](void* block) noexcept { ScanAndFree(block); }
void operator delete(void* block, std::size_t) noexcept { ScanAndFree(block); }
void operator delete[](void* block, std::size_t) noexcept { ScanAndFree(block); }

namespace locksmith::internal {
namespace {

using ::locksmith::testing::IsOk;
using ::locksmith::testing::TestHttpServer;
using ::locksmith::testing::TestRequest;
using ::locksmith::testing::TestResponse;

// Counts the marker in blocks freed by this thread while alive.
class FreedMemoryScan {
 public:
  FreedMemoryScan() {
    t_hits = 0;
    t_scanning = true;
  }
  FreedMemoryScan(const FreedMemoryScan&) = delete;
  FreedMemoryScan& operator=(const FreedMemoryScan&) = delete;
  ~FreedMemoryScan() { t_scanning = false; }
  int hits() const { return t_hits; }
};

// Inputs live in read-only storage, never in a freed heap block. The second holds the marker only
// once decoded ("\u006d" is "m").
constexpr std::string_view kPlainAnswer =
    R"({"data":{"data":{"password":"Z9-wipe-marker-Q7-4242","user":"svc"}}})";
constexpr std::string_view kEscapedAnswer =
    R"({"data":{"data":{"password":"Z9-wipe-\u006darker-Q7-4242\n"}}})";

// The control, and the old code's behaviour: nlohmann's lexer keeps each string in its token
// buffer (and raw token_string) and frees them unwiped, whatever is done to the document.
TEST(FreedMemoryTest, NlohmannParseLeavesTheValueInFreedMemory) {
  FreedMemoryScan scan;
  {
    nlohmann::json doc = nlohmann::json::parse(kPlainAnswer);
    WipeJsonStrings(doc);
  }
  EXPECT_GT(scan.hits(), 0);
}

TEST(FreedMemoryTest, BoundedParseThenWipeLeavesNothing) {
  for (std::string_view text : {kPlainAnswer, kEscapedAnswer}) {
    FreedMemoryScan scan;
    {
      auto doc = ParseUntrustedJson(text);
      ASSERT_THAT(doc, IsOk());
      // Compared as a view: a substr() copy would be a freed block holding the value.
      const std::string& password =
          (*doc)["data"]["data"]["password"].get_ref<const std::string&>();
      ASSERT_EQ(std::string_view(password).substr(0, kMarker.size()), kMarker);
      WipeJsonStrings(*doc);
    }
    EXPECT_EQ(scan.hits(), 0) << text;
  }
}

// A value of 1 MiB: one buffer, sized once, never reallocated.
TEST(FreedMemoryTest, LargeValueIsNeverReallocatedUnwiped) {
  static const std::string text = [] {
    std::string t = R"({"v":")";
    t += kMarker;
    t += std::string(1 << 20, 'x');
    t += R"("})";
    return t;
  }();
  FreedMemoryScan scan;
  {
    auto doc = ParseUntrustedJson(text);
    ASSERT_THAT(doc, IsOk());
    WipeJsonStrings(*doc);
  }
  EXPECT_EQ(scan.hits(), 0);
}

// A Vault answer through the real HTTP client and VaultApi: the response buffer grows (and is
// wiped before each reallocation, AppendWiping), the body is parsed and the reply wiped. The
// server runs on its own thread, which is not scanned.
TEST(FreedMemoryTest, VaultAnswerLeavesNothingBehind) {
  TestHttpServer server([](const TestRequest&) {
    TestResponse response;
    response.body = R"({"data":{"data":{"password":")" + std::string(kMarker) +
                    std::string(300 * 1024, 'p') + R"("}}})";
    return response;
  });
  auto http = CreateCurlHttpClient({});
  ASSERT_THAT(http, IsOk());
  VaultApi api(**http, server.Url(""), "", std::chrono::seconds(5));
  FreedMemoryScan scan;
  {
    auto reply = api.Call("GET", "secret/data/x", nullptr);
    ASSERT_THAT(reply, IsOk());
    ASSERT_TRUE(reply->json["data"]["data"]["password"].is_string());
  }
  EXPECT_EQ(scan.hits(), 0);
}

// A request body holding a secret (a Vault write, an AppRole login, a Secrets Manager put):
// dump() grows its string by reallocation and frees each old buffer unwiped; DumpJsonWiping
// does not.
TEST(FreedMemoryTest, DumpingASecretBodyLeavesNothingBehind) {
  static const nlohmann::json body = {
      {"data", {{"value", std::string(kMarker) + std::string(4096, 'v')}}}};
  {
    FreedMemoryScan scan;
    std::string text = body.dump();
    WipeString(text);
    EXPECT_GT(scan.hits(), 0);  // the control: what the old code did
  }
  const std::string expected = body.dump();  // before the scan, freed after it
  FreedMemoryScan scan;
  {
    std::string text = DumpJsonWiping(body);
    EXPECT_TRUE(text == expected);
    WipeString(text);
  }
  EXPECT_EQ(scan.hits(), 0);
}

TEST(FreedMemoryTest, CredentialAnswerAndFieldSelectionLeaveNothing) {
  // Built before the scan (and never freed: the test's own copy is not the parser's).
  static const std::string body =
      R"({"AccessKeyId":"ASIA1","SecretAccessKey":"Z9-wipe-marker-Q7-4242","Token":"t"})";
  FreedMemoryScan scan;
  {
    auto creds = CredentialsFromJson(body, "test");
    ASSERT_THAT(creds, IsOk());
    auto field = ExtractJsonField(SecretValue(kPlainAnswer.substr(16, 50)), "password");
    ASSERT_THAT(field, IsOk());
  }
  EXPECT_EQ(scan.hits(), 0);
}

}  // namespace
}  // namespace locksmith::internal
