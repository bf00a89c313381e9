// SigV4 canonicalisation and signing (providers/aws/sigv4.h) of arbitrary method, path, query,
// headers and body: the canonical request every Secrets Manager, STS and AssumeRole call is signed
// over.
//
// Input: one byte of switches (normalize_path, sign_body, a session token, omit_session_token),
// then lines: method, path (unencoded), query (raw, without '?'), header lines "name:value" up
// to a blank line, then the body. Properties: no crash; signing is deterministic (the same
// request signs to the same canonical request and signature); the signature is 64 lower-case hex
// digits; the canonical query holds only unreserved characters, "%XX" with upper-case hex, '='
// and '&', its pairs are sorted and canonicalising it again changes nothing; the canonical URI
// holds only unreserved characters, '/' and "%XX", and once normalized has no empty, "." or ".."
// segment; the signed headers are lower case, sorted and unique; the secret key appears in no
// output.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_check.h"
#include "net_fuzz_support.h"
#include "providers/aws/sigv4.h"

namespace {

using locksmith::internal::SigV4Params;
using locksmith::internal::SigV4Request;

constexpr char kSigningSecretKey[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool IsUpperHex(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); }

// Only unreserved characters, "%XX" (upper-case hex) and the characters of `extra`.
bool OnlyEncoded(std::string_view text, std::string_view extra) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size() || !IsUpperHex(text[i + 1]) || !IsUpperHex(text[i + 2])) {
        return false;
      }
      i += 2;
    } else if (!IsUnreserved(c) && extra.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

void CheckCanonicalQuery(std::string_view query) {
  const std::string canonical = locksmith::internal::CanonicalQuery(query);
  FUZZ_CHECK(OnlyEncoded(canonical, "=&"), "a canonical query is percent-encoded");
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  std::string_view rest = canonical;
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view part = rest.substr(0, amp);
    const std::size_t eq = part.find('=');
    FUZZ_CHECK(eq != std::string_view::npos, "every canonical query pair has '='");
    pairs.emplace_back(part.substr(0, eq), part.substr(eq + 1));
    rest.remove_prefix(amp == std::string_view::npos ? rest.size() : amp + 1);
  }
  FUZZ_CHECK(std::is_sorted(pairs.begin(), pairs.end()), "a canonical query is sorted");
  FUZZ_CHECK(locksmith::internal::CanonicalQuery(canonical) == canonical,
             "canonicalising a canonical query changes nothing");
}

void CheckCanonicalUri(std::string_view path, bool normalize) {
  const std::string uri = locksmith::internal::CanonicalUri(path, normalize);
  FUZZ_CHECK(OnlyEncoded(uri, "/"), "a canonical URI is percent-encoded");
  if (!normalize) {
    return;
  }
  FUZZ_CHECK(!uri.empty() && uri.front() == '/', "a normalized URI is absolute");
  std::string_view rest = std::string_view(uri).substr(1);
  while (!rest.empty()) {
    const std::size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    FUZZ_CHECK(!segment.empty() && segment != "." && segment != "..",
               "a normalized URI has no empty or dot segment");
    rest.remove_prefix(slash == std::string_view::npos ? rest.size() : slash + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  locksmith::fuzz::FuzzInput input(data, size);
  const std::uint8_t switches = input.TakeByte();
  SigV4Request request;
  request.method = std::string(input.TakeUntil("\n"));
  request.path = std::string(input.TakeUntil("\n"));
  request.query = std::string(input.TakeUntil("\n"));
  for (std::string_view line = input.TakeUntil("\n"); !line.empty(); line = input.TakeUntil("\n")) {
    const std::size_t colon = line.find(':');
    request.headers.emplace_back(
        std::string(line.substr(0, colon)),
        colon == std::string_view::npos ? std::string() : std::string(line.substr(colon + 1)));
  }
  request.body = input.rest();

  SigV4Params params;
  params.region = "eu-west-1";
  params.service = "secretsmanager";
  params.time = std::chrono::system_clock::time_point(std::chrono::seconds(1796083200));
  params.normalize_path = (switches & 1) != 0;
  params.sign_body = (switches & 2) != 0;
  params.omit_session_token = (switches & 4) != 0;
  locksmith::internal::AwsCredentials credentials;
  credentials.access_key_id = "AKIDEXAMPLE";
  credentials.secret_access_key = locksmith::SecretValue(kSigningSecretKey);
  if ((switches & 8) != 0) {
    credentials.session_token = locksmith::SecretValue("session-token-EXAMPLE");
  }

  CheckCanonicalQuery(request.query);
  CheckCanonicalUri(request.path, params.normalize_path);

  auto first = locksmith::internal::SignRequest(request, credentials, params);
  auto second = locksmith::internal::SignRequest(request, credentials, params);
  FUZZ_CHECK(first.ok() && second.ok(), "a request with credentials always signs");
  FUZZ_CHECK(first->canonical_request == second->canonical_request &&
                 first->signature == second->signature,
             "signing is deterministic");
  FUZZ_CHECK(
      first->signature.size() == 64 &&
          std::all_of(first->signature.begin(), first->signature.end(),
                      [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }),
      "a signature is 64 lower-case hex digits");
  // (Unless the request itself holds it: the fuzzer learns the key from these very checks.)
  const std::string_view whole(reinterpret_cast<const char*>(data), size);
  if (whole.find(kSigningSecretKey) == std::string_view::npos) {
    for (const auto& [name, value] : first->added_headers) {
      FUZZ_CHECK(value.find(kSigningSecretKey) == std::string::npos,
                 "no added header holds the secret key");
    }
    FUZZ_CHECK(first->canonical_request.find(kSigningSecretKey) == std::string::npos &&
                   first->string_to_sign.find(kSigningSecretKey) == std::string::npos,
               "no stage holds the secret key");
  }

  // Stage 1 alone: the signed headers are lower case, sorted and unique, and are the ones the
  // Authorization header names. (Checked for header names that are HTTP tokens: a name holding
  // ';' would read as two, and the signer's callers only ever pass fixed names.)
  const bool token_names = std::all_of(request.headers.begin(), request.headers.end(), [](auto& h) {
    return !h.first.empty() && std::all_of(h.first.begin(), h.first.end(), [](char c) {
      return IsUnreserved(c) || std::string_view("!#$%&'*+^`|").find(c) != std::string_view::npos;
    });
  });
  if (!token_names) {
    return 0;
  }
  const auto canonical = locksmith::internal::BuildCanonicalRequest(
      request, params.normalize_path, locksmith::internal::HexSha256(request.body));
  std::vector<std::string_view> names;
  std::string_view rest = canonical.signed_headers;
  while (!rest.empty()) {
    const std::size_t semi = rest.find(';');
    names.push_back(rest.substr(0, semi));
    rest.remove_prefix(semi == std::string_view::npos ? rest.size() : semi + 1);
  }
  FUZZ_CHECK(names.size() <= request.headers.size(), "one signed header per distinct name");
  FUZZ_CHECK(std::adjacent_find(names.begin(), names.end(), std::greater_equal<>()) == names.end(),
             "signed headers are sorted and unique");
  for (const std::string_view name : names) {
    FUZZ_CHECK(std::none_of(name.begin(), name.end(), [](char c) { return c >= 'A' && c <= 'Z'; }),
               "signed header names are lower case");
  }
  return 0;
}
