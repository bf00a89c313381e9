#!/usr/bin/python3
"""Proves tests/servers/vault_server.py faithful: the real Vault client hvac drives it through
the whole flow locksmith relies on (policy, AppRole, KV v2 write/read/versions/metadata/list, CAS,
token renew-self / lookup-self with TTL and max TTL, permission denied, namespaces; a standby's
307 to the active node, a token without the default policy, the system max TTL)."""

import http.client
import json
import os
import sys
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import hvac  # noqa: E402  (Debian python3-hvac)
import requests  # noqa: E402  (hvac's HTTP client)
from vault_test_server import VaultTestServer  # noqa: E402

READER_POLICY = """
path "secret/data/agentauri-backend/production/*" {
  capabilities = ["read"]
}
"""

WRITER_POLICY = """
path "secret/data/agentauri-backend/production/*" {
  capabilities = ["create", "read", "update"]
}
path "secret/metadata/agentauri-backend/production/*" {
  capabilities = ["read", "list"]
}
"""

PREFIX = "agentauri-backend/production"


class HvacAgainstTestServer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = VaultTestServer()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def control(self, path, body):
        request = urllib.request.Request(self.server.url + path, data=json.dumps(body).encode(),
                                         method="POST")
        with urllib.request.urlopen(request) as response:
            return json.loads(response.read() or b"null")

    def root(self, namespace=None):
        return hvac.Client(url=self.server.url, token="root", namespace=namespace)

    def approle_client(self, role, policy_name, policy, ttl="1h", max_ttl="4h", namespace=None):
        root = self.root(namespace)
        root.sys.create_or_update_policy(name=policy_name, policy=policy)
        root.sys.enable_auth_method("approle")
        root.auth.approle.create_or_update_approle(role, token_policies=[policy_name],
                                                   token_ttl=ttl, token_max_ttl=max_ttl)
        role_id = root.auth.approle.read_role_id(role)["data"]["role_id"]
        secret_id = root.auth.approle.generate_secret_id(role)["data"]["secret_id"]
        client = hvac.Client(url=self.server.url, namespace=namespace)
        login = client.auth.approle.login(role_id=role_id, secret_id=secret_id)
        self.assertTrue(client.is_authenticated())
        return client, login

    def test_approle_login_shape(self):
        _, login = self.approle_client("shape", "reader", READER_POLICY)
        auth = login["auth"]
        self.assertTrue(auth["client_token"].startswith("hvs."))
        self.assertEqual(auth["lease_duration"], 3600)
        self.assertTrue(auth["renewable"])
        self.assertIn("reader", auth["policies"])
        self.assertIn("default", auth["token_policies"])
        self.assertEqual(auth["metadata"], {"role_name": "shape"})
        for key in ("request_id", "lease_id", "renewable", "lease_duration", "data",
                    "wrap_info", "warnings", "auth"):
            self.assertIn(key, login)

    def test_failed_login(self):
        client = hvac.Client(url=self.server.url)
        with self.assertRaises(hvac.exceptions.InvalidRequest) as caught:
            client.auth.approle.login(role_id="nope", secret_id="wrong")
        self.assertIn("invalid role or secret ID", str(caught.exception))

    def test_write_read_versions_metadata_list(self):
        client, _ = self.approle_client("writer", "writer", WRITER_POLICY)
        kv = client.secrets.kv.v2
        path = PREFIX + "/jwt-secret"
        first = kv.create_or_update_secret(path=path, secret={"value": "one"}, cas=0)
        self.assertEqual(first["data"]["version"], 1)
        self.assertEqual(first["data"]["deletion_time"], "")
        self.assertFalse(first["data"]["destroyed"])
        kv.create_or_update_secret(path=path, secret={"value": "two"}, cas=1)
        with self.assertRaises(hvac.exceptions.InvalidRequest) as conflict:
            kv.create_or_update_secret(path=path, secret={"value": "lost"}, cas=1)
        self.assertIn("check-and-set", str(conflict.exception))

        latest = kv.read_secret_version(path=path)
        self.assertEqual(latest["data"]["data"], {"value": "two"})
        self.assertEqual(latest["data"]["metadata"]["version"], 2)
        self.assertTrue(latest["data"]["metadata"]["created_time"].endswith("Z"))
        old = kv.read_secret_version(path=path, version=1)
        self.assertEqual(old["data"]["data"], {"value": "one"})

        meta = kv.read_secret_metadata(path=path)["data"]
        self.assertEqual(meta["current_version"], 2)
        self.assertEqual(sorted(meta["versions"]), ["1", "2"])
        self.assertIn("created_time", meta["versions"]["1"])

        kv.create_or_update_secret(path=PREFIX + "/rpc/alchemy", secret={"value": "x"})
        listed = kv.list_secrets(path=PREFIX)["data"]["keys"]
        self.assertIn("jwt-secret", listed)
        self.assertIn("rpc/", listed)  # folders end in a slash
        self.assertNotIn("rpc/alchemy", listed)
        self.assertEqual(listed, sorted(listed))
        with self.assertRaises(hvac.exceptions.InvalidPath):
            kv.read_secret_version(path=PREFIX + "/missing")

    def test_deleted_version_reads_as_not_found(self):
        root = self.root()
        kv = root.secrets.kv.v2
        path = PREFIX + "/deleted"
        kv.create_or_update_secret(path=path, secret={"value": "a"})
        kv.create_or_update_secret(path=path, secret={"value": "b"})
        kv.delete_secret_versions(path=path, versions=[1])
        with self.assertRaises(hvac.exceptions.InvalidPath):
            kv.read_secret_version(path=path, version=1)
        meta = kv.read_secret_metadata(path=path)["data"]
        self.assertNotEqual(meta["versions"]["1"]["deletion_time"], "")
        kv.destroy_secret_versions(path=path, versions=[2])
        self.assertTrue(kv.read_secret_metadata(path=path)["data"]["versions"]["2"]["destroyed"])

    def test_pending_copy_calls(self):
        # The calls of the Vault provider's pending stage (src/providers/vault/vault_pending.cc):
        # a sibling path under ".locksmith-pending/", listed like any key, removed with every
        # version by a metadata DELETE (which a policy without "delete" may not do), and started
        # again at version 1 when written after that.
        root_kv = self.root().secrets.kv.v2
        root_kv.create_or_update_secret(path=PREFIX + "/rotated", secret={"value": "one"})
        client, _ = self.approle_client("pending-writer", "writer", WRITER_POLICY)
        kv = client.secrets.kv.v2
        copy = PREFIX + "/.locksmith-pending/rotated"
        self.assertEqual(kv.create_or_update_secret(path=copy, secret={"value": "a"}, cas=0)
                         ["data"]["version"], 1)
        self.assertEqual(kv.create_or_update_secret(path=copy, secret={"value": "b"}, cas=1)
                         ["data"]["version"], 2)
        self.assertIn(".locksmith-pending/", kv.list_secrets(path=PREFIX)["data"]["keys"])
        with self.assertRaises(hvac.exceptions.Forbidden) as denied:
            kv.delete_metadata_and_all_versions(path=copy)
        self.assertNotIn("invalid token", str(denied.exception))
        # A tombstone: a new version without the value field.
        self.assertEqual(kv.create_or_update_secret(path=copy, secret={}, cas=2)
                         ["data"]["version"], 3)
        self.assertEqual(kv.read_secret_version(path=copy)["data"]["data"], {})

        root_kv.delete_metadata_and_all_versions(path=copy)
        with self.assertRaises(hvac.exceptions.InvalidPath):
            root_kv.read_secret_version(path=copy)
        with self.assertRaises(hvac.exceptions.InvalidPath):
            root_kv.read_secret_version(path=copy, version=1)
        with self.assertRaises(hvac.exceptions.InvalidPath):
            root_kv.read_secret_metadata(path=copy)
        self.assertNotIn(".locksmith-pending/", root_kv.list_secrets(path=PREFIX)["data"]["keys"])
        # Deleting what is already gone is not an error (Vault answers 204).
        root_kv.delete_metadata_and_all_versions(path=copy)
        self.assertEqual(root_kv.create_or_update_secret(path=copy, secret={"value": "c"}, cas=0)
                         ["data"]["version"], 1)

    def test_delete_version_after_reads_until_the_deletion_time(self):
        kv = self.root().secrets.kv.v2
        path = PREFIX + "/expiring"
        # hvac of Debian names it update_metadata; newer ones create_or_update_metadata.
        update = getattr(kv, "create_or_update_metadata", None) or kv.update_metadata
        update(path=path, delete_version_after="1h")
        self.assertEqual(kv.read_secret_metadata(path=path)["data"]["delete_version_after"],
                         "1h0m0s")
        written = kv.create_or_update_secret(path=path, secret={"value": "v", "other": "o"})
        meta = written["data"]
        self.assertNotEqual(meta["deletion_time"], "")
        self.assertGreater(meta["deletion_time"], meta["created_time"])
        read = kv.read_secret_version(path=path)
        self.assertEqual(read["data"]["data"], {"value": "v", "other": "o"})
        self.assertEqual(read["data"]["metadata"]["deletion_time"], meta["deletion_time"])
        self.control("/_test/clock/advance", {"seconds": 1800})
        self.assertEqual(kv.read_secret_version(path=path, version=1)["data"]["data"]["value"], "v")
        self.control("/_test/clock/advance", {"seconds": 1801})
        with self.assertRaises(hvac.exceptions.InvalidPath):
            kv.read_secret_version(path=path)
        with self.assertRaises(hvac.exceptions.InvalidPath):
            kv.read_secret_version(path=path, version=1)
        update(path=path, delete_version_after="0s")
        self.assertEqual(kv.read_secret_metadata(path=path)["data"]["delete_version_after"], "0s")
        kv.create_or_update_secret(path=path, secret={"value": "w"})
        self.assertEqual(kv.read_secret_metadata(path=path)["data"]["versions"]["2"]
                         ["deletion_time"], "")

    def test_read_only_policy_denies_write_metadata_and_list(self):
        self.root().secrets.kv.v2.create_or_update_secret(path=PREFIX + "/db", secret={"value": "v"})
        client, _ = self.approle_client("reader", "reader", READER_POLICY)
        kv = client.secrets.kv.v2
        self.assertEqual(kv.read_secret_version(path=PREFIX + "/db")["data"]["data"]["value"], "v")
        with self.assertRaises(hvac.exceptions.Forbidden):
            kv.create_or_update_secret(path=PREFIX + "/db", secret={"value": "w"})
        with self.assertRaises(hvac.exceptions.Forbidden):
            kv.read_secret_metadata(path=PREFIX + "/db")
        with self.assertRaises(hvac.exceptions.Forbidden):
            kv.list_secrets(path=PREFIX)
        with self.assertRaises(hvac.exceptions.Forbidden):
            kv.read_secret_version(path="other/db")

    def test_renew_and_lookup_with_ttl_and_max_ttl(self):
        client, _ = self.approle_client("renewer", "reader", READER_POLICY, ttl="1h",
                                        max_ttl="4h")
        looked = client.auth.token.lookup_self()["data"]
        self.assertEqual(looked["ttl"], 3600)
        self.assertTrue(looked["renewable"])
        self.assertEqual(looked["path"], "auth/approle/login")
        self.control("/_test/clock/advance", {"seconds": 2400})
        self.assertEqual(client.auth.token.lookup_self()["data"]["ttl"], 1200)
        renewed = client.auth.token.renew_self(increment="1h")
        self.assertEqual(renewed["auth"]["lease_duration"], 3600)
        self.assertIsNone(renewed["warnings"])
        # Near the max TTL (4h after login) renewal returns less than asked, with a warning.
        self.control("/_test/clock/advance", {"seconds": 3000})
        client.auth.token.renew_self(increment="1h")
        self.control("/_test/clock/advance", {"seconds": 3000})
        client.auth.token.renew_self(increment="1h")
        self.control("/_test/clock/advance", {"seconds": 3000})
        capped = client.auth.token.renew_self(increment="1h")
        self.assertLess(capped["auth"]["lease_duration"], 3600)
        self.assertIn("max_ttl", capped["warnings"][0])
        # Past the max TTL the token is gone.
        self.control("/_test/clock/advance", {"seconds": capped["auth"]["lease_duration"]})
        with self.assertRaises(hvac.exceptions.Forbidden):
            client.auth.token.lookup_self()

    def test_namespaces_isolate(self):
        root = self.root()
        root.adapter.post("/v1/sys/namespaces/team-a")
        self.root("team-a").secrets.kv.v2.create_or_update_secret(
            path=PREFIX + "/ns", secret={"value": "in-a"})
        client, _ = self.approle_client("ns-reader", "reader", READER_POLICY,
                                        namespace="team-a")
        self.assertEqual(client.secrets.kv.v2.read_secret_version(
            path=PREFIX + "/ns")["data"]["data"]["value"], "in-a")
        with self.assertRaises(hvac.exceptions.InvalidPath):
            root.secrets.kv.v2.read_secret_version(path=PREFIX + "/ns")
        outside = hvac.Client(url=self.server.url, token=client.token)
        with self.assertRaises(hvac.exceptions.Forbidden):
            outside.secrets.kv.v2.read_secret_version(path=PREFIX + "/ns")

    def test_faults(self):
        client = self.root()
        client.secrets.kv.v2.create_or_update_secret(path="f", secret={"value": "x"})
        self.control("/_test/fault", {"mode": "sealed", "count": 1})
        with self.assertRaises(hvac.exceptions.VaultDown):
            client.secrets.kv.v2.read_secret_version(path="f")
        self.control("/_test/fault", {"mode": "500", "count": 1})
        with self.assertRaises(hvac.exceptions.InternalServerError):
            client.secrets.kv.v2.read_secret_version(path="f")
        self.control("/_test/fault", {"mode": "429", "count": 1})
        with self.assertRaises(hvac.exceptions.RateLimitExceeded):
            client.secrets.kv.v2.read_secret_version(path="f")
        # count ran out: healthy again.
        self.assertEqual(client.secrets.kv.v2.read_secret_version(path="f")["data"]["data"],
                         {"value": "x"})
        # A rate limit quota's 429 says when to come back (Retry-After, in seconds).
        self.control("/_test/fault", {"mode": "429", "count": 1, "retry_after": 2})
        request = urllib.request.Request(self.server.url + "/v1/secret/data/f",
                                         headers={"X-Vault-Token": "root"})
        with self.assertRaises(urllib.error.HTTPError) as limited:
            urllib.request.urlopen(request)
        self.assertEqual(limited.exception.code, 429)
        self.assertEqual(limited.exception.headers["Retry-After"], "2")
        # A reset connection reaches hvac as a failure (twice: a client may re-send once when a
        # kept-alive connection dies before answering); a truncated body is short of its
        # Content-Length (hvac's urllib3 does not check that; http.client does).
        self.control("/_test/fault", {"mode": "reset", "count": 2})
        with self.assertRaises(requests.exceptions.ConnectionError):
            client.secrets.kv.v2.read_secret_version(path="f")
        self.control("/_test/fault", {"mode": "truncated", "count": 1})
        with self.assertRaises(http.client.IncompleteRead):
            urllib.request.urlopen(request).read()
        self.assertEqual(client.secrets.kv.v2.read_secret_version(path="f")["data"]["data"],
                         {"value": "x"})

    # ---- mounts with more than one segment, and sys/internal/ui/mounts ----
    def test_multi_segment_kv_mount(self):
        root = self.root()
        root.sys.enable_secrets_engine(backend_type="kv", path="team/kv", options={"version": "2"})
        with self.assertRaises(hvac.exceptions.InvalidRequest) as in_use:
            root.sys.enable_secrets_engine(backend_type="kv-v2", path="team/kv/inner")
        self.assertIn("path is already in use at team/kv/", str(in_use.exception))
        client, _ = self.approle_client("team", "team-writer", """
path "team/kv/data/app/*" { capabilities = ["create", "read", "update"] }
path "team/kv/metadata/app/*" { capabilities = ["read", "list"] }
""")
        kv = client.secrets.kv.v2
        kv.create_or_update_secret(path="app/db", secret={"value": "one"}, mount_point="team/kv")
        kv.create_or_update_secret(path="app/db", secret={"value": "two"}, mount_point="team/kv")
        read = kv.read_secret_version(path="app/db", mount_point="team/kv")
        self.assertEqual(read["data"]["data"], {"value": "two"})
        self.assertEqual(kv.read_secret_metadata(path="app/db", mount_point="team/kv")
                         ["data"]["current_version"], 2)
        self.assertEqual(kv.list_secrets(path="app", mount_point="team/kv")["data"]["keys"],
                         ["db"])
        # The first segment is no mount: what a client taking "team" as the mount sees.
        with self.assertRaises(hvac.exceptions.Forbidden):
            kv.read_secret_version(path="kv/app/db", mount_point="team")

        answer = client.adapter.get("/v1/sys/internal/ui/mounts/team/kv/app/db")
        self.assertEqual(answer["data"]["path"], "team/kv/")
        self.assertEqual(answer["data"]["type"], "kv")
        self.assertEqual(answer["data"]["options"], {"version": "2"})
        for key in ("accessor", "config", "description", "local", "seal_wrap", "uuid"):
            self.assertIn(key, answer["data"])
        self.assertEqual(root.adapter.get("/v1/sys/internal/ui/mounts/secret")["data"]["path"],
                         "secret/")

    def test_ui_mounts_denied_for_no_mount_and_for_no_access(self):
        root = self.root()
        # A path under no mount: 403, the same error as for a token without access.
        with self.assertRaises(hvac.exceptions.Forbidden) as unmounted:
            root.adapter.get("/v1/sys/internal/ui/mounts/nowhere/app")
        self.assertIn("preflight capability check returned 403", str(unmounted.exception))
        self.assertIn('"nowhere/app/"', str(unmounted.exception))
        # Segment wildcards ("+") grant the reads but are not seen by the mount-access walk.
        root.sys.enable_secrets_engine(backend_type="kv-v2", path="plus/kv")
        root.secrets.kv.v2.create_or_update_secret(path="app/x", secret={"value": "p"},
                                                   mount_point="plus/kv")
        client, _ = self.approle_client("plus", "plus-reader", """
path "plus/kv/data/+/x" { capabilities = ["read"] }
""")
        self.assertEqual(client.secrets.kv.v2.read_secret_version(
            path="app/x", mount_point="plus/kv")["data"]["data"], {"value": "p"})
        with self.assertRaises(hvac.exceptions.Forbidden):
            client.adapter.get("/v1/sys/internal/ui/mounts/plus/kv/app/x")
        # A glob rule inside the mount is enough.
        glob, _ = self.approle_client("glob", "glob-reader", """
path "plus/kv/data/app/*" { capabilities = ["read"] }
""")
        self.assertEqual(glob.adapter.get("/v1/sys/internal/ui/mounts/plus/kv/app/x")
                         ["data"]["path"], "plus/kv/")

    def test_ui_mounts_reports_kv_v1_and_other_types(self):
        root = self.root()
        root.sys.enable_secrets_engine(backend_type="kv", path="legacy/kv",
                                       options={"version": "1"})
        root.sys.enable_secrets_engine(backend_type="pki", path="team/pki")
        v1 = root.adapter.get("/v1/sys/internal/ui/mounts/legacy/kv/app")["data"]
        self.assertEqual((v1["path"], v1["type"], v1["options"]),
                         ("legacy/kv/", "kv", {"version": "1"}))
        pki = root.adapter.get("/v1/sys/internal/ui/mounts/team/pki/issue")["data"]
        self.assertEqual((pki["path"], pki["type"]), ("team/pki/", "pki"))

    # ---- issue 10: standby redirects, lookup-self denied, the system max TTL ----

    def test_standby_redirects_to_the_active_node(self):
        # hvac (through requests) follows a standby's 307 with the same method, body and
        # X-Vault-Token, as Vault's Go client does.
        with VaultTestServer(args=("--standby-redirect-to", self.server.url)) as standby:
            client = hvac.Client(url=standby.url, token="root")
            client.secrets.kv.v2.create_or_update_secret(path=PREFIX + "/standby",
                                                         secret={"value": "via-standby"})
            read = client.secrets.kv.v2.read_secret_version(path=PREFIX + "/standby")
            self.assertEqual(read["data"]["data"]["value"], "via-standby")
            self.root().sys.create_or_update_policy(name="reader", policy=READER_POLICY)
            self.root().auth.approle.create_or_update_approle("standby-role",
                                                              token_policies=["reader"])
            role_id = self.root().auth.approle.read_role_id("standby-role")["data"]["role_id"]
            secret_id = self.root().auth.approle.generate_secret_id(
                "standby-role")["data"]["secret_id"]
            app = hvac.Client(url=standby.url)
            app.auth.approle.login(role_id=role_id, secret_id=secret_id)  # POST body re-sent
            self.assertIn("reader", app.auth.token.lookup_self()["data"]["policies"])
            self.assertEqual(app.auth.token.renew_self()["auth"]["lease_duration"], 2764800)
            with urllib.request.urlopen(standby.url + "/_test/stats") as response:
                self.assertGreaterEqual(json.loads(response.read())["redirects"], 5)
            # The answer itself: 307, the active node's address with the same path and query.
            raw = urllib.request.Request(standby.url + "/v1/secret/data/x?version=2")
            opener = urllib.request.build_opener(NoRedirect)
            with self.assertRaises(urllib.error.HTTPError) as caught:
                opener.open(raw)
            self.assertEqual(caught.exception.code, 307)
            self.assertEqual(caught.exception.headers["Location"],
                             self.server.url + "/v1/secret/data/x?version=2")

    def test_invalid_token_and_denied_lookup_self(self):
        root = self.root()
        root.sys.create_or_update_policy(name="reader", policy=READER_POLICY)
        root.secrets.kv.v2.create_or_update_secret(path=PREFIX + "/nodefault",
                                                   secret={"value": "v"})
        # A token without the default policy reads its paths but may not look itself up.
        created = root.auth.token.create(policies=["reader"], no_default_policy=True)
        token = created["auth"]["client_token"]
        self.assertNotIn("default", created["auth"]["policies"])
        client = hvac.Client(url=self.server.url, token=token)
        self.assertEqual(client.secrets.kv.v2.read_secret_version(
            path=PREFIX + "/nodefault")["data"]["data"]["value"], "v")
        with self.assertRaises(hvac.exceptions.Forbidden) as denied:
            client.auth.token.lookup_self()
        self.assertNotIn("invalid token", str(denied.exception))
        with self.assertRaises(hvac.exceptions.Forbidden):
            client.auth.token.renew_self()
        # With the default policy it may.
        with_default = root.auth.token.create(policies=["reader"])["auth"]["client_token"]
        self.assertEqual(hvac.Client(url=self.server.url, token=with_default)
                         .auth.token.lookup_self()["data"]["policies"], ["default", "reader"])
        # A dead token: 403 with "invalid token" added, on any path.
        dead = hvac.Client(url=self.server.url, token="hvs.not-a-token")
        for call in (dead.auth.token.lookup_self,
                     lambda: dead.secrets.kv.v2.read_secret_version(path=PREFIX + "/nodefault")):
            with self.assertRaises(hvac.exceptions.Forbidden) as caught:
                call()
            self.assertIn("invalid token", str(caught.exception))
            self.assertIn("permission denied", str(caught.exception))

    def test_capabilities_self(self):
        """sys/capabilities-self through hvac's get_capabilities: sorted capabilities per path,
        "deny" where nothing is granted, "root" for root, the single-path "capabilities" key, and
        403 for a token without the default policy (which grants the endpoint)."""
        root = self.root()
        root.sys.create_or_update_policy(name="caps-reader", policy=READER_POLICY)
        root.sys.create_or_update_policy(name="caps-broad", policy="""
path "secret/data/*" {
  capabilities = ["create", "read", "update"]
}
path "secret/metadata/*" {
  capabilities = ["list"]
}
""")
        inside = "secret/data/%s/db" % PREFIX
        sibling = "secret/data/locksmith-check-probe"
        reader = hvac.Client(url=self.server.url, token=root.auth.token.create(
            policies=["caps-reader"])["auth"]["client_token"])
        answer = reader.sys.get_capabilities(paths=[inside, sibling, "secret/metadata/"])
        self.assertEqual(answer["data"][inside], ["read"])
        self.assertEqual(answer["data"][sibling], ["deny"])
        self.assertEqual(answer["data"]["secret/metadata/"], ["deny"])
        self.assertEqual(answer[inside], ["read"])  # also at the top level, as Vault's sys paths
        self.assertNotIn("capabilities", answer["data"])
        one = reader.sys.get_capabilities(paths=[inside])
        self.assertEqual(one["data"]["capabilities"], ["read"])
        broad = hvac.Client(url=self.server.url, token=root.auth.token.create(
            policies=["caps-broad"])["auth"]["client_token"])
        answer = broad.sys.get_capabilities(paths=[sibling, "secret/metadata/"])
        self.assertEqual(answer["data"][sibling], ["create", "read", "update"])
        self.assertEqual(answer["data"]["secret/metadata/"], ["list"])
        self.assertEqual(root.sys.get_capabilities(paths=[sibling])["data"][sibling], ["root"])
        bare = hvac.Client(url=self.server.url, token=root.auth.token.create(
            policies=["caps-reader"], no_default_policy=True)["auth"]["client_token"])
        with self.assertRaises(hvac.exceptions.Forbidden):
            bare.sys.get_capabilities(paths=[inside])
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            reader.sys.get_capabilities(paths=[])

    def test_system_max_ttl_caps_tokens_without_their_own(self):
        root = self.root()
        root.sys.create_or_update_policy(name="reader", policy=READER_POLICY)
        # token_max_ttl 0: only the system max (768h by default) bounds the token.
        root.auth.approle.create_or_update_approle("sysmax", token_policies=["reader"],
                                                   token_ttl="1000h", token_max_ttl=0)
        role_id = root.auth.approle.read_role_id("sysmax")["data"]["role_id"]
        secret_id = root.auth.approle.generate_secret_id("sysmax")["data"]["secret_id"]
        client = hvac.Client(url=self.server.url)
        login = client.auth.approle.login(role_id=role_id, secret_id=secret_id)
        self.assertEqual(login["auth"]["lease_duration"], 768 * 3600)  # capped at issue
        self.control("/_test/clock/advance", {"seconds": 700 * 3600})
        renewed = client.auth.token.renew_self(increment="768h")
        self.assertEqual(renewed["auth"]["lease_duration"], 68 * 3600)  # capped at renewal
        self.assertIn("max_ttl", renewed["warnings"][0])
        self.control("/_test/clock/advance", {"seconds": 68 * 3600})
        with self.assertRaises(hvac.exceptions.Forbidden):
            client.auth.token.lookup_self()
        # A configured system max (max_lease_ttl) bounds tokens the same way.
        self.control("/_test/config", {"max_lease_ttl": "3h"})
        try:
            client.auth.approle.login(role_id=role_id, secret_id=secret_id)
            self.assertEqual(client.auth.token.lookup_self()["data"]["ttl"], 3 * 3600)
            self.control("/_test/clock/advance", {"seconds": 2 * 3600})
            self.assertEqual(client.auth.token.renew_self(increment="3h")["auth"]
                             ["lease_duration"], 3600)
        finally:
            self.control("/_test/config", {"max_lease_ttl": "768h"})


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


if __name__ == "__main__":
    unittest.main(verbosity=2)
