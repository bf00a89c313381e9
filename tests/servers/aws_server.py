#!/usr/bin/python3
"""A small AWS Secrets Manager for tests, faithful to botocore's service model
(botocore/data/secretsmanager/2017-10-17/service-2.json) for the operations locksmith uses:
CreateSecret, PutSecretValue, GetSecretValue, DescribeSecret, ListSecrets, BatchGetSecretValue,
UpdateSecretVersionStage (plus ListSecretVersionIds and DeleteSecret for tests).

It speaks awsJson1.1 (POST /, X-Amz-Target: secretsmanager.<Op>), VERIFIES SigV4 signatures
(unknown keys, bad or expired signatures and expired session tokens get AWS's error shapes), keeps
versions and staging labels as the real service does (AWSCURRENT / AWSPREVIOUS / AWSPENDING), and
also serves the credential sources of the SDK chain: the container credentials endpoint
(/_test/container-credentials), EC2 IMDSv2 (/latest/...) and STS AssumeRoleWithWebIdentity and
AssumeRole (POST / with a form body; AssumeRole SigV4-verified for service "sts").

Test controls (no signature needed), all JSON:
  POST /_test/credentials  {"access_key", "secret_key", "token"?, "expires"? (epoch), "allow"?}
                           allow: the operations the key may call, each "Op" (any resource) or
                           {"action": "Op" | "*", "resource": IAM pattern(s) on the secret ARN}
                           (Handler.allowed); null: everything
  POST /_test/clock        {"set": epoch} | {"advance": seconds} | {"real": true}
  POST /_test/fault        {"kind": throttle|500|unavailable|slow|drop|reset|malformed|internal|
                                    echo|deep|huge,
                            "count": n, "op"?: "GetSecretValue", "seconds"?: for slow,
                            "status"?: for throttle (400, as AWS; 429 as a proxy would),
                            "retry_after"?: for throttle, a Retry-After header,
                            "depth"?: for deep (1,000,000 nested arrays in a valid answer),
                            "bytes"?: for huge (64 MiB streamed without Content-Length)}
                           unavailable: 503 ServiceUnavailable; drop: headers announcing more body
                           than is sent, then a close; reset: a TCP RST before any answer
                           ("kind": "clear")
                           echo: an error of "type" (ValidationException) and "status" (400)
                           whose message quotes what the request carried (SecretString raw,
                           JSON-escaped and base64, SecretBinary, SecretId) and the signing
                           secret key and session token: a careless proxy or mock
  POST /_test/container    {"token": authorization expected, "ttl": seconds,
                            "huge": bytes (the answer streams that much padding)}
  POST /_test/imds         {"ttl": seconds, "role": name, "enabled": bool, "huge": bytes,
                            "token_put": null (answer) | an HTTP status (403, 404, 405: a proxy or
                              an IMDS without v2; 400, 500, ...) | "hang" (no answer: the hop
                              limit 1 inside a container drops it; the client times out),
                            "require_token": bool (default true, HttpTokens=required: a GET
                              without a token is 401; false: IMDSv1 GETs are served)}
  GET  /_test/imds         {"token_puts": n, "v1_gets": n, "v2_gets": n}
  POST /_test/web-identity {"token": expected JWT, "ttl": seconds}
  POST /_test/assume-role  {"denied": [role ARNs answered AccessDenied], "external_ids":
                            {role ARN: required ExternalId}, "max_session": seconds (3600)}
  GET  /_test/assume-role  {"calls": [{"RoleArn", "RoleSessionName", "ExternalId",
                            "DurationSeconds", "Caller" (signing access key id)}]}
  POST /_test/rotation     {"SecretId", "enabled": bool}
  POST /_test/region       {"region": name} the server's region (ARNs); SigV4 scopes for another
                           region are refused as AWS does; {"region": null}: any region accepted
  GET  /_test/stats        {"ops": {op: count}, "auth_failures": n, "issued": n}
  POST /_test/reset-stats

Run with /usr/bin/python3; binds 127.0.0.1 port 0 (or --port) and prints the port on stdout.
Default credentials: AKIDLOCKSMITHTEST / locksmith-test-secret-access-key. Region: any (ARNs
say us-east-1); with --region NAME (or /_test/region) only NAME, as a real regional endpoint.
"""
import base64
import datetime
import hashlib
import hmac
import json
import re
import socket
import struct
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape as xml_escape

ACCOUNT = "123456789012"
DEFAULT_ACCESS_KEY = "AKIDLOCKSMITHTEST"
DEFAULT_SECRET_KEY = "locksmith-test-secret-access-key"
SKEW_SECONDS = 300
NAME_RE = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
LABEL_RE = re.compile(r"^.{1,256}$")

CORAL = "com.amazon.coral.service#"
CORAL_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.coral.service/"


class ApiError(Exception):
    def __init__(self, type_, message, status=400, coral=False):
        super().__init__(message)
        self.type = type_
        self.message = message
        self.status = status
        self.coral = coral


def not_found(message="Secrets Manager can't find the specified secret."):
    return ApiError("ResourceNotFoundException", message)


def invalid_param(message):
    return ApiError("InvalidParameterException", message)


def invalid_request(message):
    return ApiError("InvalidRequestException", message)


