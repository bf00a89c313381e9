// Differential testing of JwtKeyRing::Verify against PyJWT (Debian python3-jwt): the script
// tests/keys/jwt_pyjwt_differential.py generates a few thousand tokens in categories with a
// seeded RNG and PyJWT's verdict on each, under the same keys, leeway, issuer, audience and clock;
// this verifies every token with our ring and checks the relation the script states for its
// category: the same verdict, or one of the deliberate differences of docs/fuzzing.md (we refuse
// what PyJWT accepts, or the reverse), asserted token by token. A summary table is printed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/wait.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "locksmith/jwt_key_ring.h"
#include "locksmith/testing/fake_clock.h"
#include "support/source_path.h"

namespace locksmith {
namespace {

constexpr std::string_view kDiffPython = "/usr/bin/python3";
constexpr std::string_view kDiffScript = "tests/keys/jwt_pyjwt_differential.py";
constexpr std::string_view kDiffKeyCurrent = "differential-key-current-0123456789abcdef";
constexpr std::string_view kDiffKeyPrevious = "differential-key-previous-0123456789abcdef";
constexpr std::int64_t kDiffNow = 1'800'000'000;  // the script's NOW
constexpr int kDiffSeed = 14;
constexpr int kDiffPerCategory = 80;

struct CategoryTally {
  std::string expect;
  int tokens = 0;
  int pyjwt_accepted = 0;
  int we_accepted = 0;
  int disagreements = 0;
  int violations = 0;  // tokens that break the stated relation
  std::string first_violation;
};

// The script's stdout, or nullopt if it could not run or failed.
std::optional<std::string> RunDifferentialScript() {
  const std::string command = std::string(kDiffPython) + " " + testing::SourcePath(kDiffScript) +
                              " " + std::to_string(kDiffSeed) + " " +
                              std::to_string(kDiffPerCategory);
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return std::nullopt;
  }
  std::string out;
  char buffer[65536];
  std::size_t n = 0;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    out.append(buffer, n);
  }
  const int status = pclose(pipe);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return std::nullopt;
  }
  return out;
}

TEST(JwtPyJwtDifferentialTest, SameVerdictsOrTheDocumentedDifferences) {
  if (!std::filesystem::exists(kDiffPython)) {
    GTEST_SKIP() << "no /usr/bin/python3";
  }
  testing::FakeClock clock;
  clock.SetWallNow(std::chrono::system_clock::time_point(std::chrono::seconds(kDiffNow)));
  JwtOptions options;
  options.leeway = std::chrono::seconds(60);
  options.issuer = "https://auth.example.com";
  options.audience = "api";
  const auto created = clock.WallNow() - std::chrono::minutes(30);
  auto ring = JwtKeyRing::FromKeys(
      {"v2", SecretValue(kDiffKeyCurrent), created},
      JwtKeyMaterial{"v1", SecretValue(kDiffKeyPrevious), created - std::chrono::hours(24)},
      options, clock);
  ASSERT_TRUE(ring.ok()) << ring.error().message;
  ASSERT_EQ((*ring)->VerifyingKids(), (std::vector<std::string>{"v2", "v1"}));

  const std::optional<std::string> lines = RunDifferentialScript();
  ASSERT_TRUE(lines.has_value()) << "the script failed (is python3-jwt installed?)";

  std::map<std::string, CategoryTally> tallies;
  std::vector<std::string> order;
  std::istringstream in(*lines);
  std::string line;
  int total = 0;
  while (std::getline(in, line)) {
    const nlohmann::json entry = nlohmann::json::parse(line);
    const std::string category = entry.at("category");
    const std::string expect = entry.at("expect");
    const std::string token = entry.at("token");
    const bool pyjwt = entry.at("pyjwt");
    auto verified = (*ring)->Verify(token);
    const bool ours = verified.ok();
    if (!tallies.contains(category)) {
      order.push_back(category);
    }
    CategoryTally& t = tallies[category];
    t.expect = expect;
    ++t.tokens;
    ++total;
    t.pyjwt_accepted += pyjwt ? 1 : 0;
    t.we_accepted += ours ? 1 : 0;
    t.disagreements += ours != pyjwt ? 1 : 0;
    const bool holds = expect == "agree"      ? ours == pyjwt
                       : expect == "stricter" ? (pyjwt && !ours)
                       : expect == "lenient"  ? (ours && !pyjwt)
                       : expect == "refuse"   ? !ours
                                              : false;
    if (!holds) {
      if (t.violations++ == 0) {
        t.first_violation = "PyJWT " + std::string(pyjwt ? "accepts" : "refuses") + " (" +
                            entry.at("why").get<std::string>() + "), we " +
                            (ours ? "accept" : "refuse (" + verified.error().message + ")") + ": " +
                            token.substr(0, 300);
      }
    }
  }
  EXPECT_GT(total, 2500);

  std::ostringstream table;
  table << "category | expect | tokens | PyJWT accepts | we accept | disagreements\n";
  for (const std::string& category : order) {
    const CategoryTally& t = tallies[category];
    table << category << " | " << t.expect << " | " << t.tokens << " | " << t.pyjwt_accepted
          << " | " << t.we_accepted << " | " << t.disagreements << "\n";
    EXPECT_EQ(t.violations, 0) << category << " (" << t.expect << "): " << t.violations << " of "
                               << t.tokens << " tokens break it; first: " << t.first_violation;
  }
  std::cout << table.str();
}

}  // namespace
}  // namespace locksmith
