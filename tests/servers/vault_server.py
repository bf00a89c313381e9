#!/usr/bin/python3
"""A Vault test server: the subset of HashiCorp Vault's HTTP API that locksmith uses.

Python 3 standard library only. Faithful to the documented API (response envelopes, status codes
and error bodies of api-docs/secret/kv/kv-v2, auth/approle and auth/token) for:

  KV v2      GET/POST/PUT/DELETE <mount>/data/<path> (?version=N, options.cas),
             GET/LIST/DELETE <mount>/metadata/<path> (also GET ?list=true),
             POST/PUT <mount>/metadata/<path> (delete_version_after only: each version then
             written gets deletion_time = created_time + delete_version_after, and reads
             answer 404 once the clock has passed it, as path_data.go does),
             POST <mount>/delete|undelete|destroy/<path>
  AppRole    POST auth/approle/login, role create/read, role-id, secret-id
  Tokens     auth/token/lookup-self, renew-self (TTL and max TTL, capped by the system max TTL,
             768h unless --max-lease-ttl), revoke-self, create; the self endpoints need the
             built-in "default" policy (no_default_policy / token_no_default_policy drop it),
             and a dead token's 403 says "invalid token"
  Standby    --standby-redirect-to URL: 307 to the active node for every /v1 request
  ACL        sys/policy/<name> and sys/policies/acl/<name> (HCL path blocks with capabilities),
             POST sys/capabilities-self (granted by the default policy)
  Namespaces sys/namespaces/<name>, the X-Vault-Namespace header
  Mounts     POST sys/mounts/<path> (type "kv" with options.version "2", or "kv-v2": a KV v2
             store; any other type or KV v1 is recorded, answers 404 under it), paths of any
             number of segments routed by the longest matching mount, as Vault's router does;
             GET sys/internal/ui/mounts/<path> as logical_system.go pathInternalUIMountRead
             (see ui_mount_read)

Time comes from the server's own clock, which only moves when told to (POST /_test/clock/advance
{"seconds": N}), so token expiry is tested without sleeping; --real-clock makes it follow the wall
clock (plus what was advanced) for long runs against a live service.

Test controls (no token needed, never under /v1):
  POST /_test/clock/advance {"seconds": N}
  POST /_test/fault {"mode": "none|sealed|429|500|502|412|slow|drop|reset|truncated|malformed|
                              echo|deep|huge|answer",
                     "count": N (optional: fault only the next N requests), "path": "prefix",
                     "rate": R (optional: fault a share R of the matching requests, 0..1),
                     "method": "GET" (optional: only requests with this method)}
       (a "slow" request hangs until the fault is cleared or "delay" seconds pass; "echo" answers
       "status" (400) with errors quoting the request's body raw, JSON-encoded and base64, and its
       X-Vault-Token: a careless proxy or mock; "deep" answers a valid KV read whose data nests
       "depth" (1,000,000) arrays; "huge" streams a valid KV read of "bytes" (64 MiB) without
       Content-Length until the client hangs up; "answer" sends "body" (JSON) with "status" (200):
       a proxy or a server that answers something else; "retry_after": N adds Retry-After: N to a
       429, as a rate limit quota does; "drop" closes the connection before answering, "reset"
       aborts it with a TCP RST, "truncated" sends headers announcing more body than it sends,
       then closes)
  POST /_test/standby {"redirect_to": URL, "count": N, "omit_location": bool}: answer 307 to
                      the active node at URL (Handler.apply_standby); {} ends it
  POST /_test/config {"max_lease_ttl": "768h"}: the system max TTL (also --max-lease-ttl)
  GET  /_test/stats   counters: requests (and by_area: per "secret/data", "auth/approle", ...),
                      logins, renewals, lookups, connections, data_reads
                      (KV v2 data GETs), metadata_reads, redirects
  POST /_test/revoke {"token": "..."}  revokes a token (as an operator would)

Prints the port on stdout once listening on 127.0.0.1 (port 0 unless --port).
"""

import argparse
import base64
import datetime
import json
import os
import random
import re
import secrets
import socket
import socketserver
import struct
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

ROOT_NS = ""
LOCK = threading.RLock()


class Clock:
    """Frozen at 2026-01-01T00:00:00Z and moved only when advanced; with --real-clock (a service
    under load for minutes, scripts/test-secret-rotation.sh) the wall clock plus what was
    advanced."""

    def __init__(self):
        self.frozen = 1767225600.0
        self.real = False
        self.offset = 0.0

    @property
    def now(self):
        return (time.time() + self.offset) if self.real else self.frozen

    def advance(self, seconds):
        if self.real:
            self.offset += seconds
        else:
            self.frozen += seconds

    def rfc3339(self, t=None):
        t = self.now if t is None else t
        dt = datetime.datetime.fromtimestamp(t, tz=datetime.timezone.utc)
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%06d000Z" % dt.microsecond


CLOCK = Clock()


def parse_rfc3339(text):
    """The epoch seconds of a time this server wrote with Clock.rfc3339."""
    dt = datetime.datetime.strptime(text[:26], "%Y-%m-%dT%H:%M:%S.%f")
    return dt.replace(tzinfo=datetime.timezone.utc).timestamp()


