// --template SRC:DEST[:MODE[:COMMAND]]: parsing and the checks made before anything renders.
#include "cli/template_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "locksmith/testing/matchers.h"

namespace locksmith {
namespace {

using ::testing::ElementsAre;
using testing::HasError;
using ::testing::HasSubstr;
using testing::IsOk;

TEST(TemplateSpecTest, SourceAndDestinationWithTheDefaultMode) {
  auto spec = ParseTemplateSpec("app.conf.tpl:/run/app/app.conf");
  ASSERT_THAT(spec, IsOk());
  EXPECT_EQ(spec->source, "app.conf.tpl");
  EXPECT_EQ(spec->destination, "/run/app/app.conf");
  EXPECT_EQ(spec->mode, 0600u);
  EXPECT_TRUE(spec->command.empty());
}

TEST(TemplateSpecTest, OctalModeWithOrWithoutTheLeadingZero) {
  auto with_zero = ParseTemplateSpec("a:b:0640");
  ASSERT_THAT(with_zero, IsOk());
  EXPECT_EQ(with_zero->mode, 0640u);
  auto without = ParseTemplateSpec("a:b:440");
  ASSERT_THAT(without, IsOk());
  EXPECT_EQ(without->mode, 0440u);
}

TEST(TemplateSpecTest, CommandIsSplitAsAShellWouldWithoutRunningOne) {
  auto spec = ParseTemplateSpec("a:b::touch '/tmp/with space' \"x\"");
  ASSERT_THAT(spec, IsOk());
  EXPECT_EQ(spec->mode, 0600u);  // empty MODE: the default
  EXPECT_THAT(spec->command, ElementsAre("touch", "/tmp/with space", "x"));
}

TEST(TemplateSpecTest, CommandKeepsItsOwnColons) {
  auto spec = ParseTemplateSpec("a:b:0600:logger -t app reload:done");
  ASSERT_THAT(spec, IsOk());
  EXPECT_THAT(spec->command, ElementsAre("logger", "-t", "app", "reload:done"));
}

TEST(TemplateSpecTest, MalformedSpecsAreUsageErrorsQuotingTheFlag) {
  for (const char* text : {"only-a-source", ":dest", "src:", "src::0600"}) {
    auto spec = ParseTemplateSpec(text);
    EXPECT_THAT(spec, HasError(ErrorCode::kInvalidArgument)) << text;
    if (!spec.ok()) {
      EXPECT_THAT(spec.error().message, HasSubstr(text));
    }
  }
}

TEST(TemplateSpecTest, DestinationMustNameAFile) {
  auto spec = ParseTemplateSpec("a:/run/app/");
  ASSERT_THAT(spec, HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(spec.error().message, HasSubstr("must be a file"));
}

TEST(TemplateSpecTest, ModeMustBeOctalPermissionBits) {
  for (const char* text :
       {"a:b:8", "a:b:rw-------", "a:b:0x1ff", "a:b:1000", "a:b:04755", "a:b:-600", "a:b:06000"}) {
    auto spec = ParseTemplateSpec(text);
    ASSERT_THAT(spec, HasError(ErrorCode::kInvalidArgument)) << text;
    EXPECT_THAT(spec.error().message, HasSubstr("MODE must be octal")) << text;
  }
}

TEST(TemplateSpecTest, UnclosedQuoteInTheCommand) {
  auto spec = ParseTemplateSpec("a:b::sh -c 'echo");
  ASSERT_THAT(spec, HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(spec.error().message, HasSubstr("COMMAND"));
}

TEST(TemplateSpecTest, TwoTemplatesWritingTheSameFileAreRefused) {
  auto specs = ParseTemplateSpecs({"a.tpl:out/app.conf", "b.tpl:./out/x/../app.conf"});
  ASSERT_THAT(specs, HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(specs.error().message, HasSubstr("same file"));
}

TEST(TemplateSpecTest, DistinctDestinationsAreKeptInOrder) {
  auto specs = ParseTemplateSpecs({"a.tpl:one", "a.tpl:two:0644"});
  ASSERT_THAT(specs, IsOk());
  ASSERT_EQ(specs->size(), 2u);
  EXPECT_EQ((*specs)[0].destination, "one");
  EXPECT_EQ((*specs)[1].mode, 0644u);
}

TEST(TemplateSpecTest, OneBadSpecFailsTheSet) {
  EXPECT_THAT(ParseTemplateSpecs({"a.tpl:one", "b.tpl:two:9"}),
              HasError(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace locksmith