class State:
    def __init__(self, region):
        self.lock = threading.RLock()
        self.region = region
        self.clock_offset = 0.0
        self.clock_fixed = None
        self.keys = {
DEFAULT_ACCESS_KEY : {
  "secret" : DEFAULT_SECRET_KEY, "token" : None, "expires" : None, "allow" : None
}}
        self.secrets = {}  # name -> dict
        self.faults = []
        self.ops = {}
        self.auth_failures = 0
        self.issued = 0
        self.container = {"token": None, "ttl": 3600}
        self.imds = {
  "enabled" : True, "ttl" : 3600, "role" : "locksmith-role", "tokens" : {}}
        self.imds.update(IMDS_MODE_DEFAULTS)
        self.web_identity = {"token": None, "ttl": 3600}
        self.assume_role = {"denied": [], "external_ids": {}, "max_session": 3600, "calls": []}
        self.enforce_region = False  # --region / /_test/region: scopes must name self.region

    def now(self):
        if self.clock_fixed is not None:
            return self.clock_fixed + self.clock_offset
        return time.time() + self.clock_offset

    def issue_temporary(self, ttl, prefix="ASIA"):
        with self.lock:
            self.issued += 1
            access = prefix + uuid.uuid4().hex[:16].upper()
            secret = base64.b64encode(uuid.uuid4().bytes + uuid.uuid4().bytes).decode()
            token = "IQoJb3JpZ2luX2VjE" + base64.b64encode(uuid.uuid4().bytes * 3).decode()
            expires = self.now() + ttl
            self.keys[access] = {
  "secret" : secret, "token" : token, "expires" : expires, "allow" : None}
            return access, secret, token, expires


def iso(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def amz_date(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def parse_amz_date(text):
    return datetime.datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()

#-- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- SigV4 verification


def canonical_uri(path):
    segments = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if segments:
                segments.pop()
            continue
        segments.append(seg)
    out = "/" + "/".join(urllib.parse.quote(urllib.parse.unquote(s), safe="-_.~")
                         for s in segments)
    if path.endswith("/") and segments:
        out += "/"
    return out


def canonical_query(query):
    params = []
    for part in query.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        params.append((urllib.parse.quote(urllib.parse.unquote(key), safe="-_.~"),
                       urllib.parse.quote(urllib.parse.unquote(value), safe="-_.~")))
    params.sort()
    return "&".join(k + "=" + v for k, v in params)


def sign(key, msg):
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret, day, region, service):
    k = sign(("AWS4" + secret).encode("utf-8"), day)
    k = sign(k, region)
    k = sign(k, service)
    return sign(k, "aws4_request")


AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request,\s*"
    r"SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$")