def version_deleted(v):
    """As path_data.go: a version is deleted once its deletion_time has passed (a future one, set
    by delete_version_after, still reads). At the very instant (Vault: Before(now), false) this
    frozen clock counts it deleted, or a version deleted "now" would still read."""
    return bool(v["deletion_time"]) and parse_rfc3339(v["deletion_time"]) <= CLOCK.now


def go_duration_string(seconds):
    """Go's time.Duration.String() for whole seconds: "0s", "30m0s", "1h0m0s"."""
    seconds = int(seconds)
    if seconds == 0:
        return "0s"
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    if h:
        return "%dh%dm%ds" % (h, m, s)
    if m:
        return "%dm%ds" % (m, s)
    return "%ds" % s


def parse_duration(value, default=0):
    """Vault accepts Go durations ("1h30m", "90s") or integer seconds."""
    if value is None or value == "":
        return default
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value).strip()
    if re.fullmatch(r"\d+", text):
        return int(text)
    total = 0.0
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    pos = 0
    for match in re.finditer(r"(\d+(?:\.\d+)?)(ms|h|m|s)", text):
        if match.start() != pos:
            raise ValueError("bad duration")
        total += float(match.group(1)) * units[match.group(2)]
        pos = match.end()
    if pos != len(text):
        raise ValueError("bad duration")
    return int(total)


def go_duration(seconds):
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return "%dh%dm%ds" % (h, m, s)


class VaultError(Exception):
    def __init__(self, status, errors, body=None):
        super().__init__(status)
        self.status = status
        self.errors = errors
        self.body = body


def permission_denied():
    return VaultError(403, ["1 error occurred:\n\t* permission denied\n\n"])


def invalid_token():
    """A missing, expired, revoked or unknown token: Vault adds "invalid token" to the 403
    (website/content/docs/concepts/tokens.mdx, "Error responses"); a valid token without the
    capability gets "permission denied" alone."""
    return VaultError(403, ["2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n"])


# The paths of Vault's built-in "default" policy that locksmith relies on (the real one has more:
# sys/capabilities-self, cubbyhole/*, ...). A token created with no_default_policy (or from a role
# with token_no_default_policy) lacks them: lookup-self and renew-self answer 403.
DEFAULT_POLICY = """
path "auth/token/lookup-self" {
  capabilities = ["read"]
}
path "auth/token/renew-self" {
  capabilities = ["update"]
}
path "auth/token/revoke-self" {
  capabilities = ["update"]
}
path "sys/capabilities-self" {
  capabilities = ["update"]
}
"""

# Vault's system max TTL (max_lease_ttl in the server config): 768h unless configured. A token
# whose own max TTL is 0 (or larger) is capped by it, at issue and at every renewal.
DEFAULT_MAX_LEASE_TTL = 768 * 3600


class Namespace:
    def __init__(self, path):
        self.path = path
        self.kv = {"secret": {}}  # KV v2 mount (no slashes at the ends) -> path -> secret record
        self.mounts = {"secret": kv2_mount_entry()}  # every mount -> its sys/mounts entry
        self.policies = {}  # name -> [(pattern, set(capabilities))]
        self.policy_text = {}
        self.roles = {}  # role name -> role record
        self.children = set()
        self.policies["default"] = parse_policy_hcl(DEFAULT_POLICY)
        self.policy_text["default"] = DEFAULT_POLICY


class State:
    def __init__(self, root_token):
        self.namespaces = {ROOT_NS: Namespace(ROOT_NS)}
        self.tokens = {}
        self.add_token(root_token, ["root"], ROOT_NS, ttl=0, max_ttl=0, renewable=False,
                       path="auth/token/root", display="root")
        self.stats = {"requests": 0, "logins": 0, "renewals": 0, "lookups": 0, "connections": 0,
                      "failed_logins": 0, "data_reads": 0, "metadata_reads": 0}
        self.fault = {"mode": "none"}
        self.fault_random = random.Random(1)  # "rate" faults: the same requests fail every run
        self.fault_release = threading.Event()
        self.standby = {}  # see Handler.apply_standby
        self.max_lease_ttl = DEFAULT_MAX_LEASE_TTL

    def add_token(self, token_id, policies, ns, ttl, max_ttl, renewable, path, display,
                  meta=None):
        now = CLOCK.now
        if ttl:  # root tokens (ttl 0) never expire; every other one is capped by the system max
            max_ttl = min(max_ttl or self.max_lease_ttl, self.max_lease_ttl)
            ttl = min(ttl, max_ttl)
        record = {
            "id": token_id, "accessor": secrets.token_hex(12), "policies": sorted(set(policies)),
            "ns": ns, "creation_time": now, "issue_time": now, "creation_ttl": ttl, "ttl": ttl,
            "expire": now + ttl if ttl else None,
            "max_expire": now + max_ttl if max_ttl else None, "renewable": renewable,
            "path": path, "display_name": display, "meta": meta,
            "entity_id": str(uuid.uuid4()) if path != "auth/token/root" else "",
        }
        self.tokens[token_id] = record
        return record


def normalize_ns(value):
    value = (value or "").strip("/")
    return value + "/" if value else ROOT_NS


def parse_policy_hcl(text):
    """Parses HCL path blocks: path "x/*" { capabilities = ["read", "list"] }."""
    rules = []
    for match in re.finditer(r'path\s+"([^"]+)"\s*\{([^}]*)\}', text, re.S):
        caps = re.search(r"capabilities\s*=\s*\[([^\]]*)\]", match.group(2))
        if not caps:
            raise ValueError("path block without capabilities")
        names = set(re.findall(r'"([^"]+)"', caps.group(1)))
        rules.append((match.group(1), names))
    if not rules and text.strip():
        raise ValueError("no path blocks")
    return rules


