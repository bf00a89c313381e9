#!/usr/bin/python3
"""Differential test data for JwtKeyRing::Verify: generates HS256 tokens with a seeded RNG, in
categories (valid, expired, nbf in the future, wrong alg, alg none, tampered segments, bad
base64, duplicate keys, huge numbers, extra segments, kid variations, ...), verifies each with
PyJWT (Debian python3-jwt) under the same keys, leeway, issuer, audience and a fixed clock, and
prints one JSON line per token:

  {"category": ..., "expect": ..., "token": ..., "pyjwt": true|false, "why": PyJWT's error}

`expect` is how our verifier must relate to PyJWT on every token of the category:
  agree     the same verdict;
  stricter  PyJWT accepts, we refuse (a deliberate choice of ours, docs/fuzzing.md);
  lenient   we accept, PyJWT refuses (documented there too);
  refuse    we refuse; PyJWT's verdict varies with the token and is only counted.
tests/keys/jwt_pyjwt_differential_test.cc runs this and checks our verdicts against it.

PyJWT has no key-id policy of its own, so this script picks the key as a consumer would (and as
JwtKeyRing does): a "kid" header must name a key of the ring; without one, the current key and
then the previous are tried.

Usage: jwt_pyjwt_differential.py SEED COUNT_PER_CATEGORY
"""
import base64
import datetime as _datetime
import hashlib
import hmac
import json
import random
import sys

import jwt
import jwt.api_jwt

NOW = 1_800_000_000
LEEWAY = 60
ISSUER = "https://auth.example.com"
AUDIENCE = "api"
KEYS = {"v2": b"differential-key-current-0123456789abcdef",  # current
        "v1": b"differential-key-previous-0123456789abcdef"}  # previous, still verifying


class _FixedDatetime(_datetime.datetime):
    @classmethod
    def now(cls, tz=None):
        return _datetime.datetime.fromtimestamp(NOW, tz=tz)


jwt.api_jwt.datetime = _FixedDatetime  # PyJWT reads the time only through datetime.now


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(signing_input, key, digest=hashlib.sha256):
    return b64url(hmac.new(key, signing_input.encode(), digest).digest())


def compact(obj):
    return json.dumps(obj, separators=(",", ":"))


def make(header, claims, key=KEYS["v2"], digest=hashlib.sha256):
    """header and claims: dicts, or text used as is (str), or raw bytes."""
    def encode(part):
        if isinstance(part, dict):
            part = compact(part)
        return b64url(part.encode() if isinstance(part, str) else part)
    signing_input = encode(header) + "." + encode(claims)
    return signing_input + "." + sign(signing_input, key, digest)


def pyjwt_verdict(token):
    try:
        header = jwt.get_unverified_header(token)
        if "kid" in header:
            if header["kid"] not in KEYS:
                return False, "unknown kid"
            candidates = [KEYS[header["kid"]]]
        else:
            candidates = [KEYS["v2"], KEYS["v1"]]
        error = None
        for key in candidates:
            try:
                jwt.decode(token, key, algorithms=["HS256"], leeway=LEEWAY, issuer=ISSUER,
                           audience=AUDIENCE, options={"require": ["exp"]})
                return True, ""
            except jwt.InvalidSignatureError as e:
                error = e
        return False, type(error).__name__
    except Exception as e:  # PyJWT lets some (TypeError, OverflowError) escape: a refusal
        return False, type(e).__name__