def verify_sigv4(state, handler, body, service_names=("secretsmanager",)):
    """Returns the key record of the signer or raises ApiError as AWS would."""
    auth = handler.headers.get("Authorization")
    if not auth:
        raise ApiError("MissingAuthenticationTokenException", "Missing Authentication Token",
                       coral=True)
    m = AUTH_RE.match(auth.strip())
    if not m:
        raise ApiError("IncompleteSignatureException",
                       "Authorization header requires 'Credential', 'Signature' and "
                       "'SignedHeaders' parameters. Authorization=" + auth.split(" ")[0],
                       coral=True)
    access, day, region, service, signed_headers, signature = m.groups()
    with state.lock:
        key = state.keys.get(access)
    if key is None:
        raise ApiError("UnrecognizedClientException",
                       "The security token included in the request is invalid.", coral=True)
    date = handler.headers.get("X-Amz-Date")
    if not date:
        raise ApiError("IncompleteSignatureException",
                       "Authorization header requires existence of either a 'X-Amz-Date' or a "
                       "'Date' header.", coral=True)
    try:
        signed_at = parse_amz_date(date)
    except ValueError:
        raise ApiError("IncompleteSignatureException", "Date must be in ISO-8601 'basic format'.",
                       coral=True)
    now = state.now()
    if signed_at < now - SKEW_SECONDS:
        raise ApiError("InvalidSignatureException",
                       "Signature expired: %s is now earlier than %s (%s - 5 min.)" % (
                           date, amz_date(now - SKEW_SECONDS), amz_date(now)), coral=True)
    if signed_at > now + SKEW_SECONDS:
        raise ApiError("InvalidSignatureException",
                       "Signature not yet current: %s is still later than %s (%s + 5 min.)" % (
                           date, amz_date(now + SKEW_SECONDS), amz_date(now)), coral=True)
    if day != date[:8] or service not in service_names:
        raise ApiError("InvalidSignatureException",
                       "Credential should be scoped to a valid region and service.", coral=True)
    check_scope_region(state, region)
    if key["token"] is not None:
        presented = handler.headers.get("X-Amz-Security-Token")
        if presented != key["token"]:
            raise ApiError("UnrecognizedClientException",
                           "The security token included in the request is invalid.", coral=True)
        if key["expires"] is not None and now >= key["expires"]:
            raise ApiError("ExpiredTokenException",
                           "The security token included in the request is expired", coral=True)
    names = signed_headers.split(";")
    if "host" not in names:
        raise ApiError("InvalidSignatureException",
                       "'Host' or ':authority' must be a 'SignedHeader' in the AWS "
                       "Authorization.", coral=True)
    lines = []
    for name in names:
        values = handler.headers.get_all(name) or []
        values = [" ".join(v.split()) for v in values]
        lines.append(name + ":" + ",".join(values))
    path, _, query = handler.path.partition("?")
    canonical = "\n".join([
        handler.command, canonical_uri(urllib.parse.unquote(path)), canonical_query(query),
        "\n".join(lines) + "\n", signed_headers, hashlib.sha256(body).hexdigest()])
    string_to_sign = "\n".join([
        "AWS4-HMAC-SHA256", date, "/".join([day, region, service, "aws4_request"]),
        hashlib.sha256(canonical.encode("utf-8")).hexdigest()])
    expected = hmac.new(signing_key(key["secret"], day, region, service),
                        string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise ApiError("InvalidSignatureException",
                       "The request signature we calculated does not match the signature you "
                       "provided. Check your AWS Secret Access Key and signing method. Consult "
                       "the service documentation for details.", coral=True)
    return key

def check_scope_region(state, region):
    """A regional endpoint refuses a signature scoped to another region (the SDKs sign for the
    region they resolved the endpoint from; a mismatch is a misconfigured client)."""
    if state.enforce_region and region != state.region:
        raise ApiError("InvalidSignatureException",
                       "Credential should be scoped to a valid region. ", coral=True)

#-- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- Secrets Manager


class SecretsManager:
    def __init__(self, state):
        self.state = state

#-- helpers
    def arn(self, name):
        return "arn:aws:secretsmanager:%s:%s:secret:%s-%s" % (
            self.state.region, ACCOUNT, name, hashlib.sha256(name.encode()).hexdigest()[:6])

    def find(self, secret_id, allow_deleted=False):
        if not isinstance(secret_id, str) or not secret_id:
            raise invalid_param("Invalid SecretId.")
        secret = self.state.secrets.get(secret_id)
        if secret is None:
            for s in self.state.secrets.values():
                if s["arn"] == secret_id:
                    secret = s
                    break
        if secret is None:
            raise not_found()
        if secret["deleted"] is not None and not allow_deleted:
            raise invalid_request("You can't perform this operation on the secret because it "
                                  "was marked for deletion.")
        return secret

    def value_fields(self, req, required):
        has_string = "SecretString" in req
        has_binary = "SecretBinary" in req
        if has_string and has_binary:
            raise invalid_param("You can't specify both a binary secret value and a string "
                                "secret value in the same secret.")
        if has_string:
            if not isinstance(req["SecretString"], str):
                raise invalid_param("Invalid SecretString.")
            return {
  "string" : req["SecretString"]}
        if has_binary:
            try:
                return {"binary": base64.b64decode(req["SecretBinary"], validate=True)}
            except Exception:
                raise invalid_param("Invalid SecretBinary.")
        if required:
            raise invalid_request("You must provide either SecretString or SecretBinary.")
        return None

    def token(self, req):
        token = req.get("ClientRequestToken")
        if token is None:
            return str(uuid.uuid4())
        if not isinstance(token, str) or not 32 <= len(token) <= 64:
            raise invalid_param("ClientRequestToken must be 32-64 characters.")
        return token

    def attach(self, secret, version_id, labels):
        """Attaches `labels` to version_id, moving them off other versions; AWSCURRENT moving
        gives the old current AWSPREVIOUS, as the service does."""
        now = self.state.now()
        for label in labels:
            for vid, version in secret["versions"].items():
                if vid != version_id and label in version["stages"]:
                    version["stages"].remove(label)
                    if label == "AWSCURRENT":
                        for other in secret["versions"].values():
                            other["stages"].discard("AWSPREVIOUS")
                        version["stages"].add("AWSPREVIOUS")
            secret["versions"][version_id]["stages"].add(label)
        secret["last_changed"] = now

    def new_version(self, secret, token, value, labels):
        existing = secret["versions"].get(token)
        if existing is not None:
            if existing["value"] != value:
                raise ApiError("ResourceExistsException",
                               "You can't modify an existing version, you can only create a new "
                               "version.")
            return token
        secret["versions"][token] = {"value": value, "stages": set(),
                                     "created": self.state.now()}
        self.attach(secret, token, labels)
#Versions without labels are deprecated; the service keeps ~100.
        unlabelled = [v for v, d in secret["versions"].items() if not d["stages"]]
        while len(secret["versions"]) > 100 and unlabelled:
            del secret["versions"][unlabelled.pop(0)]
        return token

    def value_out(self, secret, vid):
        version = secret["versions"][vid]
        out = {
  "ARN" : secret["arn"],
          "Name" : secret["name"],
                   "VersionId" : vid,
                                 "VersionStages" : sorted(version["stages"]),
                                                   "CreatedDate" : version["created"]}
        if "string" in version["value"]:
            out["SecretString"] = version["value"]["string"]
        else:
            out["SecretBinary"] = base64.b64encode(version["value"]["binary"]).decode()
        return out

    def select_version(self, secret, req):
        vid = req.get("VersionId")
        stage = req.get("VersionStage")
        if vid is not None:
            if vid not in secret["versions"]:
                raise not_found("Secrets Manager can't find the specified secret value for "
                                "VersionId: " + str(vid))
            if stage is not None and stage not in secret["versions"][vid]["stages"]:
                raise invalid_request("You provided a VersionStage that is not associated to the "
                                      "provided VersionId.")
            return vid
        stage = stage or "AWSCURRENT"
        for v, d in secret["versions"].items():
            if stage in d["stages"]:
                return v
        raise not_found("Secrets Manager can't find the specified secret value for staging "
                        "label: " + stage)

#-- operations
    def CreateSecret(self, req):
        name = req.get("Name")
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise invalid_param("Invalid name. Must be a valid name containing alphanumeric "
                                "characters, or any of the following: -/_+=.@!")
        if name in self.state.secrets:
            if self.state.secrets[name]["deleted"] is not None:
                raise invalid_request("You can't create this secret because a secret with this "
                                      "name is already scheduled for deletion.")
            raise ApiError("ResourceExistsException",
                           "The operation failed because the secret %s already exists." % name)
        value = self.value_fields(req, required=False)
        token = self.token(req)
        now = self.state.now()
        secret = {
  "name" : name,
           "arn" : self.arn(name),
           "created" : now,
                       "last_changed" : now,
                                        "last_accessed" : None,
                                                          "last_rotated" : None,
                                                                           "rotation" : False,
                                                                                        "deleted"
      : None,
        "description" : req.get("Description"),
        "tags" : req.get("Tags", []),
        "versions" : {}}
        self.state.secrets[name] = secret
        out = {
  "ARN" : secret["arn"], "Name" : name, "ReplicationStatus" : []}
        if value is not None:
            out["VersionId"] = self.new_version(secret, token, value, ["AWSCURRENT"])
        return out

    def PutSecretValue(self, req):
        secret = self.find(req.get("SecretId"))
        value = self.value_fields(req, required=True)
        labels = req.get("VersionStages") or ["AWSCURRENT"]
        if not isinstance(labels, list) or not all(
                isinstance(l, str) and LABEL_RE.match(l) for l in labels) or len(labels) > 20:
            raise invalid_param("Invalid VersionStages.")
        if not secret["versions"]:
            # "If this operation creates the first version for the secret, then Secrets Manager
            # automatically attaches the staging label AWSCURRENT to it." (PutSecretValue docs)
            labels = list(labels) + ([] if "AWSCURRENT" in labels else ["AWSCURRENT"])
        vid = self.new_version(secret, self.token(req), value, labels)
        return {"ARN": secret["arn"], "Name": secret["name"], "VersionId": vid,
                "VersionStages": sorted(secret["versions"][vid]["stages"])}

    def GetSecretValue(self, req):
        secret = self.find(req.get("SecretId"))
        vid = self.select_version(secret, req)
        secret["last_accessed"] = int(self.state.now() // 86400 * 86400)
        return self.value_out(secret, vid)

    def DescribeSecret(self, req):
        secret = self.find(req.get("SecretId"), allow_deleted=True)
        out = {
  "ARN" : secret["arn"],
          "Name" : secret["name"],
                   "LastChangedDate" : secret["last_changed"],
                                       "CreatedDate" : secret["created"],
                                                       "VersionIdsToStages" : {
  v: sorted(d["stages"])
                                      for v, d in secret["versions"].items() if d["stages"]
  }}
        if secret["description"]:
            out["Description"] = secret["description"]
        if secret["rotation"]:
            out["RotationEnabled"] = True
        if secret["last_rotated"] is not None:
            out["LastRotatedDate"] = secret["last_rotated"]
        if secret["last_accessed"] is not None:
            out["LastAccessedDate"] = secret["last_accessed"]
        if secret["deleted"] is not None:
            out["DeletedDate"] = secret["deleted"]
        if secret["tags"]:
            out["Tags"] = secret["tags"]
        return out

    def matches(self, secret, filters):
        for f in filters or []:
            key = f.get("Key")
            values = f.get("Values") or []
            if key not in ("description", "name", "tag-key", "tag-value", "primary-region",
                           "owning-service", "all"):
                raise invalid_param("Invalid filter key.")
            fields = {"name": [secret["name"]], "description": [secret["description"] or ""],
                      "tag-key": [t.get("Key", "") for t in secret["tags"]],
                      "tag-value": [t.get("Value", "") for t in secret["tags"]],
                      "primary-region": [], "owning-service": []}
            fields["all"] = sum(fields.values(), [])
            ok = False
            for value in values:
                negate = value.startswith("!")
                prefix = value[1:] if negate else value
                hit = any(field.startswith(prefix) for field in fields[key])
                if hit != negate:
                    ok = True
            if not ok:
                return False
        return True

    def page(self, items, req, max_default, max_limit):
        max_results = req.get("MaxResults", max_default)
        if not isinstance(max_results, int) or not 1 <= max_results <= max_limit:
            raise invalid_param("MaxResults must be between 1 and %d." % max_limit)
        start = 0
        if req.get("NextToken"):
            try:
                start = int(base64.b64decode(req["NextToken"]).decode().split(":")[1])
            except Exception:
                raise ApiError("InvalidNextTokenException", "The NextToken value is invalid.")
        chunk = items[start:start + max_results]
        token = None
        if start + max_results < len(items):
            token = base64.b64encode(("offset:%d" % (start + max_results)).encode()).decode()
        return chunk, token

    def ListSecrets(self, req):
        include_deleted = bool(req.get("IncludePlannedDeletion", False))
        secrets = [s for s in self.state.secrets.values()
                   if (include_deleted or s["deleted"] is None)
                   and self.matches(s, req.get("Filters"))]
        secrets.sort(key=lambda s: s["created"], reverse=req.get("SortOrder", "desc") == "desc")
        chunk, token = self.page(secrets, req, 100, 100)
        out = {
  "SecretList" : []}
        for s in chunk:
            entry = {
  "ARN" : s["arn"],
          "Name" : s["name"],
                   "LastChangedDate" : s["last_changed"],
                                       "CreatedDate" : s["created"],
                                                       "SecretVersionsToStages" : {
  v: sorted(d["stages"])
                                                for v, d in s["versions"].items()
                                                if d["stages"]
  }}
            if s["rotation"]:
                entry["RotationEnabled"] = True
            if s["deleted"] is not None:
                entry["DeletedDate"] = s["deleted"]
            out["SecretList"].append(entry)
        if token:
            out["NextToken"] = token
        return out

    def BatchGetSecretValue(self, req):
        ids = req.get("SecretIdList")
        filters = req.get("Filters")
        if (ids is None) == (filters is None):
            raise invalid_param("Either SecretIdList or Filters must be provided.")
        out = {
  "SecretValues" : [], "Errors" : []}
        if ids is not None:
            if not isinstance(ids, list) or not 1 <= len(ids) <= 20:
                raise invalid_param("SecretIdList must contain between 1 and 20 secret IDs.")
            if "MaxResults" in req:
                raise invalid_param("MaxResults can only be used with Filters.")
            for secret_id in ids:
                try:
                    secret = self.find(secret_id)
                    vid = self.select_version(secret, {})
                    out["SecretValues"].append(self.value_out(secret, vid))
                except ApiError as e:
                    out["Errors"].append({"SecretId": secret_id, "ErrorCode": e.type,
                                          "Message": e.message})
            return out
        secrets = [s for s in self.state.secrets.values()
                   if s["deleted"] is None and self.matches(s, filters)]
        secrets.sort(key=lambda s: s["name"])
        chunk, token = self.page(secrets, req, 20, 20)
        for secret in chunk:
            try:
                out["SecretValues"].append(self.value_out(secret, self.select_version(secret, {})))
            except ApiError as e:
                out["Errors"].append({"SecretId": secret["name"], "ErrorCode": e.type,
                                      "Message": e.message})
        if token:
            out["NextToken"] = token
        return out

    def UpdateSecretVersionStage(self, req):
        secret = self.find(req.get("SecretId"))
        label = req.get("VersionStage")
        if not isinstance(label, str) or not LABEL_RE.match(label):
            raise invalid_param("Invalid VersionStage.")
        move_to = req.get("MoveToVersionId")
        remove_from = req.get("RemoveFromVersionId")
        for vid in (move_to, remove_from):
            if vid is not None and vid not in secret["versions"]:
                raise invalid_param("The version %s doesn't exist." % vid)
        holder = next((v for v, d in secret["versions"].items() if label in d["stages"]), None)
        if remove_from is not None and remove_from != holder:
            raise invalid_param("The parameter RemoveFromVersionId doesn't match the version "
                                "that currently has staging label %s." % label)
        if move_to is not None and holder is not None and holder != move_to and \
                remove_from is None:
            raise invalid_param("The parameter RemoveFromVersionId can't be empty. Staging "
                                "label %s is currently attached to version %s, so you must "
                                "explicitly reference that version in RemoveFromVersionId."
                                % (label, holder))
        if move_to is None and remove_from is None:
            raise invalid_param("You must specify MoveToVersionId or RemoveFromVersionId.")
        if move_to is None and label == "AWSCURRENT":
            raise invalid_param("You can only move staging label AWSCURRENT to a different "
                                "secret version. It can't be completely removed.")
        if move_to is not None:
            self.attach(secret, move_to, [label])
            if label == "AWSCURRENT" and holder != move_to:
                secret["last_rotated"] = self.state.now()
        else:
            secret["versions"][remove_from]["stages"].discard(label)
            secret["last_changed"] = self.state.now()
        return {"ARN": secret["arn"], "Name": secret["name"]}

    def ListSecretVersionIds(self, req):
        secret = self.find(req.get("SecretId"))
        versions = [{
  "VersionId" : v, "VersionStages" : sorted(d["stages"]), "CreatedDate" : d["created"]}
                    for v, d in secret["versions"].items()
                    if d["stages"] or req.get("IncludeDeprecated")]
        chunk, token = self.page(versions, req, 100, 100)
        out = {
  "ARN" : secret["arn"], "Name" : secret["name"], "Versions" : chunk}
        if token:
            out["NextToken"] = token
        return out

    def DeleteSecret(self, req):
        secret = self.find(req.get("SecretId"), allow_deleted=True)
        now = self.state.now()
        if req.get("ForceDeleteWithoutRecovery"):
            del self.state.secrets[secret["name"]]
            return {"ARN": secret["arn"], "Name": secret["name"], "DeletionDate": now}
        secret["deleted"] = now
        days = req.get("RecoveryWindowInDays", 30)
        return {
  "ARN" : secret["arn"], "Name" : secret["name"], "DeletionDate" : now + days * 86400}

#-- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- HTTP


#-- IMDS modes: the token PUT refused or unanswered, IMDSv1 served or not
IMDS_COUNTERS = ("token_puts", "v1_gets", "v2_gets")
IMDS_MODE_DEFAULTS = {"token_put": None, "require_token": True, "token_puts": 0, "v1_gets": 0,
                      "v2_gets": 0}
IMDS_HANG_SECONDS = 10


def imds_token_put_refused(handler, st):
    """Counts the PUT; True when the mode answered it (a status) or left it unanswered."""
    with st.lock:
        st.imds["token_puts"] += 1
        mode = st.imds["token_put"]
    if mode is None:
        return False
    if mode == "hang":
        # As when the PUT's answer dies at the hop limit: the connection stays open, nothing
        # comes back (the client's read timeout ends it), then it closes without an answer.
        handler.close_connection = True
        time.sleep(IMDS_HANG_SECONDS)
        return True
    handler.send(int(mode), "", "text/plain")
    return True


def imds_refuses_get(st, token):
    """The status a credentials GET is refused with (None: served). Without a token it is an
    IMDSv1 request, served only when tokens are optional; a token must be live."""
    with st.lock:
        if token is None:
            st.imds["v1_gets"] += 1
            return 401 if st.imds["require_token"] else None
        st.imds["v2_gets"] += 1
        return 401 if st.imds["tokens"].get(token, 0) < st.now() else None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None
    sm = None

    def setup(self):
        super().setup()
#Headers and body go out in separate writes : without this, Nagle + delayed ACK add
#~40 ms to every answer on a kept - alive connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args):
        pass

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send(self, status, body, content_type="application/x-amz-json-1.1", headers=None):
        data = body if isinstance(body, bytes) else body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def stream_padded(self, prefix, size, suffix):
        # A 200 answer of `size` padding bytes between prefix and suffix, with no Content-Length:
        # the client reads until the connection closes (or gives up, which ends the loop).
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Connection", "close")
        self.end_headers()
        chunk = b"a" * (1 << 20)
        sent = 0
        try:
            self.wfile.write(prefix)
            while sent < size:
                n = min(size - sent, len(chunk))
                self.wfile.write(chunk[:n])
                sent += n
            self.wfile.write(suffix)
        except OSError:
            pass
        return None

    def send_json(self, status, obj, headers=None):
        self.send(status, json.dumps(obj), headers=headers)

    def send_error_shape(self, e):
        if e.coral:
            body = {"__type": CORAL + e.type, "message": e.message}
            headers = {
  "X-Amzn-Errortype" : e.type + CORAL_SUFFIX}
        else:
            body = {"__type": e.type, "Message": e.message}
            headers = {"X-Amzn-Errortype": e.type + ":"}
        self.send_json(e.status, body, headers)

#-- controls and credential endpoints
    def do_GET(self):
        path = self.path.split("?")[0]
        st = self.state
        if path == "/_test/stats":
            with st.lock:
                return self.send_json(200, {"ops": st.ops, "auth_failures": st.auth_failures,
                                            "issued": st.issued})
        if path == "/_test/assume-role":
            with st.lock:
                return self.send_json(200, {"calls": st.assume_role["calls"]})
        if path == "/_test/container-credentials":
            expected = st.container["token"]
            if expected is not None and self.headers.get("Authorization") != expected:
                return self.send(403, json.dumps({"message": "Forbidden"}), "application/json")
            if st.container.get("huge"):
                return self.stream_padded(b'{"AccessKeyId": "ASIAHUGE", "SecretAccessKey": "',
                                          int(st.container["huge"]), b'"}')
            access, secret, token, expires = st.issue_temporary(st.container["ttl"])
            return self.send(200, json.dumps({"AccessKeyId": access, "SecretAccessKey": secret,
                                              "Token": token, "Expiration": iso(expires),
                                              "RoleArn": "arn:aws:iam::%s:role/task" % ACCOUNT}),
                             "application/json")
        if path == "/_test/imds":
            with st.lock:
                return self.send_json(200, {k: st.imds[k] for k in IMDS_COUNTERS})
        if path.startswith("/latest/meta-data/iam/security-credentials/"):
            if not st.imds["enabled"]:
                return self.send(404, "", "text/plain")
            refused = imds_refuses_get(st, self.headers.get("X-aws-ec2-metadata-token"))
            if refused:
                return self.send(refused, "", "text/plain")
            role = path[len("/latest/meta-data/iam/security-credentials/"):]
            if role == "":
                return self.send(200, st.imds["role"], "text/plain")
            if role != st.imds["role"]:
                return self.send(404, "", "text/plain")
            if st.imds.get("huge"):
                return self.stream_padded(b'{"Code": "Success", "AccessKeyId": "ASIAHUGE", '
                                          b'"SecretAccessKey": "', int(st.imds["huge"]), b'"}')
            access, secret, tok, expires = st.issue_temporary(st.imds["ttl"])
            return self.send(200, json.dumps({
                "Code": "Success", "LastUpdated": iso(st.now()), "Type": "AWS-HMAC",
                "AccessKeyId": access, "SecretAccessKey": secret, "Token": tok,
                "Expiration": iso(expires)}), "text/plain")
        return self.send(404, json.dumps({"message": "not found"}), "application/json")

    def do_PUT(self):
        body = self.read_body()
        st = self.state
        if self.path == "/latest/api/token":
            if not st.imds["enabled"]:
                return self.send(404, "", "text/plain")
            if imds_token_put_refused(self, st):
                return None
            ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
            if ttl is None or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
                return self.send(400, "", "text/plain")
            token = base64.b64encode(uuid.uuid4().bytes).decode()
            st.imds["tokens"][token] = st.now() + int(ttl)
            return self.send(200, token, "text/plain",
                             {"X-aws-ec2-metadata-token-ttl-seconds": ttl})
        del body
        return self.send(404, "", "text/plain")

    def control(self, path, req):
        st = self.state
        with st.lock:
            if path == "/_test/credentials":
                st.keys[req["access_key"]] = {"secret": req["secret_key"],
                                              "token": req.get("token"),
                                              "expires": req.get("expires"),
                                              "allow": req.get("allow")}
            elif path == "/_test/clock":
                if req.get("real"):
                    st.clock_fixed, st.clock_offset = None, 0.0
                if "set" in req:
                    st.clock_fixed, st.clock_offset = float(req["set"]), 0.0
                if "advance" in req:
                    st.clock_offset += float(req["advance"])
            elif path == "/_test/fault":
                if req.get("kind") == "clear":
                    st.faults = []
                else:
                    st.faults.append(dict(req, count=req.get("count", 1)))
            elif path == "/_test/container":
                st.container.update(req)
            elif path == "/_test/imds":
                st.imds.update(req)
            elif path == "/_test/web-identity":
                st.web_identity.update(req)
            elif path == "/_test/assume-role":
                st.assume_role.update(req)
            elif path == "/_test/region":
                st.enforce_region = req.get("region") is not None
                if st.enforce_region:
                    st.region = req["region"]
            elif path == "/_test/rotation":
                st.secrets[req["SecretId"]]["rotation"] = bool(req.get("enabled", True))
            elif path == "/_test/reset-stats":
                st.ops, st.auth_failures, st.issued = {}, 0, 0
            else:
                return self.send(404, json.dumps({"message": "no such control"}),
                                 "application/json")
        return self.send(200, json.dumps({"now": st.now()}), "application/json")

    def sts(self, body):
        st = self.state
        form = urllib.parse.parse_qs(body.decode("utf-8"))
        action = form.get("Action", [""])[0]
        ns = "https://sts.amazonaws.com/doc/2011-06-15/"
        if action == "AssumeRole":
            status, xml = assume_role(st, self, form, body)
            return self.send(status, xml, "text/xml")
        if action != "AssumeRoleWithWebIdentity":
            return self.send(400, "<ErrorResponse xmlns=\"%s\"><Error><Type>Sender</Type><Code>"
                             "InvalidAction</Code><Message>Could not find operation %s</Message>"
                             "</Error></ErrorResponse>" % (ns, action), "text/xml")
        token = form.get("WebIdentityToken", [""])[0]
        role = form.get("RoleArn", [""])[0]
        session = form.get("RoleSessionName", [""])[0]
        if st.web_identity["token"] is None or token != st.web_identity["token"]:
            return self.send(400, "<ErrorResponse xmlns=\"%s\"><Error><Type>Sender</Type><Code>"
                             "InvalidIdentityToken</Code><Message>Incorrect token audience"
                             "</Message></Error></ErrorResponse>" % ns, "text/xml")
        access, secret, tok, expires = st.issue_temporary(st.web_identity["ttl"])
        return self.send(200, (
            "<AssumeRoleWithWebIdentityResponse xmlns=\"%s\"><AssumeRoleWithWebIdentityResult>"
            "<Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey>"
            "<SessionToken>%s</SessionToken><Expiration>%s</Expiration></Credentials>"
            "<AssumedRoleUser><Arn>%s/%s</Arn></AssumedRoleUser>"
            "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>") % (
                ns, access, secret, tok, iso(expires), role, session), "text/xml")

    def do_POST(self):
        body = self.read_body()
        path = self.path.split("?")[0]
        if path.startswith("/_test/"):
            return self.control(path, json.loads(body or b"{}"))
        if path != "/":
            return self.send(404, json.dumps({"message": "not found"}), "application/json")
        if (self.headers.get("Content-Type") or "").startswith(
                "application/x-www-form-urlencoded"):
            return self.sts(body)
        self.secrets_manager(body)

    def take_fault(self, op):
        st = self.state
        with st.lock:
            for fault in st.faults:
                if fault.get("op") in (None, op) and fault["count"] > 0:
                    fault["count"] -= 1
                    return dict(fault)
        return None

    def secrets_manager(self, body):
        st = self.state
        target = self.headers.get("X-Amz-Target", "")
        prefix = "secretsmanager."
        op = target[len(prefix):] if target.startswith(prefix) else None
        try:
            try:
                verify_sigv4(st, self, body)
            except ApiError:
                with st.lock:
                    st.auth_failures += 1
                raise
            if op is None or not hasattr(SecretsManager, op) or op.startswith("_") or \
                    not op[0].isupper():
                raise ApiError("UnknownOperationException", "", coral=True)
            content_type = self.headers.get("Content-Type", "")
            if not content_type.startswith("application/x-amz-json-1.1"):
                raise ApiError("SerializationException", "Unsupported content type", coral=True)
            with st.lock:
                st.ops[op] = st.ops.get(op, 0) + 1
            fault = self.take_fault(op)
            if fault is not None:
                kind = fault["kind"]
                if kind == "throttle":
                    error = ApiError("ThrottlingException", "Rate exceeded",
                                     status=int(fault.get("status", 400)), coral=True)
                    if "retry_after" not in fault:
                        raise error
                    self.send_json(error.status, {"__type": CORAL + error.type,
                                                  "message": error.message},
                                   {"X-Amzn-Errortype": error.type + CORAL_SUFFIX,
                                    "Retry-After": str(fault["retry_after"])})
                    return None
                if kind == "unavailable":
                    raise ApiError("ServiceUnavailable", "Service Unavailable", status=503)
                if kind == "reset":
                    # SO_LINGER 0: close() sends RST instead of FIN.
                    self.close_connection = True
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                               struct.pack("ii", 1, 0))
                    self.connection.close()
                    return None
                if kind == "500":
                    return self.send(500, "<html>Internal Server Error</html>", "text/html")
                if kind == "internal":
                    raise ApiError("InternalServiceError", "An error occurred on the server "
                                   "side.", status=500)
                if kind == "malformed":
                    return self.send(200, '{"ARN": "arn:aws:secretsm')
                if kind == "deep":
                    depth = int(fault.get("depth", 1000000))
                    return self.send(200, '{"Name": "x", "SecretString": "v", "Nest": ' +
                                     "[" * depth + "]" * depth + "}")
                if kind == "huge":
                    return self.stream_padded(b'{"Name": "x", "SecretString": "',
                                              int(fault.get("bytes", 64 << 20)), b'"}')
                if kind == "drop":
#The connection dies mid - answer(a plain close before any byte would be
#retried transparently by HTTP clients on a reused connection).
                    self.close_connection = True
                    self.send_response(200)
                    self.send_header("Content-Type", "application/x-amz-json-1.1")
                    self.send_header("Content-Length", "4096")
                    self.end_headers()
                    self.wfile.write(b'{"ARN": "arn:aws:secretsmanager:')
                    self.wfile.flush()
                    try:
                        self.connection.shutdown(2)
                    except OSError:
                        pass
                    return None
                if kind == "slow":
                    time.sleep(float(fault.get("seconds", 2)))
            try:
                req = json.loads(body or b"{}")
            except ValueError:
                raise ApiError("SerializationException", "Start of structure or map found "
                               "where not expected.", coral=True)
            if not isinstance(req, dict):
                raise ApiError("SerializationException", "Expected a JSON object.", coral=True)
            key = st.keys.get(self.headers.get("Authorization", "").split("Credential=")[1]
                              .split("/")[0])
            if fault is not None and fault["kind"] == "echo":
                raise echo_error(fault, req, key)
            if key and key.get("allow") is not None and not self.allowed(key["allow"], op, req):
                raise ApiError("AccessDeniedException", (
                    "User: arn:aws:iam::%s:user/locksmith is not authorized to perform: "
                    "secretsmanager:%s on resource: %s because no identity-based policy allows "
                    "the secretsmanager:%s action") % (ACCOUNT, op, req.get("SecretId", "*"), op))
            with st.lock:
                out = getattr(self.sm, op)(req)
            return self.send_json(200, out)
        except ApiError as e:
            return self.send_error_shape(e)


    def allowed(self, allow, op, req):
        """An identity policy's Allow statements: "Op" allows Op on every resource; {"action":
        "Op" or "*", "resource": pattern or [patterns]} allows it on the resources matching an
        IAM pattern (* and ? wildcards). The resource is the secret's ARN; for a secret that does
        not exist, the ARN its SecretId names (no random suffix), so IAM can refuse a write
        before the service finds nothing there. ListSecrets and BatchGetSecretValue support no
        resource-level permissions: only "*" allows them."""
        resource = "*"
        if op not in ("ListSecrets", "BatchGetSecretValue"):
            secret_id = req.get("SecretId", req.get("Name"))
            if isinstance(secret_id, str) and secret_id:
                resource = secret_id
                if not secret_id.startswith("arn:"):
                    with self.state.lock:
                        existing = self.state.secrets.get(secret_id)
                    resource = existing["arn"] if existing else "arn:aws:secretsmanager:%s:%s:" \
                        "secret:%s" % (self.state.region, ACCOUNT, secret_id)
        for entry in allow:
            if isinstance(entry, str):
                if entry == op:
                    return True
                continue
            if entry.get("action") not in (op, "*"):
                continue
            patterns = entry.get("resource", "*")
            for pattern in [patterns] if isinstance(patterns, str) else patterns:
                if iam_pattern_matches(pattern, resource):
                    return True
        return False


def iam_pattern_matches(pattern, resource):
    """IAM resource matching: * is any run of characters (slashes included), ? one character.
    A request on resource "*" (an action without resource-level permissions) matches only "*"."""
    if resource == "*":
        return pattern == "*"
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, resource, re.S) is not None


