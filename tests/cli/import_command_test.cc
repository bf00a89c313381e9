// `locksmith import` against a real SecretsManager over an in-memory provider, with faults the
// real back ends cannot be made to produce on demand (a read-back that differs or fails).
#include "cli/import_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "locksmith/testing/fake_clock.h"
#include "locksmith/testing/fake_random.h"
#include "locksmith/testing/in_memory_provider.h"
#include "locksmith/testing/matchers.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using testing::HasError;
using testing::HasErrorMessage;
using ::testing::HasSubstr;
using testing::IsOk;
using ::testing::Not;

constexpr std::string_view kImportPlantedDb = "planted-db-Qx81";
constexpr std::string_view kImportPlantedJwt = "planted-jwt-Rw52";

// Put refuses `refuse`; a read of version `tamper_version` answers another value; a read of
// version `lose_version` fails.
class FaultyProvider : public testing::InMemoryProvider {
 public:
  using InMemoryProvider::InMemoryProvider;

  Result<VersionInfo> Put(std::string_view name, const SecretValue& value, Stage stage) override {
    if (name == refuse) {
      return MakeError(ErrorCode::kPermissionDenied, "permission denied");
    }
    return InMemoryProvider::Put(name, value, stage);
  }
  Result<Secret> Get(std::string_view name, const VersionSelector& selector) override {
    auto secret = InMemoryProvider::Get(name, selector);
    if (secret.ok() && !selector.version_id.empty() && name == tamper) {
      secret->value = SecretValue(std::string_view("something else"));
    }
    if (!selector.version_id.empty() && name == lose) {
      return MakeError(ErrorCode::kPermissionDenied, "read denied");
    }
    return secret;
  }

  std::string refuse, tamper, lose;
};

class ImportCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto provider = std::make_unique<FaultyProvider>(clock_);
    provider_ = provider.get();
    SecretsManagerOptions options;
    options.background_refresh = false;
    options.retry.max_attempts = 1;
    auto manager = SecretsManager::Create(
        std::move(provider), {.options = options, .clock = &clock_, .random = &random_});
    ASSERT_THAT(manager, IsOk());
    manager_ = std::move(manager).value();
    std::ofstream(file_) << "PORT=8080\nDB_PASSWORD=" << kImportPlantedDb
                         << "\nJWT_SECRET=" << kImportPlantedJwt << "\n";
  }

  void TearDown() override {
    EXPECT_THAT(out_.str(), Not(HasSubstr("planted")));
    EXPECT_THAT(out_.str(), Not(HasSubstr("something else")));
  }

  Result<void> Import(ImportCommandOptions options = {}) {
    options.file = file_;
    return ImportCommand(*manager_, options, out_);
  }

  std::size_t Versions(std::string_view name) {
    auto d = manager_->Describe(name);
    return d.ok() ? d->versions.size() : 0;
  }

  testing::FakeClock clock_;
  testing::FakeRandom random_;
  testing::TempDir dir_;
  std::filesystem::path file_ = dir_.path() / ".env";
  FaultyProvider* provider_ = nullptr;
  std::unique_ptr<SecretsManager> manager_;
  std::ostringstream out_;
};

TEST_F(ImportCommandTest, ImportsVerifiesAndIsIdempotent) {
  ASSERT_THAT(Import(), IsOk());
  EXPECT_THAT(out_.str(), HasSubstr("imported     database-password <- DB_PASSWORD (line 2)"));
  EXPECT_THAT(out_.str(), HasSubstr("skipped      PORT (line 1): not named like a secret"));
  EXPECT_THAT(out_.str(), HasSubstr("2 imported, 0 unchanged, 0 failed, 1 skipped"));
  EXPECT_THAT(out_.str(), HasSubstr("  line 2: DB_PASSWORD\n  line 3: JWT_SECRET\n"));
  auto db = manager_->RefreshVersion("database-password", VersionSelector::Current());
  ASSERT_THAT(db, IsOk());
  EXPECT_TRUE(db->value.Equals(kImportPlantedDb));

  out_.str("");
  ASSERT_THAT(Import(), IsOk());
  EXPECT_THAT(out_.str(), HasSubstr("0 imported, 2 unchanged, 0 failed"));
  EXPECT_EQ(Versions("database-password"), 1u);
  EXPECT_EQ(Versions("jwt-secret"), 1u);
}

TEST_F(ImportCommandTest, DryRunWritesNothing) {
  ASSERT_THAT(Import({.dry_run = true}), IsOk());
  EXPECT_THAT(out_.str(), HasSubstr("would import database-password <- DB_PASSWORD"));
  EXPECT_THAT(out_.str(), HasSubstr("After the import, delete these lines"));
  EXPECT_THAT(manager_->Describe("database-password"), HasError(ErrorCode::kNotFound));
}

TEST_F(ImportCommandTest, RefusedWriteFailsThatSecretOnly) {
  provider_->refuse = "database-password";
  EXPECT_THAT(Import(), HasErrorMessage(ErrorCode::kPermissionDenied, "1 secret(s) not imported"));
  EXPECT_THAT(out_.str(), HasSubstr("FAILED       database-password <- DB_PASSWORD (line 2): "
                                    "write refused"));
  EXPECT_THAT(out_.str(), HasSubstr("imported     jwt-secret"));
  EXPECT_THAT(out_.str(), Not(HasSubstr("line 2: DB_PASSWORD")));  // not in the lines to delete
  EXPECT_THAT(out_.str(), HasSubstr("  line 3: JWT_SECRET\n"));
}

TEST_F(ImportCommandTest, ReadBackThatDiffersOrFailsIsAFailure) {
  provider_->tamper = "database-password";
  provider_->lose = "jwt-secret";
  auto result = Import();
  EXPECT_THAT(result, HasError(ErrorCode::kFailedPrecondition));  // two different codes
  EXPECT_THAT(out_.str(), HasSubstr("read back differs from the file's value"));
  EXPECT_THAT(out_.str(), HasSubstr("but reading it back failed"));
  EXPECT_THAT(out_.str(), HasSubstr("0 imported, 0 unchanged, 2 failed"));
  EXPECT_THAT(out_.str(), Not(HasSubstr("delete these lines")));
}

TEST_F(ImportCommandTest, FileAndBackEndErrors) {
  std::ofstream(file_) << "A_KEY=1\nB_TOKEN=\"planted-unterminated\n";
  auto malformed = Import();
  EXPECT_THAT(malformed, HasErrorMessage(ErrorCode::kInvalidArgument, ":2: malformed line"));
  EXPECT_THAT(malformed.error().message, HasSubstr("variable B_TOKEN"));
  EXPECT_THAT(malformed.error().message, Not(HasSubstr("planted")));
  EXPECT_THAT(manager_->Describe("a-key"), HasError(ErrorCode::kNotFound));  // nothing written

  EXPECT_THAT(ImportCommand(*manager_, {.file = dir_.path() / "missing.env"}, out_),
              HasErrorMessage(ErrorCode::kNotFound, "missing.env"));

  auto dotenv = std::make_unique<testing::InMemoryProvider>(clock_, "dotenv");
  SecretsManagerOptions options;
  options.background_refresh = false;
  auto manager = SecretsManager::Create(std::move(dotenv),
                                        {.options = options, .clock = &clock_, .random = &random_});
  ASSERT_THAT(manager, IsOk());
  EXPECT_THAT(ImportCommand(**manager, {.file = file_}, out_),
              HasErrorMessage(ErrorCode::kFailedPrecondition, "SECRETS_BACKEND"));
}

}  // namespace
}  // namespace locksmith
