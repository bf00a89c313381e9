#include "core/scrub.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/crypto.h"

namespace locksmith::internal {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Redacted(std::string_view text, std::string_view secret) {
  const std::string_view secrets[] = {secret};
  return RedactSecrets(text, secrets);
}

TEST(ScrubTest, ReplacesEveryOccurrence) {
  EXPECT_EQ(Redacted("Value 's3cr3t-value' at 'secretString'; again s3cr3t-value.", "s3cr3t-value"),
            "Value '***' at 'secretString'; again ***.");
  EXPECT_EQ(Redacted("nothing here", "s3cr3t-value"), "nothing here");
}

TEST(ScrubTest, FindsJsonEscapedForms) {
  const std::string secret = "pa\"ss\\wo/rd<b>&\xC3\xA9\n\xF0\x9F\x94\x91";
  for (const std::string& echoed : {
           std::string("pa\\\"ss\\\\wo/rd<b>&\xC3\xA9\\n\xF0\x9F\x94\x91"),  // nlohmann, Python
           std::string(
               "pa\\\"ss\\\\wo\\/rd\\u003cb\\u003e\\u0026\xC3\xA9\\n\xF0\x9F\x94\x91"),  // Go
           std::string("pa\\u0022ss\\u005Cwo/rd<b>&\\u00E9\\u000a\\ud83d\\udd11"),  // ASCII only
       }) {
    const std::string text = "invalid value: \"" + echoed + "\" (rejected)";
    EXPECT_EQ(Redacted(text, secret), "invalid value: \"***\" (rejected)") << echoed;
  }
}

TEST(ScrubTest, FindsBase64FormsAtEveryAlignment) {
  const std::string secret = "correct horse battery staple?>";
  for (std::string prefix : {"", "x", "xy", "xyz"}) {
    const std::string blob = prefix + secret + "tail";
    const std::string std_form = Base64Encode(AsBytes(blob));
    std::string url_form = Base64UrlEncode(AsBytes(blob));
    for (const std::string& form : {std_form, url_form}) {
      const std::string scrubbed = Redacted("SecretBinary " + form + " is invalid", secret);
      EXPECT_THAT(scrubbed, HasSubstr("***")) << form;
      // At most the characters that mix in a neighbour's bits survive: never 4 of the secret's.
      const std::string secret_std = Base64Encode(AsBytes(secret));
      for (std::size_t i = 0; i + 8 <= secret_std.size(); ++i) {
        EXPECT_THAT(scrubbed, Not(HasSubstr(secret_std.substr(i, 8)))) << form;
      }
    }
  }
  EXPECT_EQ(Redacted(Base64Encode(AsBytes(std::string("abcde"))), "abcde"), "***");
  EXPECT_EQ(Redacted("\"" + Base64UrlEncode(AsBytes(std::string("abcde"))) + "\"", "abcde"),
            "\"***\"");
}

TEST(ScrubTest, RedactsBytesThatAreNotUtf8) {
  const std::string secret = "\xFF\xFE\xC0\xAF-binary";
  EXPECT_EQ(Redacted("got " + secret + " back", secret), "got *** back");
}

TEST(ScrubTest, ShortSecretsAreNotSearchedAndTheBackEndTextIsDropped) {
  EXPECT_EQ(Redacted("a b c abc", "abc"), "a b c abc");
  const std::string_view secrets[] = {"long-enough-token", "abc"};
  EXPECT_EQ(ScrubBackendText("permission denied", secrets), "");
  const std::string_view empty_ignored[] = {"long-enough-token", ""};
  EXPECT_EQ(ScrubBackendText("permission denied", empty_ignored), "permission denied");
}

TEST(ScrubTest, BackEndTextLosesControlCharactersAndCannotForgeLogLines) {
  const std::string text =
      "1 error occurred:\n\t* permission denied\n\n[warn] forged\r\x1b[31mred\x7f "
      "\xC2\x85next \xE2\x80\xA8line \xE2\x80\xAE"
      "evil \xFF end";
  EXPECT_EQ(ScrubBackendText(text, {}),
            "1 error occurred: * permission denied [warn] forged [31mred next line evil ? end");
}

TEST(ScrubTest, BackEndTextIsCappedAndASecretCutOffByTheCapIsRedacted) {
  const std::string token = "hvs.CAESIJ-a-vault-token-of-some-length";
  std::string text(kMaxBackendTextSize - 10, 'x');
  text += token + " and more";
  const std::string_view secrets[] = {token};
  const std::string scrubbed = ScrubBackendText(text, secrets);
  EXPECT_LE(scrubbed.size(), kMaxBackendTextSize + 3);
  EXPECT_TRUE(scrubbed.ends_with("***...")) << scrubbed;
  EXPECT_THAT(scrubbed, Not(HasSubstr("hvs.CAES")));
  // A cut never splits a character.
  std::string many;
  for (int i = 0; i < 400; ++i) {
    many += "\xE2\x82\xAC";
  }
  EXPECT_THAT(ScrubBackendText(many, {}), Not(HasSubstr("?")));
}

TEST(ScrubTest, SafeErrorCodeKeepsIdentifiersOnly) {
  const std::string_view secrets[] = {"the-secret-value", "xyz"};
  EXPECT_EQ(SafeErrorCode("ValidationException", secrets), "ValidationException");
  EXPECT_EQ(SafeErrorCode("com.amazon.coral.service#UnrecognizedClientException:", secrets),
            "com.amazon.coral.service#UnrecognizedClientException:");
  EXPECT_EQ(SafeErrorCode("", secrets), "");
  EXPECT_EQ(SafeErrorCode("Value is bad", secrets), "");
  EXPECT_EQ(SafeErrorCode(std::string(65, 'A'), secrets), "");
  EXPECT_EQ(SafeErrorCode("Bad-the-secret-value", secrets), "");  // holds a secret
  EXPECT_EQ(SafeErrorCode("secret-val", secrets), "");            // a piece of one
  EXPECT_EQ(SafeErrorCode("xyz", secrets), "");                   // equal to a short one
  EXPECT_EQ(SafeErrorCode("xyzException", secrets), "xyzException");
}

}  // namespace
}  // namespace locksmith::internal