#-- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- STS AssumeRole

STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
SESSION_NAME_RE = re.compile(r"^[\w+=,.@-]{2,64}$")
# The SigV4 failures as STS (a query protocol service) names them.
STS_AUTH_ERRORS = {
    "UnrecognizedClientException": ("InvalidClientTokenId", 403),
    "InvalidSignatureException": ("SignatureDoesNotMatch", 403),
    "ExpiredTokenException": ("ExpiredToken", 400),
    "MissingAuthenticationTokenException": ("MissingAuthenticationToken", 403),
    "IncompleteSignatureException": ("IncompleteSignature", 400),
}


def sts_error(code, message, status=400):
    return status, ("<ErrorResponse xmlns=\"%s\"><Error><Type>Sender</Type><Code>%s</Code>"
                    "<Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>") % (
                        STS_NS, code, xml_escape(message), uuid.uuid4())


def assume_role(state, handler, form, body):
    """STS AssumeRole as AWS answers it: (status, XML). Signed for service "sts" by a known key;
    RoleArn and RoleSessionName validated, DurationSeconds 900..max_session (1 hour when the
    caller is itself an assumed role: role chaining), AccessDenied for denied roles or a wrong
    ExternalId; the credentials expire after DurationSeconds (default 3600)."""
    try:
        key = verify_sigv4(state, handler, body, service_names=("sts",))
    except ApiError as e:
        code, status = STS_AUTH_ERRORS.get(e.type, (e.type, 403))
        return sts_error(code, e.message, status)
    caller = handler.headers.get("Authorization", "").split("Credential=")[1].split("/")[0]
    role = form.get("RoleArn", [""])[0]
    session = form.get("RoleSessionName", [""])[0]
    external_id = form.get("ExternalId", [None])[0]
    duration_text = form.get("DurationSeconds", ["3600"])[0]
    config = state.assume_role
    if not ROLE_ARN_RE.match(role):
        return sts_error("ValidationError", "1 validation error detected: Value '%s' at 'roleArn' "
                         "failed to satisfy constraint: Member must have length greater than or "
                         "equal to 20" % role)
    if not SESSION_NAME_RE.match(session):
        return sts_error("ValidationError", "1 validation error detected: Value '%s' at "
                         "'roleSessionName' failed to satisfy constraint: Member must satisfy "
                         "regular expression pattern: [\\w+=,.@-]*" % session)
    if not duration_text.isdigit() or not 900 <= int(duration_text) <= 43200:
        return sts_error("ValidationError", "1 validation error detected: Value '%s' at "
                         "'durationSeconds' failed to satisfy constraint: Member must have value "
                         "greater than or equal to 900" % duration_text)
    duration = int(duration_text)
    if key.get("assumed") and duration > 3600:
        return sts_error("ValidationError", "The requested DurationSeconds exceeds the 1 hour "
                         "session limit for roles assumed by role chaining.")
    if duration > int(config["max_session"]):
        return sts_error("ValidationError", "The requested DurationSeconds exceeds the "
                         "MaxSessionDuration set for this role.")
    with state.lock:
        config["calls"].append({"RoleArn": role, "RoleSessionName": session,
                                "ExternalId": external_id, "DurationSeconds": duration,
                                "Caller": caller})
    expected_id = config["external_ids"].get(role)
    if role in config["denied"] or (expected_id is not None and external_id != expected_id):
        return sts_error("AccessDenied", "User: arn:aws:iam::%s:user/locksmith is not authorized "
                         "to perform: sts:AssumeRole on resource: %s" % (ACCOUNT, role), 403)
    access, secret, token, expires = state.issue_temporary(duration)
    with state.lock:
        state.keys[access]["assumed"] = role
    role_name = role.split("/")[-1]
    return 200, (
        "<AssumeRoleResponse xmlns=\"%s\"><AssumeRoleResult><AssumedRoleUser>"
        "<AssumedRoleId>AROA3XFRBF535PLBIFPI4:%s</AssumedRoleId>"
        "<Arn>arn:aws:sts::%s:assumed-role/%s/%s</Arn></AssumedRoleUser>"
        "<Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey>"
        "<SessionToken>%s</SessionToken><Expiration>%s</Expiration></Credentials>"
        "</AssumeRoleResult><ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata>"
        "</AssumeRoleResponse>") % (STS_NS, session, ACCOUNT, role_name, session, access, secret,
                                    token, iso(expires), uuid.uuid4())


