// Interoperability with PyJWT (Debian python3-jwt, run by /usr/bin/python3), both directions,
// including a rotation: tokens carry kid, and PyJWT picks the key by kid as a consumer would.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "locksmith/jwt_key_ring.h"
#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/matchers.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using testing::IsOk;
using json = nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;

constexpr std::string_view kPython = "/usr/bin/python3";
constexpr std::string_view kKeyV1 = "interop-key-one-0123456789abcdefghij";
constexpr std::string_view kKeyV2 = "interop-key-two-0123456789abcdefghij";

// sign KEYS_JSON KID CLAIMS_JSON -> token;  verify KEYS_JSON TOKEN -> {"kid":..,"claims":..}
constexpr std::string_view kScript = R"PY(
import json, sys, time, jwt
mode, keys = sys.argv[1], json.loads(sys.argv[2])
if mode == "sign":
    kid, claims = sys.argv[3], json.loads(sys.argv[4])
    headers = {"kid": kid} if kid else None
    print(jwt.encode(claims, keys[kid or "v1"], algorithm="HS256", headers=headers))
else:
    token = sys.argv[3]
    kid = jwt.get_unverified_header(token).get("kid")
    claims = jwt.decode(token, keys[kid], algorithms=["HS256"])
    print(json.dumps({"kid": kid, "claims": claims}))
)PY";

class PyJwtTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kPython)) {
      GTEST_SKIP() << "no /usr/bin/python3";
    }
    script_ = dir_.path() / "pyjwt_helper.py";
    std::ofstream(script_) << kScript;
    // PyJWT checks exp against the real time: keep the fake wall clock at the real time.
    clock_.SetWallNow(std::chrono::system_clock::now());
  }

  static std::string Quote(std::string_view s) {
    std::string out = "'";
    for (char c : s) {
      out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
  }

  // Runs the helper; returns stdout without the trailing newline, or nullopt on failure.
  std::optional<std::string> Python(const std::vector<std::string>& args) {
    std::string command = std::string(kPython) + " " + Quote(script_.string());
    for (const std::string& a : args) {
      command += " " + Quote(a);
    }
    command += " 2>/dev/null";
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) {
      return std::nullopt;
    }
    std::string out;
    char buffer[4096];
    std::size_t n = 0;
    while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
      out.append(buffer, n);
    }
    const int status = pclose(pipe);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      return std::nullopt;
    }
    while (!out.empty() && out.back() == '\n') {
      out.pop_back();
    }
    return out;
  }

  std::string Keys() const {
    return json{{"v1", std::string(kKeyV1)}, {"v2", std::string(kKeyV2)}}.dump();
  }

  JwtKeyRingPtr Ring(bool rotated) {
    const auto now = clock_.WallNow();
    auto ring =
        rotated ? JwtKeyRing::FromKeys({"v2", SecretValue(kKeyV2), now},
                                       JwtKeyMaterial{"v1", SecretValue(kKeyV1), now - hours(99)},
                                       {}, clock_)
                : JwtKeyRing::FromKeys({"v1", SecretValue(kKeyV1), now - hours(99)}, std::nullopt,
                                       {}, clock_);
    EXPECT_THAT(ring, IsOk());
    return std::move(ring).value();
  }

  testing::TempDir dir_;
  std::filesystem::path script_;
  testing::FakeClock clock_;
};

TEST_F(PyJwtTest, LocksmithSignsPyJwtVerifies) {
  auto ring = Ring(false);
  auto token = ring->Sign(R"({"sub":"user-7","aud_list":[1,2]})", minutes(15));
  ASSERT_THAT(token, IsOk());
  auto out = Python({"verify", Keys(), *token});
  ASSERT_TRUE(out.has_value()) << "PyJWT rejected our token";
  json result = json::parse(*out);
  EXPECT_EQ(result["kid"], "v1");
  EXPECT_EQ(result["claims"]["sub"], "user-7");
}

TEST_F(PyJwtTest, PyJwtSignsLocksmithVerifies) {
  auto ring = Ring(false);
  const std::string claims = json{
      {"sub", "user-8"},
      {"exp", std::chrono::system_clock::to_time_t(clock_.WallNow()) +
                  600}}.dump();
  auto with_kid = Python({"sign", Keys(), "v1", claims});
  ASSERT_TRUE(with_kid.has_value());
  auto verified = ring->Verify(*with_kid);
  ASSERT_THAT(verified, IsOk());
  EXPECT_EQ(json::parse(verified->claims_json)["sub"], "user-8");
  auto without_kid = Python({"sign", Keys(), "", claims});
  ASSERT_TRUE(without_kid.has_value());
  EXPECT_THAT(ring->Verify(*without_kid), IsOk());
}

TEST_F(PyJwtTest, RotationBothWays) {
  auto ring = Ring(true);  // v2 current (verify-only for the first hour), v1 previous
  const std::string claims = json{
      {"sub", "u"},
      {"exp", std::chrono::system_clock::to_time_t(clock_.WallNow()) +
                  600}}.dump();
  // PyJWT services already signing with v2, or still with v1 (with and without kid).
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"sign", Keys(), "v2", claims},
                                             {"sign", Keys(), "v1", claims},
                                             {"sign", Keys(), "", claims}}) {
    auto token = Python(args);
    ASSERT_TRUE(token.has_value());
    auto verified = ring->Verify(*token);
    ASSERT_THAT(verified, IsOk());
    EXPECT_EQ(verified->kid, args[2].empty() ? "v1" : args[2]);
  }
  // We sign with v1 during the window, then with v2; PyJWT picks the key by kid.
  auto early = ring->Sign(R"({"sub":"a"})", minutes(5));
  ASSERT_THAT(early, IsOk());
  auto early_out = Python({"verify", Keys(), *early});
  ASSERT_TRUE(early_out.has_value());
  EXPECT_EQ(json::parse(*early_out)["kid"], "v1");
  // An hour after the rotation (the policy follows the version's creation time), v2 signs.
  auto ring_later = JwtKeyRing::FromKeys(
      {"v2", SecretValue(kKeyV2), clock_.WallNow() - hours(1)},
      JwtKeyMaterial{"v1", SecretValue(kKeyV1), clock_.WallNow() - hours(99)}, {}, clock_);
  ASSERT_THAT(ring_later, IsOk());
  auto late = (*ring_later)->Sign(R"({"sub":"b"})", minutes(5));
  ASSERT_THAT(late, IsOk());
  auto late_out = Python({"verify", Keys(), *late});
  ASSERT_TRUE(late_out.has_value());
  EXPECT_EQ(json::parse(*late_out)["kid"], "v2");
}

TEST_F(PyJwtTest, PyJwtRejectsATamperedToken) {
  auto ring = Ring(false);
  std::string token = *ring->Sign(R"({"sub":"user-7"})", minutes(15));
  token[token.size() - 5] = token[token.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(Python({"verify", Keys(), token}).has_value());
}

}  // namespace
}  // namespace locksmith