def pattern_matches(pattern, path):
    regex = ""
    for i, ch in enumerate(pattern):
        if ch == "*" and i == len(pattern) - 1:
            regex += ".*"
        elif ch == "+":
            regex += "[^/]+"
        else:
            regex += re.escape(ch)
    return re.fullmatch(regex, path) is not None


def capabilities_for(ns, policies, path):
    if "root" in policies:
        return {"root"}
    best = None
    for name in policies:
        for pattern, caps in ns.policies.get(name, []):
            if pattern_matches(pattern, path):
                # The most specific (longest) pattern wins, as in Vault's priority matching.
                key = (len(pattern.rstrip("*")), not pattern.endswith("*"))
                if best is None or key > best[0]:
                    best = (key, set(caps))
                elif key == best[0]:
                    best[1].update(caps)
    return best[1] if best else set()


# ---- mounts ----
# Vault's mount table: a mount's path may have any number of segments ("team/kv"); a request
# goes to the longest mount that prefixes it (router.go MatchingMount).

def mount_entry(mount_type, options, description=""):
    """An entry as logical_system.go mountInfo() describes it."""
    prefix = "kv" if mount_type == "kv" else mount_type
    return {"type": mount_type, "description": description,
            "accessor": "%s_%s" % (prefix, secrets.token_hex(4)), "local": False,
            "seal_wrap": False, "external_entropy_access": False, "options": options,
            "uuid": str(uuid.uuid4()), "plugin_version": "",
            "running_plugin_version": "v0.0.0+builtin" if mount_type == "kv" else "",
            "running_sha256": "",
            "config": {"default_lease_ttl": 0, "max_lease_ttl": 0, "force_no_cache": False}}


def kv2_mount_entry():
    return mount_entry("kv", {"version": "2"}, "key/value secret storage")


def matching_mount(ns, path):
    """The longest mount (no slashes at the ends) prefixing `path`, or None."""
    best = None
    for mount in ns.mounts:
        if (path + "/").startswith(mount + "/") and (best is None or len(mount) > len(best)):
            best = mount
    return best


def enable_mount(ns, path, body):
    """POST sys/mounts/<path>: "kv-v2" is type "kv" with options.version "2" (as Vault stores
    it); only a KV v2 mount gets a store here."""
    mount_type = body.get("type")
    if not mount_type:
        raise VaultError(400, ["backend type must be specified as a string"])
    options = body.get("options") or None
    if mount_type == "kv-v2":
        mount_type, options = "kv", dict(options or {}, version="2")
    if not path:
        raise VaultError(400, ["missing mount path"])
    for existing in ns.mounts:
        if (path + "/").startswith(existing + "/") or (existing + "/").startswith(path + "/"):
            raise VaultError(400, ["path is already in use at %s/" % existing])
    ns.mounts[path] = mount_entry(mount_type, options, str(body.get("description", "")))
    if mount_type == "kv" and (options or {}).get("version") == "2":
        ns.kv[path] = {}
    return 204, None


