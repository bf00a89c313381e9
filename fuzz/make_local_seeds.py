#!/usr/bin/python3
"""Writes the seed corpora of the local-parser fuzzers (fuzz/corpus/<name>/), each file named by
the first 16 hex digits of its SHA-1. Tokens and ciphertexts are made here with the fuzzers' fixed
keys (an independent implementation: Python's hmac and the cryptography package's AES-GCM), so a
seed that verifies or decrypts in the fuzzer also shows the two implementations agree.
Run from the repository root: /usr/bin/python3 fuzz/make_local_seeds.py (needs Debian
python3-cryptography; not run by the tests, which replay the committed seeds)."""
import base64
import hashlib
import hmac
import json
import os
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write(name, seeds):
    directory = os.path.join(ROOT, "fuzz", "corpus", name)
    os.makedirs(directory, exist_ok=True)
    for seed in seeds:
        seed = seed.encode() if isinstance(seed, str) else seed
        path = os.path.join(directory, hashlib.sha1(seed).hexdigest()[:16])
        with open(path, "wb") as f:
            f.write(seed)
    print(f"{name}: {len(seeds)} seeds")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# --- jwt (fuzz/jwt_fuzzer.cc) -------------------------------------------------------------------
JWT_KEYS = {"v2": b"fuzz-jwt-key-current-0123456789abcdef",
            "v1": b"fuzz-jwt-key-previous-0123456789abcdef"}
NOW = 1_800_000_000


def token(header, claims, key, digest=hashlib.sha256):
    h = header if isinstance(header, str) else json.dumps(header, separators=(",", ":"))
    c = claims if isinstance(claims, str) else json.dumps(claims, separators=(",", ":"))
    signing_input = b64url(h.encode()) + "." + b64url(c.encode())
    return signing_input + "." + b64url(hmac.new(key, signing_input.encode(), digest).digest())


def jwt_seeds():
    good = {"sub": "user-1", "iat": NOW - 60, "exp": NOW + 600}
    tokens = [
        token({"alg": "HS256", "typ": "JWT", "kid": "v2"}, good, JWT_KEYS["v2"]),
        token({"alg": "HS256", "typ": "JWT", "kid": "v1"}, good, JWT_KEYS["v1"]),
        token({"alg": "HS256"}, good, JWT_KEYS["v2"]),
        token({"alg": "HS256", "kid": "v2"},
              {"exp": NOW + 600, "nbf": NOW - 5, "iss": "https://auth.example.com",
               "aud": ["web", "api"], "scope": "read write", "n": [1, 2.5, None, True]},
              JWT_KEYS["v2"]),
        token({"alg": "HS256", "kid": "v2"}, {"exp": NOW - 3600}, JWT_KEYS["v2"]),
        token({"alg": "HS384", "kid": "v2"}, good, JWT_KEYS["v2"], hashlib.sha384),
        token({"alg": "none"}, good, b"") .rsplit(".", 1)[0] + ".",
        token({"alg": "HS256", "kid": "v3"}, good, JWT_KEYS["v2"]),
        token('{"alg":"HS256","kid":"v\\u0032"}', '{"exp":%d,"s":"caf\\u00e9"}' % (NOW + 600),
              JWT_KEYS["v2"]),
    ]
    claims = ['{"sub":"user-1"}', "{}", "", '{"aud":["web","api"],"nbf":1700000000}',
              '{"exp":1,"iat":2,"x":{"y":[1,2,{"z":null}]}}', '{"s":"caf\\u00e9 \\"q\\""}',
              '{"big":18446744073709551615,"neg":-9223372036854775808,"f":1.5e300}']
    return ["\0" + t for t in tokens] + ["\1" + c for c in claims]


# --- ciphertext (fuzz/ciphertext_fuzzer.cc) -----------------------------------------------------
CIPHER_KEYS = {"k2": b"0123456789abcdef0123456789abcdef", "k1": b"fedcba9876543210fedcba9876543210"}
CONTEXT = b"users.encrypted_email.42"
MARKER = b"fuzz-seed-plaintext:"


def seal(version, plaintext, nonce):
    key_id = hashlib.sha256(version.encode()).digest()[:4]
    aad = b"\x01" + key_id + CONTEXT
    body = nonce + AESGCM(CIPHER_KEYS[version]).encrypt(nonce, plaintext, aad)
    text = b"ls1:" + key_id.hex().encode() + b":" + base64.b64encode(body)
    return text, b"\x01" + key_id + body


def ciphertext_seeds():
    seeds = []
    plaintexts = [MARKER, MARKER + b"alice@example.com", MARKER + bytes(range(256)),
                  MARKER + b"x" * 3]
    for i, plain in enumerate(plaintexts):
        for version in ("k2", "k1"):
            text, binary = seal(version, plain, bytes([i, len(version)]) + b"seed-nonce")
            seeds += [b"\0" + text, b"\1" + binary]
    seeds += [b"\0ls1:00000000:AAAA", b"\1\x01\0\0\0\0", b"\2", b"\2alice@example.com",
              b"\3" + bytes(range(64)), b"\3"]
    return seeds