def echo_error(fault, req, key):
    """The error of an "echo" fault: everything secret the request touched, in many forms."""
    quoted = []
    value = req.get("SecretString")
    if isinstance(value, str):
        raw = value.encode("utf-8", "surrogatepass")
        quoted += ["Value '%s' at 'secretString' failed to satisfy constraint" % value,
                   "as JSON %s" % json.dumps(value), "as base64 %s" % base64.b64encode(raw).decode(),
                   "as base64url %s" % base64.urlsafe_b64encode(raw).decode().rstrip("=")]
    if isinstance(req.get("SecretBinary"), str):
        quoted.append("Value '%s' at 'secretBinary'" % req["SecretBinary"])
    if isinstance(req.get("SecretId"), str):
        quoted.append("for secret %s" % req["SecretId"])
    if key:
        quoted.append("signed with %s" % key.get("secret"))
        if key.get("token"):
            quoted.append("session %s" % key["token"])
    return ApiError(fault.get("type", "ValidationException"), "; ".join(quoted),
                    status=int(fault.get("status", 400)))


def main():
    port = 0
    region = "us-east-1"
    args = sys.argv[1:]
    if "--port" in args:
        port = int(args[args.index("--port") + 1])
    if "--region" in args:
        region = args[args.index("--region") + 1]
    state = State(region)
    state.enforce_region = "--region" in args
    Handler.state = state
    Handler.sm = SecretsManager(state)
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
