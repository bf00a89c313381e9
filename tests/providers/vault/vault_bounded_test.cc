// A hostile or broken Vault: answers nested a million deep, answers larger than the HTTP client's
// cap, and JSON inside a secret's value that is too deep to select a field from.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "locksmith/naming.h"
#include "locksmith/testing/matchers.h"
#include "providers/vault/vault_provider_fixture.h"

namespace locksmith {
namespace {

using ::locksmith::testing::HasError;
using ::locksmith::testing::HasErrorMessage;
using ::locksmith::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;

// The finding: the recursive WipeJson overflowed the stack on this answer (exit 139).
TEST_F(VaultProviderTest, AnswerNestedAMillionDeepIsAnErrorNotACrash) {
  Write("deep-check", "fine");
  auto provider = Make(Options(server_.MakeAppRole("app", "reader", kReaderPolicy)));
  ASSERT_NE(provider, nullptr);
  server_.SetFault({{"mode", "deep"}, {"path", "secret/data/"}});
  auto read = provider->Get("deep-check", VersionSelector::Current());
  EXPECT_THAT(read, HasErrorMessage(ErrorCode::kUnavailable, "nested deeper than 64"));
  server_.SetFault({{"mode", "none"}});
  auto again = provider->Get("deep-check", VersionSelector::Current());
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->value.Equals("fine"));
}

// A 64 MiB answer streamed without Content-Length stops at the client's cap (8 MiB) with an
// error that quotes none of it; before, the whole body was read and the value returned.
TEST_F(VaultProviderTest, AnswerOverTheBodyCapIsRefused) {
  Write("huge-check", "fine");
  auto provider = Make(Options(server_.MakeAppRole("app", "reader", kReaderPolicy)));
  ASSERT_NE(provider, nullptr);
  server_.SetFault({{"mode", "huge"}, {"path", "secret/data/"}});
  auto read = provider->Get("huge-check", VersionSelector::Current());
  EXPECT_THAT(read, HasErrorMessage(ErrorCode::kDataLoss, "exceeds 8388608 bytes"));
  ASSERT_FALSE(read.ok());
  EXPECT_THAT(read.error().message, Not(HasSubstr("aaaa")));
  server_.SetFault({{"mode", "none"}});
  EXPECT_THAT(provider->Get("huge-check", VersionSelector::Current()), IsOk());
}

// `name#field` on a value whose JSON nests past the limit (or is malformed) is a clean error that
// quotes nothing of the value.
TEST_F(VaultProviderTest, FieldOfTooDeepOrMalformedJsonIsAnError) {
  const std::string deep = R"({"password":"pw-planted-3141","x":)" + std::string(100'000, '[') +
                           std::string(100'000, ']') + "}";
  server_.Admin("POST", std::string(kDataPrefix) + "deep-map", {{"data", {{"json", deep}}}});
  server_.Admin("POST", std::string(kDataPrefix) + "broken-map",
                {{"data", {{"json", R"({"password":"pw-planted-3141",)"}}}});
  auto provider = Make(Options(server_.MakeAppRole("app", "reader", kReaderPolicy)));
  ASSERT_NE(provider, nullptr);
  for (const char* name : {"deep-map", "broken-map"}) {
    SCOPED_TRACE(name);
    auto whole = provider->Get(name, VersionSelector::Current());
    ASSERT_THAT(whole, IsOk());
    auto inner = ExtractJsonField(whole->value, "json");
    ASSERT_THAT(inner, IsOk());
    auto field = ExtractJsonField(*inner, "password");
    EXPECT_THAT(field, HasError(ErrorCode::kInvalidArgument));
    EXPECT_THAT(field.error().message, Not(HasSubstr("pw-planted")));
  }
}

}  // namespace
}  // namespace locksmith