# --- dotenv (fuzz/dotenv_fuzzer.cc) -------------------------------------------------------------
def dotenv_seeds():
    with open(os.path.join(ROOT, ".env.example"), "rb") as f:
        example = f.read()
    return [example,
            b"DB_ENCRYPTION_KEY=base64key==\nexport JWT_SECRET='single # not a comment'\n",
            b'DATABASE_PASSWORD="multi\nline \\"quoted\\" \\n \\t \\$HOME \\x"  # comment\n',
            b"REDIS_PASSWORD=unquoted value # comment\r\nEMPTY=\nSPACED = value \t\n",
            b"# only a comment\n\n   \nKEY=\"unterminated\n",
            b"1BAD=value\nKEY value\nKEY='x' trailing\n",
            b"A=\"\\\nb\"\rB=c\r"]


# --- config (fuzz/config_fuzzer.cc) -------------------------------------------------------------
def config_seeds():
    return [
        "",
        "SECRETS_BACKEND=vault\nVAULT_ADDR=https://vault.internal:8200\nVAULT_ROLE_ID=role\n"
        "VAULT_SECRET_ID=s.planted\nVAULT_MOUNT_PATH=/secret/app/\nVAULT_CLIENT_TIMEOUT=10s\n",
        "SECRETS_BACKEND=vault\nVAULT_ADDR=http://10.0.0.1:8200\nVAULT_TOKEN=hvs.token\n"
        "VAULT_TOKEN_FILE=/run/vault/token\nVAULT_CLIENT_CERT=/c.pem\n",
        "SECRETS_BACKEND=aws\nAWS_REGION=us-east-1\nAWS_SECRETS_PREFIX=app/prod\n"
        "AWS_ENDPOINT_URL=http://example.com:4566\nLOCKSMITH_ALLOW_INSECURE_HTTP=yes\n",
        "LOCKSMITH_CACHE_TTL=1h30m\nLOCKSMITH_MAX_STALENESS=30m\nLOCKSMITH_CACHE_TTL_JITTER=0.7\n"
        "LOCKSMITH_REFRESH_AHEAD=nan\nLOCKSMITH_RETRY_MAX_ATTEMPTS=11\n"
        "LOCKSMITH_RETRY_BASE_DELAY=10s\nLOCKSMITH_RETRY_MAX_DELAY=250ms\n"
        "LOCKSMITH_BREAKER_FAILURE_THRESHOLD=0\nLOCKSMITH_BREAKER_OPEN_DURATION=0\n",
        "LOCKSMITH_MASTER_KEY=MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n"
        "LOCKSMITH_MASTER_KEY_FILE=/run/keys/k\nLOCKSMITH_STORE=/var/lib/app/secrets.db\n",
        "ENABLE_SECRETS_MANAGER=false\nAPP_ENV=production\nLOCKSMITH_DOTENV_FILE=/srv/.env\n"
        "LOCKSMITH_DOTENV_ALLOW=A, B,,C\nLOCKSMITH_ALLOW_DOTENV_IN_PRODUCTION=maybe\n",
        "SECRETS_BACKEND=gcp\nAWS_DEFAULT_REGION=EU West\nVAULT_SKIP_VERIFY=1\n",
        open(os.path.join(ROOT, ".env.example")).read(),
    ]


# --- secret_ref (fuzz/secret_ref_fuzzer.cc) -----------------------------------------------------
def secret_ref_seeds():
    return ["db-encryption-key", "database#password", "rpc/alchemy-api-key",
            "agentauri-backend/production#jwt-secret", "a/../b", "/lead", "x#", "a#b#c",
            "name#" + "f" * 129, "n" * 257, "UPPER_case.v2"]


# --- base64_diff (fuzz/base64_diff_fuzzer.cc) ---------------------------------------------------
def base64_seeds():
    url = ["", "QQ", "QUI", "QUJD", "QR", "-_-_", "A", "eyJhbGciOiJIUzI1NiJ9", "QQ==", "QQ\n"]
    standard = ["", "QQ==", "QQ", "QUI=", "QUJD", "+/+/", "QR==", "Q===", "QQ=Q", "MDEy\n"]
    return ["\0" + s for s in url] + ["\1" + s for s in standard]


# --- jwt_json_diff (fuzz/jwt_json_diff_fuzzer.cc) -----------------------------------------------
def jwt_json_seeds():
    return ['{"alg":"HS256","typ":"JWT","kid":"v2"}',
            '{"exp":1800000600,"nbf":1.5,"iat":-0,"iss":"a","aud":["x",1,{"aud":"y"},"z"]}',
            '{"exp":1e400}', '{"exp":1e-400}', '{"exp":' + "9" * 400 + "}",
            '{"exp":1,"exp":2}', '{"\\u0065xp":3}', ' {"a" : [ true , false , null ] } ',
            '{"d":' + "[" * 40 + "]" * 40 + "}", '{"s":"caf\xc3\xa9"}', '{"s":"\\ud800"}',
            '\ufeff{"alg":"HS256"}', '{"a":1}\0', "[]", "{", '{"aud":"api"}']


if __name__ == "__main__":
    write("jwt", jwt_seeds())
    write("ciphertext", ciphertext_seeds())
    write("dotenv", dotenv_seeds())
    write("config", config_seeds())
    write("secret_ref", secret_ref_seeds())
    write("base64_diff", base64_seeds())
    write("jwt_json_diff", jwt_json_seeds())
    sys.exit(0)