def has_mount_access(ns, policies, mount):
    """logical_system.go hasMountAccess: the token has a capability on the mount's own path, or
    on some path inside it through an exact or glob rule. Rules with "+" (segment wildcards)
    live in another table that this walk does not visit."""
    caps = capabilities_for(ns, policies, mount + "/")
    if "root" in caps or (caps and "deny" not in caps):
        return True
    granting = {"create", "read", "update", "delete", "list", "sudo"}
    for name in policies:
        for pattern, rule_caps in ns.policies.get(name, []):
            if "+" in pattern or not pattern.rstrip("*").startswith(mount + "/"):
                continue
            if "deny" not in rule_caps and rule_caps & granting:
                return True
    return False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "VaultTestServer"
    sys_version = ""

    def log_message(self, fmt, *args):  # quiet: never print request lines (they hold paths)
        pass

    def setup(self):
        super().setup()
        # Like Vault (Go's net package sets TCP_NODELAY on every connection). Without it the
        # headers and body, written separately, meet Nagle + delayed ACK: a ~40 ms stall on each
        # keep-alive response that no real Vault has.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with LOCK:
            self.server.state.stats["connections"] += 1

    # ---- plumbing ----
    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_LIST(self):
        self.dispatch("LIST")

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return {}
        try:
            body = json.loads(raw)
        except ValueError:
            raise VaultError(400, ["failed to parse JSON input"])
        if not isinstance(body, dict):
            raise VaultError(400, ["failed to parse JSON input"])
        return body

    def send_json(self, status, payload, headers=None):
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if payload is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def envelope(self, data=None, auth=None, warnings=None, lease_duration=0, renewable=False):
        return {"request_id": str(uuid.uuid4()), "lease_id": "", "renewable": renewable,
                "lease_duration": lease_duration, "data": data, "wrap_info": None,
                "warnings": warnings, "auth": auth, "mount_type": ""}

    def dispatch(self, method):
        state = self.server.state
        split = urlsplit(self.path)
        query = parse_qs(split.query)
        path = unquote(split.path)
        try:
            body = self.read_body() if method in ("POST", "PUT") else {}
            if path.startswith("/_test/"):
                status, payload = self.test_control(method, path, body)
                self.send_json(status, payload)
                return
            with LOCK:
                state.stats["requests"] += 1
                # Per the path's first two segments ("secret/data", "auth/approle"), faults included.
                area = "/".join(path[len("/v1/"):].split("/")[:2])
                by_area = state.stats.setdefault("by_area", {})
                by_area[area] = by_area.get(area, 0) + 1
            if self.apply_standby(path):
                return
            if self.apply_fault(method, path, body):
                return
            if method == "GET" and query.get("list", [""])[0] == "true":
                method = "LIST"
            if not path.startswith("/v1/"):
                raise VaultError(404, [])
            status, payload = self.route(method, path[4:], query, body)
            self.send_json(status, payload)
        except VaultError as e:
            self.send_json(e.status, e.body if e.body is not None else {"errors": e.errors})
        except (ValueError, KeyError, TypeError) as e:
            self.send_json(400, {"errors": [str(e)]})

    def apply_fault(self, method, path, body):
        state = self.server.state
        with LOCK:
            fault = dict(state.fault)
            mode = fault.get("mode", "none")
            if mode == "none" or not path.startswith("/v1/" + fault.get("path", "")):
                return False
            if fault.get("method") not in (None, method):
                return False
            if "rate" in fault and state.fault_random.random() >= float(fault["rate"]):
                return False  # this request passes: the fault hits a "rate" share (0..1) of them
            if "count" in fault:
                state.fault["count"] -= 1
                if state.fault["count"] <= 0:
                    state.fault = {"mode": "none"}
        if mode == "sealed":
            self.send_json(503, {"errors": ["Vault is sealed"]})
        elif mode == "429":
            headers = {}
            if "retry_after" in fault:
                headers["Retry-After"] = str(fault["retry_after"])
            self.send_json(429, {"errors": ["request rate limit exceeded"]}, headers)
        elif mode == "500":
            self.send_json(500, {"errors": ["internal error"]})
        elif mode == "502":
            self.send_json(502, {"errors": ["bad gateway"]})
        elif mode == "412":
            self.send_json(412, {"errors": ["required index state not present"]})
        elif mode == "echo":
            values = [v for v in (body.get("data") or {}).values() if isinstance(v, str)]
            values += [v for v in body.values() if isinstance(v, str)]
            quoted = ["value %s" % v for v in values]
            quoted += ["base64 %s" % base64.b64encode(v.encode()).decode() for v in values]
            quoted.append("body %s" % json.dumps(body))
            quoted.append("token %s" % self.headers.get("X-Vault-Token", ""))
            self.send_json(int(fault.get("status", 400)),
                           {"errors": ["1 error occurred:\n\t* " + "; ".join(quoted) + "\n\n"]})
        elif mode == "answer":
            self.send_json(int(fault.get("status", 200)), fault.get("body"))
        elif mode == "malformed":
            data = b'{"data": {"data": {"value": '
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        elif mode == "deep":
            depth = int(fault.get("depth", 1000000))
            data = (b'{"data": {"data": {"value": "v", "nest": ' + b"[" * depth + b"]" * depth +
                    b'}, "metadata": {"version": 1, "created_time": "2024-01-01T00:00:00Z"}}}')
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        elif mode == "huge":
            self.stream_padded(b'{"data": {"data": {"value": "', int(fault.get("bytes", 64 << 20)),
                               b'"}, "metadata": {"version": 1, '
                               b'"created_time": "2024-01-01T00:00:00Z"}}}')
        elif mode == "drop":
            self.close_connection = True
            self.connection.shutdown(2)
        elif mode == "reset":
            # SO_LINGER 0: close() sends RST instead of FIN (a crashed proxy, a dropped NAT entry).
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
        elif mode == "truncated":
            data = b'{"request_id": "x", "data": {"data": {"value": "'
            self.close_connection = True
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "4096")
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
            self.connection.shutdown(2)
        elif mode == "slow":
            state.fault_release.wait(float(fault.get("delay", 30)))
            self.close_connection = True
            return True
        else:
            return False
        return True

    # ---- standby ----
    # A performance standby without request forwarding (or whose forwarding failed) answers every
    # /v1 request, the health and leader endpoints aside, with 307 and Location: the active node's
    # api_addr + the same path and query (http/handler.go, respondStandby), empty body. Set by
    # --standby-redirect-to URL or POST /_test/standby {"redirect_to": URL, "count": N (only the
    # next N requests), "omit_location": true (a broken node: no Location)}; {} turns it off.
    STANDBY_LOCAL = ("/v1/sys/health", "/v1/sys/leader", "/v1/sys/seal-status")

    def apply_standby(self, path):
        state = self.server.state
        with LOCK:
            standby = dict(state.standby)
            if not standby or not path.startswith("/v1/") or path in self.STANDBY_LOCAL:
                return False
            if "count" in standby:
                state.standby["count"] -= 1
                if state.standby["count"] <= 0:
                    state.standby = {}
            state.stats["redirects"] = state.stats.get("redirects", 0) + 1
        self.send_response(307)
        if not standby.get("omit_location"):
            self.send_header("Location", standby["redirect_to"].rstrip("/") + self.path)
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", "0")
        self.end_headers()
        return True

    def stream_padded(self, prefix, size, suffix):
        # A 200 answer of `size` padding bytes between prefix and suffix, with no Content-Length:
        # the client reads until the connection closes (or gives up, which ends the loop).
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
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

    def test_control(self, method, path, body):
        state = self.server.state
        with LOCK:
            if path == "/_test/clock/advance" and method == "POST":
                CLOCK.advance(float(body.get("seconds", 0)))
                return 200, {"now": CLOCK.now}
            if path == "/_test/fault" and method == "POST":
                mode = body.get("mode", "none")
                state.fault = {"mode": mode}
                for key in ("count", "path", "delay", "method", "status", "body", "retry_after",
                            "rate"):
                    if key in body:
                        state.fault[key] = body[key]
                if mode == "none":
                    state.fault_release.set()
                else:
                    state.fault_release = threading.Event()
                return 200, {"fault": state.fault}
            if path == "/_test/standby" and method == "POST":
                state.standby = {k: body[k] for k in ("redirect_to", "count", "omit_location")
                                 if k in body}
                return 200, {"standby": state.standby}
            if path == "/_test/config" and method == "POST":
                if "max_lease_ttl" in body:
                    state.max_lease_ttl = parse_duration(body["max_lease_ttl"])
                return 200, {"max_lease_ttl": state.max_lease_ttl}
            if path == "/_test/stats":
                return 200, dict(state.stats)
            if path == "/_test/revoke" and method == "POST":
                state.tokens.pop(body.get("token", ""), None)
                return 204, None
        raise VaultError(404, ["unknown test control"])

    # ---- auth ----
    def token(self, ns):
        """The calling token, or 403 as Vault answers for a missing, expired or revoked one."""
        token_id = self.headers.get("X-Vault-Token")
        if not token_id:
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Bearer "):
                token_id = auth[7:]
        record = self.server.state.tokens.get(token_id or "")
        if record is None:
            raise invalid_token()
        if record["expire"] is not None and CLOCK.now >= record["expire"]:
            self.server.state.tokens.pop(token_id, None)
            raise invalid_token()
        if record["ns"] != ns.path and "root" not in record["policies"]:
            raise permission_denied()
        return record

    def require(self, ns, token, path, capability):
        caps = capabilities_for(ns, token["policies"], path)
        if "root" in caps:
            return
        if "deny" in caps or capability not in caps:
            raise permission_denied()

    def namespace(self):
        ns_path = normalize_ns(self.headers.get("X-Vault-Namespace"))
        ns = self.server.state.namespaces.get(ns_path)
        if ns is None:
            raise VaultError(404, ["no handler for route; namespace not found"])
        return ns

    def auth_block(self, record, warnings=None):
        return {"client_token": record["id"], "accessor": record["accessor"],
                "policies": record["policies"],
                "token_policies": record["policies"], "metadata": record["meta"],
                "lease_duration": record["ttl"], "renewable": record["renewable"],
                "entity_id": record["entity_id"], "token_type": "service", "orphan": True,
                "mfa_requirement": None, "num_uses": 0}

    def route(self, method, path, query, body):
        state = self.server.state
        with LOCK:
            ns = self.namespace()
            if path == "auth/approle/login" and method in ("POST", "PUT"):
                return self.approle_login(ns, body)
            if path.startswith("auth/token/"):
                return self.token_endpoint(ns, method, path[len("auth/token/"):], body)
            if path.startswith("sys/internal/ui/mounts/") and method == "GET":
                return self.ui_mount_read(ns, path[len("sys/internal/ui/mounts/"):])
            token = self.token(ns)
            if path.startswith("auth/approle/role/"):
                return self.approle_admin(ns, token, method, path, body)
            if path.startswith("sys/"):
                return self.sys_endpoint(ns, token, method, path[4:], body)
            if path.startswith("sys/auth/"):
                return 204, None
            mount = matching_mount(ns, path)
            if mount in ns.kv:
                return self.kv(ns, token, mount, method, path[len(mount) + 1:], query, body)
            if mount is not None:
                raise VaultError(404, [])  # a mount of another kind: not modelled
            caps = capabilities_for(ns, token["policies"], path)
            if "root" not in caps and (not caps or "deny" in caps):
                raise permission_denied()  # the ACL check comes before routing
        raise VaultError(404, ["no handler for route \"%s\". route entry not found." % path])

    def approle_login(self, ns, body):
        state = self.server.state
        role_id = str(body.get("role_id", ""))
        secret_id = str(body.get("secret_id", ""))
        for name, role in ns.roles.items():
            matched = any(secrets.compare_digest(secret_id.encode(), known.encode())
                          for known in role["secret_ids"])
            if secrets.compare_digest(role["role_id"].encode(), role_id.encode()) and matched:
                state.stats["logins"] += 1
                default = [] if role.get("token_no_default_policy") else ["default"]
                record = state.add_token(
                    "hvs." + secrets.token_urlsafe(18), default + role["token_policies"],
                    ns.path, role["token_ttl"], role["token_max_ttl"], True,
                    "auth/approle/login", "approle", {"role_name": name})
                return 200, self.envelope(auth=self.auth_block(record))
        state.stats["failed_logins"] += 1
        raise VaultError(400, ["invalid role or secret ID"])

    def approle_admin(self, ns, token, method, path, body):
        rest = path[len("auth/approle/role/"):]
        name, _, sub = rest.partition("/")
        self.require(ns, token, path, "update" if method in ("POST", "PUT") else "read")
        if sub == "" and method in ("POST", "PUT"):
            role = ns.roles.setdefault(name, {"role_id": str(uuid.uuid4()), "secret_ids": set()})
            policies = body.get("token_policies", body.get("policies", []))
            if isinstance(policies, str):
                policies = [p for p in policies.split(",") if p]
            role["token_policies"] = list(policies)
            role["token_ttl"] = parse_duration(body.get("token_ttl"), 2764800)
            role["token_max_ttl"] = parse_duration(body.get("token_max_ttl"), 0)
            role["token_no_default_policy"] = bool(body.get("token_no_default_policy", False))
            if "role_id" in body:
                role["role_id"] = str(body["role_id"])
            return 204, None
        role = ns.roles.get(name)
        if role is None:
            raise VaultError(404, [])
        if sub == "":
            return 200, self.envelope(data={
                "token_policies": role["token_policies"], "token_ttl": role["token_ttl"],
                "token_max_ttl": role["token_max_ttl"], "bind_secret_id": True})
        if sub == "role-id":
            if method in ("POST", "PUT"):
                role["role_id"] = str(body["role_id"])
                return 204, None
            return 200, self.envelope(data={"role_id": role["role_id"]})
        if sub in ("secret-id", "custom-secret-id") and method in ("POST", "PUT"):
            secret_id = str(body.get("secret_id") or uuid.uuid4())
            role["secret_ids"].add(secret_id)
            return 200, self.envelope(data={
                "secret_id": secret_id, "secret_id_accessor": str(uuid.uuid4()),
                "secret_id_ttl": 0, "secret_id_num_uses": 0})
        raise VaultError(405, ["unsupported operation"])

    def token_endpoint(self, ns, method, op, body):
        state = self.server.state
        token = self.token(ns)
        now = CLOCK.now
        if op in ("lookup-self", "renew-self", "revoke-self"):
            # Granted by the default policy, which a token may lack (no_default_policy).
            self.require(ns, token, "auth/token/" + op,
                         "read" if method == "GET" else "update")
        if op == "lookup-self" and method == "GET":
            state.stats["lookups"] += 1
            ttl = 0 if token["expire"] is None else int(token["expire"] - now)
            expire_time = None if token["expire"] is None else CLOCK.rfc3339(token["expire"])
            return 200, self.envelope(data={
                "accessor": token["accessor"], "creation_time": int(token["creation_time"]),
                "creation_ttl": token["creation_ttl"], "display_name": token["display_name"],
                "entity_id": token["entity_id"], "expire_time": expire_time,
                "explicit_max_ttl": 0, "id": token["id"],
                "issue_time": CLOCK.rfc3339(token["issue_time"]), "meta": token["meta"],
                "num_uses": 0, "orphan": True, "path": token["path"],
                "policies": token["policies"], "renewable": token["renewable"], "ttl": ttl,
                "type": "service"})
        if op == "renew-self" and method in ("POST", "PUT"):
            if not token["renewable"]:
                raise VaultError(400, ["lease is not renewable"])
            increment = parse_duration(body.get("increment"), 0) or token["creation_ttl"]
            warnings = None
            ttl = increment
            if token["max_expire"] is not None and now + ttl > token["max_expire"]:
                ttl = max(0, int(token["max_expire"] - now))
                warnings = ["TTL of \"%s\" exceeded the effective max_ttl of \"%s\"; TTL value "
                            "is capped accordingly" % (go_duration(increment), go_duration(ttl))]
            token["ttl"] = ttl
            token["expire"] = now + ttl
            state.stats["renewals"] += 1
            return 200, self.envelope(auth=self.auth_block(token), warnings=warnings)
        if op == "revoke-self" and method in ("POST", "PUT"):
            state.tokens.pop(token["id"], None)
            return 204, None
        if op == "create" and method in ("POST", "PUT"):
            self.require(ns, token, "auth/token/create", "update")
            ttl = parse_duration(body.get("ttl"), 2764800)
            max_ttl = parse_duration(body.get("explicit_max_ttl"), 0)
            default = [] if body.get("no_default_policy") else ["default"]
            record = state.add_token(str(body.get("id") or "hvs." + secrets.token_urlsafe(18)),
                                     default + list(body.get("policies", [])), ns.path, ttl,
                                     max_ttl, bool(body.get("renewable", True)),
                                     "auth/token/create", "token", body.get("meta"))
            return 200, self.envelope(auth=self.auth_block(record))
        raise VaultError(405, ["unsupported operation"])

    def sys_endpoint(self, ns, token, method, op, body):
        state = self.server.state
        for prefix in ("policy/", "policies/acl/"):
            if op.startswith(prefix):
                name = op[len(prefix):]
                self.require(ns, token, "sys/" + op, "update" if method in ("POST", "PUT")
                             else "read")
                if method in ("POST", "PUT"):
                    text = body.get("policy", "")
                    if isinstance(text, str) and re.fullmatch(r"[A-Za-z0-9+/=\s]+", text) and \
                            "path" not in text:
                        text = base64.b64decode(text).decode()
                    ns.policies[name] = parse_policy_hcl(text)
                    ns.policy_text[name] = text
                    return 204, None
                if method == "DELETE":
                    ns.policies.pop(name, None)
                    return 204, None
                if name not in ns.policy_text:
                    raise VaultError(404, [])
                return 200, self.envelope(data={"name": name, "rules": ns.policy_text[name],
                                                "policy": ns.policy_text[name]})
        if op == "capabilities-self" and method in ("POST", "PUT"):
            self.require(ns, token, "sys/capabilities-self", "update")
            return self.capabilities_self(ns, token, body)
        if op.startswith("namespaces/") and method in ("POST", "PUT"):
            self.require(ns, token, "sys/" + op, "update")
            child = normalize_ns(ns.path + op[len("namespaces/"):])
            state.namespaces.setdefault(child, Namespace(child))
            return 200, self.envelope(data={"path": child, "id": secrets.token_hex(3)})
        if op.startswith("auth/") and method in ("POST", "PUT"):
            return 204, None  # approle is always enabled
        if op.startswith("mounts/") and method in ("POST", "PUT"):
            self.require(ns, token, "sys/" + op, "update")
            return enable_mount(ns, op[len("mounts/"):].strip("/"), body)
        raise VaultError(404, ["unsupported path"])

    def capabilities_self(self, ns, token, body):
        """POST sys/capabilities-self (api-docs/system/capabilities-self; logical_system.go
        handleCapabilities): the calling token's capabilities on each of "paths" (or the
        deprecated single "path"), sorted as Core.Capabilities sorts them; "root" for a root
        token, ["deny"] where no policy grants anything (or a rule says deny). With one path it
        is also under "capabilities", for older clients. Vault copies the data to the top level
        of sys answers too, as here."""
        paths = body.get("paths")
        if paths is None and body.get("path"):
            paths = [body.get("path")]
        if isinstance(paths, str):
            paths = [p for p in paths.split(",") if p]
        if not paths or not all(isinstance(p, str) for p in paths):
            raise VaultError(400, ["missing paths"])
        data = {}
        for path in paths:
            caps = capabilities_for(ns, token["policies"], path.lstrip("/"))
            if "root" in caps:
                data[path] = ["root"]
            elif not caps or "deny" in caps:
                data[path] = ["deny"]
            else:
                data[path] = sorted(caps)
        if len(paths) == 1:
            data["capabilities"] = data[paths[0]]
        answer = self.envelope(data=data)
        answer.update(data)
        return 200, answer

    def ui_mount_read(self, ns, path):
        """GET sys/internal/ui/mounts/<path> (pathInternalUIMountRead): an unauthenticated route
        whose handler still reads the token's ACL. Answers the mount holding <path> (data.path
        with a trailing slash); 403 with the same "preflight" error both for a path under no
        mount (so mounts cannot be probed) and for a token without access to the mount."""
        if not path.strip("/"):
            raise VaultError(400, ["path not set"])
        path = path.lstrip("/")
        path = path if path.endswith("/") else path + "/"
        denied = VaultError(403, ["preflight capability check returned 403, please ensure "
                                  "client's policies grant access to path \"%s\"" % path])
        mount = matching_mount(ns, path.rstrip("/"))
        if mount is None:
            raise denied
        token = self.token(ns)
        if not has_mount_access(ns, token["policies"], mount):
            raise denied
        data = dict(ns.mounts[mount])
        data["path"] = mount + "/"
        return 200, self.envelope(data=data)

    # ---- KV v2 ----
    def kv(self, ns, token, mount, method, rest, query, body):
        store = ns.kv[mount]
        op, _, path = rest.partition("/")
        full = "%s/%s/%s" % (mount, op, path)
        if op == "data":
            path = path.strip("/")
            if method == "GET":
                self.require(ns, token, full, "read")
                self.server.state.stats["data_reads"] += 1
                return self.kv_read(store, path, query)
            if method in ("POST", "PUT"):
                self.require(ns, token, full, "update" if path in store else "create")
                return self.kv_write(store, path, body)
            if method == "DELETE":
                self.require(ns, token, full, "delete")
                secret = store.get(path)
                if secret and secret["current_version"]:
                    v = secret["versions"].get(secret["current_version"])
                    if v and not version_deleted(v):
                        v["deletion_time"] = CLOCK.rfc3339()
                return 204, None
        if op == "metadata":
            if method == "LIST":
                # Vault adds the trailing slash to a LIST path before the ACL check.
                self.require(ns, token, full if full.endswith("/") else full + "/", "list")
                return self.kv_list(store, path)
            path = path.strip("/")
            if method == "GET":
                self.require(ns, token, full, "read")
                self.server.state.stats["metadata_reads"] += 1
                return self.kv_metadata(store, path)
            if method in ("POST", "PUT"):
                self.require(ns, token, full, "update" if path in store else "create")
                return self.kv_metadata_write(store, path, body)
            if method == "DELETE":
                self.require(ns, token, full, "delete")
                store.pop(path, None)
                return 204, None
        if op in ("delete", "undelete", "destroy") and method in ("POST", "PUT"):
            self.require(ns, token, full, "update")
            secret = store.get(path.strip("/"))
            for n in body.get("versions", []):
                v = secret["versions"].get(int(n)) if secret else None
                if v is None:
                    continue
                if op == "delete":
                    if not version_deleted(v):
                        v["deletion_time"] = CLOCK.rfc3339()
                elif op == "undelete" and not v["destroyed"]:
                    v["deletion_time"] = ""
                elif op == "destroy":
                    v["destroyed"] = True
                    v["data"] = None
            return 204, None
        raise VaultError(405, ["unsupported operation"])

    @staticmethod
    def version_metadata(secret, n):
        v = secret["versions"][n]
        return {"created_time": v["created_time"], "custom_metadata": secret["custom_metadata"],
                "deletion_time": v["deletion_time"], "destroyed": v["destroyed"], "version": n}

    def kv_read(self, store, path, query):
        secret = store.get(path)
        if secret is None or not secret["versions"]:
            raise VaultError(404, [])
        n = int(query.get("version", ["0"])[0] or 0) or secret["current_version"]
        if n not in secret["versions"]:
            raise VaultError(404, [])
        v = secret["versions"][n]
        meta = self.version_metadata(secret, n)
        if version_deleted(v) or v["destroyed"]:
            # Vault answers 404 with the version's metadata and null data.
            raise VaultError(404, [], body=self.envelope(data={"data": None, "metadata": meta}))
        return 200, self.envelope(data={"data": v["data"], "metadata": meta})

    def kv_write(self, store, path, body):
        data = body.get("data")
        if not isinstance(data, dict):
            raise VaultError(400, ["no data provided"])
        options = body.get("options") or {}
        secret = store.get(path)
        current = secret["current_version"] if secret else 0
        if "cas" in options and int(options["cas"]) != current:
            raise VaultError(400, ["check-and-set parameter did not match the current version"])
        now = CLOCK.rfc3339()
        if secret is None:
            secret = self.new_secret(now)
            store[path] = secret
        n = current + 1
        after = secret["delete_version_after"]
        deletion = CLOCK.rfc3339(CLOCK.now + after) if after > 0 else ""
        secret["versions"][n] = {"data": data, "created_time": now, "deletion_time": deletion,
                                 "destroyed": False}
        secret["current_version"] = n
        secret["updated_time"] = now
        while len(secret["versions"]) > 10:
            oldest = min(secret["versions"])
            del secret["versions"][oldest]
        secret["oldest_version"] = min(secret["versions"]) if len(secret["versions"]) > 1 and \
            min(secret["versions"]) > 1 else 0
        meta = self.version_metadata(secret, n)
        return 200, self.envelope(data=meta)

    @staticmethod
    def new_secret(now):
        return {"versions": {}, "current_version": 0, "oldest_version": 0, "created_time": now,
                "updated_time": now, "custom_metadata": None, "max_versions": 0,
                "cas_required": False, "delete_version_after": 0}

    def kv_metadata_write(self, store, path, body):
        # path_metadata.go: creates the key's metadata if absent; "delete_version_after" is a Go
        # duration or integer seconds, and a negative one (or "0s") disables it. Only versions
        # written from then on get a deletion_time. Other fields are not modelled.
        secret = store.get(path)
        if secret is None:
            secret = self.new_secret(CLOCK.rfc3339())
            store[path] = secret
        if "delete_version_after" in body:
            text = str(body["delete_version_after"]).strip()
            negative = text.startswith("-")
            try:
                seconds = parse_duration(text[1:] if negative else text)
            except ValueError:
                raise VaultError(400, ["error parsing delete_version_after"])
            secret["delete_version_after"] = 0 if negative else seconds
        secret["updated_time"] = CLOCK.rfc3339()
        return 204, None

    def kv_metadata(self, store, path):
        secret = store.get(path)
        if secret is None:
            raise VaultError(404, [])
        versions = {str(n): {"created_time": v["created_time"], "deletion_time": v["deletion_time"],
                             "destroyed": v["destroyed"]} for n, v in secret["versions"].items()}
        return 200, self.envelope(data={
            "cas_required": secret["cas_required"], "created_time": secret["created_time"],
            "current_version": secret["current_version"], "delete_version_after": go_duration_string(secret["delete_version_after"]),
            "max_versions": secret["max_versions"], "oldest_version": secret["oldest_version"],
            "updated_time": secret["updated_time"], "custom_metadata": secret["custom_metadata"],
            "versions": versions})

    def kv_list(self, store, path):
        prefix = path.strip("/")
        prefix = prefix + "/" if prefix else ""
        keys = set()
        for name in store:
            if name.startswith(prefix):
                rest = name[len(prefix):]
                head, slash, _ = rest.partition("/")
                keys.add(head + "/" if slash else head)
        if not keys:
            raise VaultError(404, [])
        return 200, self.envelope(data={"keys": sorted(keys)})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog is 5: a client opening a dozen connections at once would
    # see SYNs dropped and retried a second later. Go (and so Vault) listens with SOMAXCONN.
    request_queue_size = socket.SOMAXCONN


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--root-token", default=os.environ.get("VAULT_TEST_ROOT_TOKEN", "root"))
    parser.add_argument("--standby-redirect-to", default="",
                        help="act as a standby: 307 to this active node's address")
    parser.add_argument("--max-lease-ttl", default=str(DEFAULT_MAX_LEASE_TTL),
                        help="the system max TTL (Vault's max_lease_ttl), default 768h")
    parser.add_argument("--real-clock", action="store_true",
                        help="follow the wall clock instead of a frozen one")
    args = parser.parse_args()
    CLOCK.real = args.real_clock
    server = Server(("127.0.0.1", args.port), Handler)
    server.state = State(args.root_token)
    server.state.max_lease_ttl = parse_duration(args.max_lease_ttl)
    if args.standby_redirect_to:
        server.state.standby = {"redirect_to": args.standby_redirect_to}
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