class Generator:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def kid_header(self):
        choice = self.r.randrange(3)
        header = {"alg": "HS256"}
        if self.r.random() < 0.5:
            header["typ"] = "JWT"
        if choice == 0:
            return header, KEYS["v2"]
        kid = "v2" if choice == 1 else "v1"
        header["kid"] = kid
        return header, KEYS[kid]

    def claims(self, **overrides):
        c = {"sub": "user-%d" % self.r.randrange(10**6), "iss": ISSUER,
             "aud": self.r.choice([AUDIENCE, ["web", AUDIENCE], [AUDIENCE]]),
             "exp": NOW + self.r.randrange(LEEWAY + 1, 86400),
             "iat": NOW - self.r.randrange(0, 3600)}
        if self.r.random() < 0.3:
            c["nbf"] = NOW - self.r.randrange(0, 3600)
        if self.r.random() < 0.3:
            c["scope"] = " ".join(self.r.sample(["read", "write", "admin", "x"], 2))
        c.update(overrides)
        return {k: v for k, v in c.items() if v is not None}

    def valid(self):
        header, key = self.kid_header()
        return make(header, self.claims(), key)

    def char_swap(self, segment, last_ok):
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        i = self.r.randrange(len(segment) if last_ok else len(segment) - 1)
        c = self.r.choice([a for a in alphabet if a != segment[i]])
        return segment[:i] + c + segment[i + 1:]

    def categories(self):
        r = self.r
        hs = {"alg": "HS256"}
        yield "valid", "agree", self.valid
        yield "expired", "agree", lambda: make(hs, self.claims(
            exp=NOW - LEEWAY - r.choice([0, 1, r.randrange(10**6)])))
        yield "exp within leeway", "agree", lambda: make(hs, self.claims(
            exp=NOW - r.randrange(0, LEEWAY)))
        yield "nbf in the future", "agree", lambda: make(hs, self.claims(
            nbf=NOW + LEEWAY + 1 + r.choice([0, r.randrange(10**6)])))
        yield "nbf within leeway", "agree", lambda: make(hs, self.claims(
            nbf=NOW + r.randrange(0, LEEWAY + 1)))
        yield "iat in the future", "agree", lambda: make(hs, self.claims(
            iat=NOW + LEEWAY + 1 + r.randrange(10**5)))
        yield "missing exp", "agree", lambda: make(hs, {
            k: v for k, v in self.claims().items() if k != "exp"})
        yield "wrong issuer or audience", "agree", lambda: make(hs, self.claims(
            **r.choice([{"iss": "https://evil.example.com"}, {"iss": [ISSUER]}, {"aud": "API"},
                        {"aud": []}, {"aud": ["web"]}, {"iss": None}, {"aud": None}])))
        yield "wrong alg", "agree", lambda: r.choice([
            make({"alg": "HS384"}, self.claims(), KEYS["v2"], hashlib.sha384),
            make({"alg": "HS512"}, self.claims(), KEYS["v2"], hashlib.sha512),
            make({"alg": r.choice(["RS256", "hs256", "", "ES256"])}, self.claims()),
            make({"typ": "JWT"}, self.claims()),
            make({"alg": ["HS256"]}, self.claims())])
        yield "alg none", "agree", lambda: r.choice([
            make({"alg": "none"}, self.claims()).rsplit(".", 1)[0] + ".",
            make({"alg": "none"}, self.claims()),
            make({"alg": "None"}, self.claims()).rsplit(".", 1)[0] + "."])
        yield "wrong key", "agree", lambda: make(
            hs, self.claims(), b"another-key-entirely-0123456789abcdef!!")
        yield "tampered header", "agree", lambda: self.tamper(0)
        yield "tampered payload", "agree", lambda: self.tamper(1)
        yield "tampered signature", "agree", lambda: self.tamper(2)
        yield "signature truncated or extended", "agree", lambda: self.resize_signature()
        yield "kid variations", "agree", lambda: self.kid_variation()
        yield "duplicate keys", "agree", lambda: self.duplicates()
        yield "huge numbers", "agree", lambda: make(hs, r.choice([
            '{"exp":1e30,"iss":"%s","aud":"api"}' % ISSUER,
            '{"exp":1e400,"iss":"%s","aud":"api"}' % ISSUER,
            '{"exp":-1e308,"iss":"%s","aud":"api"}' % ISSUER,
            '{"exp":%d,"iss":"%s","aud":"api","n":123456789012345678901234567890}' % (
                NOW + 600, ISSUER),
            '{"exp":NaN,"iss":"%s","aud":"api"}' % ISSUER,
            '{"exp":Infinity,"iss":"%s","aud":"api"}' % ISSUER]))
        yield "not a JSON object", "agree", lambda: r.choice([
            make(hs, r.choice(["[]", "null", "1", '"s"', "{", '{"exp":1}}', "", "\xff"])),
            make(r.choice(["[]", "{", '"HS256"', ""]), self.claims())])
        yield "invalid UTF-8 in a claim", "agree", lambda: make(
            hs, compact(self.claims()).encode()[:-1] + b',"s":"\xff\xfe"}')
        yield "garbage", "agree", lambda: r.choice([
            "", ".", "..", "...", "a.b", "a.b.c", "%s.%s" % (b64url(b"{}"), b64url(b"{}")),
            "".join(r.choice("abcXYZ012-_.=+/ ") for _ in range(r.randrange(1, 80)))])
        # Deliberate differences (docs/fuzzing.md "Differential").
        yield "extra segments", "refuse", lambda: self.extra_segments()
        yield "signature with non-canonical trailing bits", "stricter", lambda: (
            self.noncanonical_signature())
        yield "signature with '=' padding or data after it", "stricter", lambda: self.padded()
        yield "payload with '=' padding", "refuse", lambda: self.padded_payload()
        yield "signature in the standard alphabet (+/)", "stricter", lambda: (
            self.standard_alphabet())
        yield "stray characters in the signature", "agree", lambda: self.stray_characters()
        yield "time claim as a string", "stricter", lambda: make(hs, self.claims(
            **r.choice([{"exp": str(NOW + 600)}, {"nbf": str(NOW - 600)}])))
        yield "number beyond a double", "stricter", lambda: make(
            hs, '{"exp":%s,"iss":"%s","aud":"api"}' % ("9" * r.randrange(310, 400), ISSUER))
        yield "fractional nbf at the leeway boundary", "stricter", lambda: make(hs, self.claims(
            nbf=NOW + LEEWAY + r.choice([0.25, 0.5, 0.75])))
        yield "fractional exp at the leeway boundary", "lenient", lambda: make(hs, self.claims(
            exp=NOW - LEEWAY + r.choice([0.25, 0.5, 0.75])))
        yield "crit b64", "agree", lambda: make({"alg": "HS256", "crit": ["b64"]},
                                                    self.claims())
        yield "b64 false without crit", "lenient", lambda: make({"alg": "HS256", "b64": False},
                                                               self.claims())
        yield "aud array with a non-string", "lenient", lambda: make(hs, self.claims(
            aud=[r.choice([1, None, {"aud": "x"}, ["api"]]), AUDIENCE]))
        yield "lone surrogate escape", "stricter", lambda: make(
            hs, compact(self.claims())[:-1] + ',"s":"\\ud800"}')
        yield "payload in UTF-16", "stricter", lambda: make(
            hs, compact(self.claims()).encode(r.choice(["utf-16", "utf-16-le", "utf-16-be"])))
        yield "nesting deeper than 64", "stricter", lambda: make(
            hs, compact(self.claims())[:-1] + ',"d":' + "[" * (d := r.randrange(65, 200)) +
            "]" * d + "}")
        yield "token larger than 8 KiB", "stricter", lambda: make(hs, self.claims(
            pad="x" * r.randrange(6200, 9000)))

    def tamper(self, which):
        token = self.valid()
        parts = token.split(".")
        parts[which] = self.char_swap(parts[which], last_ok=which != 2)
        return ".".join(parts)

    def resize_signature(self):
        head, signature = self.valid().rsplit(".", 1)
        r = self.r
        return head + "." + r.choice([signature[:-r.randrange(1, 10)],
                                      signature + r.choice(["A", "AA", "AAAA"]),
                                      sign(head, KEYS["v2"], hashlib.sha512), ""])

    def kid_variation(self):
        r = self.r
        claims = self.claims()
        kid, key, text = r.choice([
            ("v3", KEYS["v2"], None), ("", KEYS["v2"], None), ("V2", KEYS["v2"], None),
            (7, KEYS["v2"], None), (None, KEYS["v2"], None), (["v2"], KEYS["v2"], None),
            ("v2", KEYS["v1"], None), ("v1", KEYS["v2"], None),
            (None, KEYS["v1"], '{"alg":"HS256","kid":"v\\u0031"}'),
            (None, KEYS["v2"], '{"alg":"HS256","kid":"v\\u0032"}')])
        header = text if text is not None else {"alg": "HS256", "kid": kid}
        return make(header, claims, key)

    def duplicates(self):
        r = self.r
        future, past = NOW + 600, NOW - 600
        base = '"iss":"%s","aud":"api"' % ISSUER
        return r.choice([
            make('{"alg":"none","alg":"HS256"}', self.claims()),
            make('{"alg":"HS256","alg":"none"}', self.claims()),
            make({"alg": "HS256"}, '{"exp":%d,"exp":%d,%s}' % (future, past, base)),
            make({"alg": "HS256"}, '{"exp":%d,"exp":%d,%s}' % (past, future, base)),
            make({"alg": "HS256"}, '{"exp":%d,%s,"iss":"x"}' % (future, base)),
            make({"alg": "HS256"}, '{"exp":%d,"aud":"web",%s}' % (future, base))])

    def extra_segments(self):
        r = self.r
        header, claims = b64url(b'{"alg":"HS256"}'), b64url(compact(self.claims()).encode())
        extra = r.choice(["", "", b64url(b"{}"), "x"])
        segments = [header, claims, extra] + ([""] if r.random() < 0.3 else [])
        signing_input = ".".join(segments)
        return signing_input + "." + sign(signing_input, KEYS["v2"])

    def noncanonical_signature(self):
        head, signature = self.valid().rsplit(".", 1)
        # 43 characters hold 258 bits: the last character's low 2 bits are unused.
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        value = alphabet.index(signature[-1])
        return head + "." + signature[:-1] + alphabet[value | self.r.choice([1, 2, 3])]

    def padded(self):
        head, signature = self.valid().rsplit(".", 1)
        if self.r.random() < 0.5:
            return head + "." + signature + "="
        return head + "." + signature + "=" + self.r.choice(["AAAA", "QQ==", "x"])

    def padded_payload(self):
        header, payload = self.valid().rsplit(".", 1)[0].split(".")
        payload += "=" * ((4 - len(payload) % 4) % 4 or 4)
        signing_input = header + "." + payload
        return signing_input + "." + sign(signing_input, KEYS["v2"])

    def standard_alphabet(self):
        while True:
            head, signature = self.valid().rsplit(".", 1)
            if "-" in signature or "_" in signature:
                return head + "." + signature.replace("-", "+").replace("_", "/")

    def stray_characters(self):
        r = self.r
        head, signature = self.valid().rsplit(".", 1)
        i = r.randrange(len(signature))
        return head + "." + signature[:i] + r.choice(["!", " ", "\n", "*", "~"]) + signature[i:]


def main():
    seed, count = int(sys.argv[1]), int(sys.argv[2])
    generator = Generator(seed)
    out = []
    for category, expect, make_token in generator.categories():
        for _ in range(count):
            token = make_token()
            accepted, why = pyjwt_verdict(token)
            out.append(json.dumps({"category": category, "expect": expect, "token": token,
                                   "pyjwt": accepted, "why": why}))
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
