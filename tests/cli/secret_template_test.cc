// SecretTemplate: ctemplate files rendered from secret values, verbatim unless a modifier asks
// for escaping; syntax errors and unsupported markers refused with the file and line.
#include "cli/secret_template.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "locksmith/testing/matchers.h"
#include "support/temp_dir.h"

namespace locksmith {
namespace {

using ::testing::ElementsAre;
using testing::HasError;
using ::testing::HasSubstr;
using testing::IsOk;
using ::testing::Not;

constexpr char kAwkwardPassword[] = "pa<ss>&\"quo'te\\{{x}}";

TemplateValues ValuesOf(std::initializer_list<std::pair<const char*, const char*>> pairs) {
  TemplateValues values;
  for (const auto& [ref, value] : pairs) {
    values.emplace(ref, SecretValue(value));
  }
  return values;
}

std::unique_ptr<SecretTemplate> MustParse(std::string_view text) {
  auto tmpl = SecretTemplate::FromText("test.tpl", text);
  EXPECT_THAT(tmpl, IsOk());
  return tmpl.ok() ? std::move(tmpl).value() : nullptr;
}

std::string Rendered(const SecretTemplate& tmpl, const TemplateValues& values) {
  auto text = tmpl.Render(values);
  EXPECT_THAT(text, IsOk());
  return text.ok() ? std::string(text->RevealUnsafe()) : "";
}

TEST(SecretTemplateVariableTest, NamedAsDotenvVariables) {
  EXPECT_EQ(*SecretRefForTemplateVariable("JWT_SECRET"), "jwt-secret");
  EXPECT_EQ(*SecretRefForTemplateVariable("DB_PASSWORD"), "database-password");  // an alias
  EXPECT_EQ(*SecretRefForTemplateVariable("STRIPE_KEY"), "stripe-key");
  EXPECT_EQ(*SecretRefForTemplateVariable("redis_password"), "redis-password");
}

TEST(SecretTemplateVariableTest, DoubleUnderscoreSelectsAFieldKeptAsWritten) {
  EXPECT_EQ(*SecretRefForTemplateVariable("DATABASE__password"), "database#password");
  EXPECT_EQ(*SecretRefForTemplateVariable("DB_PASSWORD__User_Name"), "database-password#User_Name");
}

TEST(SecretTemplateVariableTest, EmptyPartsAreRefused) {
  EXPECT_THAT(SecretRefForTemplateVariable("__password"), HasError(ErrorCode::kInvalidArgument));
  auto no_field = SecretRefForTemplateVariable("DATABASE__");
  ASSERT_THAT(no_field, HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(no_field.error().message, HasSubstr("no field"));
}

TEST(SecretTemplateTest, ValuesComeOutVerbatimNeverEscaped) {
  auto tmpl = MustParse("password={{DB_PASSWORD}}\n");
  ASSERT_NE(tmpl, nullptr);
  EXPECT_EQ(Rendered(*tmpl, ValuesOf({{"database-password", kAwkwardPassword}})),
            std::string("password=") + kAwkwardPassword + "\n");
}

TEST(SecretTemplateTest, EscapingOnlyWhenAModifierAsksForIt) {
  auto tmpl = MustParse("{{JWT_SECRET:h}}|{{JWT_SECRET:o}}|{{JWT_SECRET:u}}|{{JWT_SECRET:none}}");
  ASSERT_NE(tmpl, nullptr);
  EXPECT_EQ(Rendered(*tmpl, ValuesOf({{"jwt-secret", "a<b\"c d"}})),
            "a&lt;b&quot;c d|a\\u003Cb\\\"c d|a%3Cb%22c+d|a<b\"c d");
}

TEST(SecretTemplateTest, RefsAreSortedAndListedOnce) {
  auto tmpl = MustParse("{{JWT_SECRET}} {{DATABASE__password}} {{JWT_SECRET}} {{DATABASE__user}}");
  ASSERT_NE(tmpl, nullptr);
  EXPECT_THAT(tmpl->refs(), ElementsAre("database#password", "database#user", "jwt-secret"));
  EXPECT_EQ(
      Rendered(
          *tmpl,
          ValuesOf({{"database#password", "pw"}, {"database#user", "app"}, {"jwt-secret", "s"}})),
      "s pw s app");
}

TEST(SecretTemplateTest, BuiltInsAndCommentsAndPlainTextNeedNoSecret) {
  auto tmpl = MustParse("a{{BI_SPACE}}b{{BI_NEWLINE}}{{! a comment }}{ single } braces");
  ASSERT_NE(tmpl, nullptr);
  EXPECT_TRUE(tmpl->refs().empty());
  EXPECT_EQ(Rendered(*tmpl, {}), "a b\n{ single } braces");
}

TEST(SecretTemplateTest, DelimitersCanBeChangedForFilesFullOfBraces) {
  auto tmpl = MustParse("{{=<% %>=}}{\"key\": \"<%JWT_SECRET:o%>\", \"x\": {{not a marker}}}");
  ASSERT_NE(tmpl, nullptr);
  EXPECT_EQ(Rendered(*tmpl, ValuesOf({{"jwt-secret", "v\""}})),
            "{\"key\": \"v\\\"\", \"x\": {{not a marker}}}");
}

TEST(SecretTemplateTest, UnclosedMarkerNamesTheFileAndLine) {
  auto tmpl = SecretTemplate::FromText("conf/app.tpl", "first line\nsecond {{JWT_SECRET\n");
  ASSERT_THAT(tmpl, HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(tmpl.error().message, HasSubstr("template 'conf/app.tpl' line 2"));
  EXPECT_THAT(tmpl.error().message, HasSubstr("No ending '}}'"));
}

TEST(SecretTemplateTest, ParseErrorsQuoteAtMostABitOfTheFile) {
  std::string text = "{{JWT_SECRET " + std::string(5000, 'x');
  auto tmpl = SecretTemplate::FromText("t", text);
  ASSERT_THAT(tmpl, HasError(ErrorCode::kInvalidArgument));
  EXPECT_LT(tmpl.error().message.size(), 400u);
}

TEST(SecretTemplateTest, UnbalancedSectionsAreSyntaxErrors) {
  EXPECT_THAT(SecretTemplate::FromText("t", "{{#OPEN}} never closed"),
              HasError(ErrorCode::kInvalidArgument));
  auto stray_end = SecretTemplate::FromText("t", "x {{/CLOSE}}");
  ASSERT_THAT(stray_end, HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(stray_end.error().message, HasSubstr("end of different section"));
}

TEST(SecretTemplateTest, SectionsAndIncludesAreRefusedWithTheirLine) {
  auto section = SecretTemplate::FromText("t", "a\nb\n{{#PROD}}x{{/PROD}}");
  ASSERT_THAT(section, HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(section.error().message, HasSubstr("line 3"));
  EXPECT_THAT(section.error().message, HasSubstr("section marker {{#PROD}}"));
  auto include = SecretTemplate::FromText("t", "{{>/etc/shadow}}");
  ASSERT_THAT(include, HasError(ErrorCode::kInvalidArgument));
  auto include_name = SecretTemplate::FromText("t", "{{>OTHER}}");
  ASSERT_THAT(include_name, HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(include_name.error().message, HasSubstr("include marker {{>OTHER}}"));
}

TEST(SecretTemplateTest, SecretNamesWithDashesGetAHint) {
  auto tmpl = SecretTemplate::FromText("t", "x\n{{database-password#password}}");
  ASSERT_THAT(tmpl, HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(tmpl.error().message, HasSubstr("line 2"));
  EXPECT_THAT(tmpl.error().message, HasSubstr("DATABASE__password"));
}

TEST(SecretTemplateTest, UnknownModifierIsRefused) {
  auto tmpl = SecretTemplate::FromText("t", "{{JWT_SECRET:shout}}");
  ASSERT_THAT(tmpl, HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(tmpl.error().message, HasSubstr("shout"));
}

TEST(SecretTemplateTest, VariableWithAnEmptyFieldIsRefusedWithItsLine) {
  auto tmpl = SecretTemplate::FromText("t", "\n\n{{DATABASE__}}");
  ASSERT_THAT(tmpl, HasError(ErrorCode::kInvalidArgument));
  EXPECT_THAT(tmpl.error().message, HasSubstr("line 3"));
}

TEST(SecretTemplateTest, RenderWithoutEveryValueFailsNamingTheReferenceOnly) {
  auto tmpl = MustParse("{{JWT_SECRET}} {{REDIS_PASSWORD}}");
  ASSERT_NE(tmpl, nullptr);
  auto text = tmpl->Render(ValuesOf({{"jwt-secret", "planted-jwt-value"}}));
  ASSERT_THAT(text, HasError(ErrorCode::kNotFound));
  EXPECT_THAT(text.error().message, HasSubstr("redis-password"));
  EXPECT_THAT(text.error().message, Not(HasSubstr("planted-jwt-value")));
}

TEST(SecretTemplateTest, LoadsAFileAndRefusesMissingOnes) {
  testing::TempDir dir;
  std::filesystem::path path = dir.path() / "app.tpl";
  std::ofstream(path) << "k={{JWT_SECRET}}";
  auto tmpl = SecretTemplate::Load(path);
  ASSERT_THAT(tmpl, IsOk());
  EXPECT_EQ((*tmpl)->source(), path);
  EXPECT_EQ(Rendered(**tmpl, ValuesOf({{"jwt-secret", "v"}})), "k=v");

  auto missing = SecretTemplate::Load(dir.path() / "missing.tpl");
  ASSERT_THAT(missing, HasError(ErrorCode::kNotFound));
  EXPECT_THAT(missing.error().message, HasSubstr("missing.tpl"));
  EXPECT_THAT(SecretTemplate::Load(dir.path()), HasError(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace locksmith
