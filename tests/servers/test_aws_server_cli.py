#!/usr/bin/python3
"""Proves tests/servers/aws_server.py faithful with the real aws CLI (Debian awscli):
create-secret, put-secret-value, get-secret-value by stage and by id, describe-secret,
list-secrets (with a name filter and pagination), update-secret-version-stage,
batch-get-secret-value (Debian's awscli 2.9 predates it: AWS_DATA_PATH points it at the current
botocore model copied into tests/data/botocore), and a request signed with the wrong key is
refused (InvalidSignatureException), as is an unknown key; with the server's region set, a
request signed for another region is refused; a secret's first version put as AWSPENDING also
becomes AWSCURRENT. AwsStsAssumeRoleTest: STS AssumeRole
through `aws sts assume-role` and through botocore's own credential chain (a profile with role_arn
+ source_profile, chained roles, credential_process).
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "aws_server.py")
BOTOCORE_MODEL = os.path.join(os.path.dirname(HERE), "data", "botocore")
ACCESS_KEY = "AKIDLOCKSMITHTEST"
SECRET_KEY = "locksmith-test-secret-access-key"
# The Debian awscli (v2); a pip-installed v1 earlier on PATH ignores AWS_REGION.
AWS = "/usr/bin/aws" if os.path.exists("/usr/bin/aws") else "aws"


class AwsCliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = subprocess.Popen(["/usr/bin/python3", SERVER], stdout=subprocess.PIPE,
                                      text=True)
        cls.port = int(cls.server.stdout.readline())
        cls.home = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        cls.server.wait()
        cls.home.cleanup()

    def control(self, path, body):
        request = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path),
                                         data=json.dumps(body).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def aws(self, *args, secret_key=SECRET_KEY, access_key=ACCESS_KEY, check=True,
            current_model=False, region="eu-west-1"):
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.home.name,
            "AWS_ACCESS_KEY_ID": access_key,
            "AWS_SECRET_ACCESS_KEY": secret_key,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_PAGER": "",
            "AWS_MAX_ATTEMPTS": "1",
        }
        if current_model:
            env["AWS_DATA_PATH"] = BOTOCORE_MODEL
        cmd = [AWS, "--endpoint-url", "http://127.0.0.1:%d" % self.port, "--output", "json",
               "secretsmanager"] + list(args)
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        if check:
            self.assertEqual(result.returncode, 0, result.stderr)
            return json.loads(result.stdout) if result.stdout.strip() else {}
        return result

    def test_lifecycle_with_stages(self):
        name = "agentauri-backend/production/jwt-secret"
        created = self.aws("create-secret", "--name", name, "--secret-string", "v1",
                           "--client-request-token", "11111111-1111-4111-8111-111111111111")
        self.assertEqual(created["Name"], name)
        self.assertEqual(created["VersionId"], "11111111-1111-4111-8111-111111111111")
        self.assertIn(":secretsmanager:", created["ARN"])

        got = self.aws("get-secret-value", "--secret-id", name)
        self.assertEqual(got["SecretString"], "v1")
        self.assertEqual(got["VersionStages"], ["AWSCURRENT"])

        pending = self.aws("put-secret-value", "--secret-id", name, "--secret-string", "v2",
                           "--version-stages", "AWSPENDING")
        self.assertEqual(pending["VersionStages"], ["AWSPENDING"])
        got = self.aws("get-secret-value", "--secret-id", name, "--version-stage", "AWSPENDING")
        self.assertEqual(got["SecretString"], "v2")
        got = self.aws("get-secret-value", "--secret-id", name, "--version-id",
                       created["VersionId"])
        self.assertEqual(got["SecretString"], "v1")

        described = self.aws("describe-secret", "--secret-id", name)
        self.assertEqual(described["VersionIdsToStages"],
                         {created["VersionId"]: ["AWSCURRENT"],
                          pending["VersionId"]: ["AWSPENDING"]})

        self.aws("update-secret-version-stage", "--secret-id", name, "--version-stage",
                 "AWSCURRENT", "--move-to-version-id", pending["VersionId"],
                 "--remove-from-version-id", created["VersionId"])
        described = self.aws("describe-secret", "--secret-id", name)
        self.assertEqual(described["VersionIdsToStages"][created["VersionId"]], ["AWSPREVIOUS"])
        self.assertEqual(sorted(described["VersionIdsToStages"][pending["VersionId"]]),
                         ["AWSCURRENT", "AWSPENDING"])
        self.assertIn("LastRotatedDate", described)
        self.aws("update-secret-version-stage", "--secret-id", name, "--version-stage",
                 "AWSPENDING", "--remove-from-version-id", pending["VersionId"])
        got = self.aws("get-secret-value", "--secret-id", name, "--version-stage", "AWSPREVIOUS")
        self.assertEqual(got["SecretString"], "v1")
        got = self.aws("get-secret-value", "--secret-id", name)
        self.assertEqual(got["SecretString"], "v2")

        # Moving AWSCURRENT without naming its holder is refused, as by the real service.
        result = self.aws("update-secret-version-stage", "--secret-id", name, "--version-stage",
                          "AWSCURRENT", "--move-to-version-id", created["VersionId"],
                          check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("InvalidParameterException", result.stderr)

    def test_binary_and_not_found(self):
        binary = os.path.join(self.home.name, "blob.bin")
        with open(binary, "wb") as f:
            f.write(b"\x00\xff\x10binary")
        self.aws("create-secret", "--name", "bin-secret", "--secret-binary", "fileb://" + binary)
        got = self.aws("get-secret-value", "--secret-id", "bin-secret")
        self.assertEqual(got["SecretBinary"], "AP8QYmluYXJ5")
        result = self.aws("get-secret-value", "--secret-id", "missing", check=False)
        self.assertIn("ResourceNotFoundException", result.stderr)
        result = self.aws("create-secret", "--name", "bin-secret", "--secret-string", "x",
                          check=False)
        self.assertIn("ResourceExistsException", result.stderr)

    def test_list_secrets_filter_and_pagination(self):
        for i in range(5):
            self.aws("create-secret", "--name", "list-test/app/s%d" % i, "--secret-string", "x")
        self.aws("create-secret", "--name", "other/thing", "--secret-string", "x")
        # The CLI follows NextToken itself; a page size of 2 forces three pages.
        listed = self.aws("list-secrets", "--filters", "Key=name,Values=list-test/app/",
                          "--page-size", "2")
        self.assertEqual(sorted(s["Name"] for s in listed["SecretList"]),
                         ["list-test/app/s%d" % i for i in range(5)])
        page = self.aws("list-secrets", "--filters", "Key=name,Values=list-test/app/",
                        "--max-items", "2")
        self.assertEqual(len(page["SecretList"]), 2)
        self.assertIn("NextToken", page)

    def test_batch_get_secret_value_with_the_current_model(self):
        for i in range(3):
            self.aws("create-secret", "--name", "batch/s%d" % i, "--secret-string", "b%d" % i)
        got = self.aws("batch-get-secret-value", "--secret-id-list", "batch/s0", "batch/s2",
                       "batch/missing", current_model=True)
        values = {entry["Name"]: entry["SecretString"] for entry in got["SecretValues"]}
        self.assertEqual(values, {"batch/s0": "b0", "batch/s2": "b2"})
        self.assertEqual([e["SecretId"] for e in got["Errors"]], ["batch/missing"])
        self.assertEqual(got["Errors"][0]["ErrorCode"], "ResourceNotFoundException")
        for entry in got["SecretValues"]:
            self.assertIn("AWSCURRENT", entry["VersionStages"])
        # The same request without the current model: the CLI does not know the operation.
        result = self.aws("batch-get-secret-value", "--secret-id-list", "batch/s0", check=False)
        self.assertNotEqual(result.returncode, 0)

    def test_batch_get_secret_value_filters_and_bad_requests(self):
        for i in range(3):
            self.aws("create-secret", "--name", "batchf/s%d" % i, "--secret-string", "f%d" % i)
        got = self.aws("batch-get-secret-value", "--filters", "Key=name,Values=batchf/",
                       "--max-results", "2", current_model=True)
        self.assertEqual([e["Name"] for e in got["SecretValues"]], ["batchf/s0", "batchf/s1"])
        self.assertIn("NextToken", got)
        rest = self.aws("batch-get-secret-value", "--filters", "Key=name,Values=batchf/",
                        "--next-token", got["NextToken"], current_model=True)
        self.assertEqual([e["Name"] for e in rest["SecretValues"]], ["batchf/s2"])
        self.assertNotIn("NextToken", rest)
        # Both selectors: the service refuses the request.
        result = self.aws("batch-get-secret-value", "--secret-id-list", "batchf/s0", "--filters",
                          "Key=name,Values=batchf/", current_model=True, check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("InvalidParameterException", result.stderr)

    def test_first_version_put_as_pending_is_also_current(self):
        # PutSecretValue docs: "If this operation creates the first version for the secret, then
        # Secrets Manager automatically attaches the staging label AWSCURRENT to it."
        self.aws("create-secret", "--name", "first-pending")
        first = self.aws("put-secret-value", "--secret-id", "first-pending", "--secret-string",
                         "p1", "--version-stages", "AWSPENDING")
        self.assertEqual(sorted(first["VersionStages"]), ["AWSCURRENT", "AWSPENDING"])
        got = self.aws("get-secret-value", "--secret-id", "first-pending")
        self.assertEqual(got["SecretString"], "p1")
        # Only the first version: a second pending one stays pending only.
        second = self.aws("put-secret-value", "--secret-id", "first-pending", "--secret-string",
                          "p2", "--version-stages", "AWSPENDING")
        self.assertEqual(second["VersionStages"], ["AWSPENDING"])
        got = self.aws("get-secret-value", "--secret-id", "first-pending")
        self.assertEqual(got["SecretString"], "p1")

    def test_region_in_the_credential_scope(self):
        self.aws("create-secret", "--name", "regional", "--secret-string", "r")
        self.control("/_test/region", {"region": "eu-west-1"})
        try:
            got = self.aws("get-secret-value", "--secret-id", "regional")
            self.assertEqual(got["SecretString"], "r")
            result = self.aws("get-secret-value", "--secret-id", "regional", region="us-west-2",
                              check=False)
            self.assertNotEqual(result.returncode, 0)
            self.assertIn("InvalidSignatureException", result.stderr)
            self.assertIn("Credential should be scoped to a valid region", result.stderr)
        finally:
            self.control("/_test/region", {"region": None})
        self.aws("get-secret-value", "--secret-id", "regional", region="us-west-2")

    def test_resource_scoped_allow(self):
        """Identity-policy Allow statements scoped to ARN patterns: a write inside the pattern
        works; outside it, IAM refuses before the service looks (AccessDeniedException, even for
        a secret that does not exist), while a key allowed on "*" gets ResourceNotFoundException
        there; ListSecrets has no resource-level permissions, so only "*" allows it."""
        self.aws("create-secret", "--name", "app/prod/scoped", "--secret-string", "v1")
        arn_prefix = "arn:aws:secretsmanager:*:123456789012:secret:"
        self.control("/_test/credentials", {
            "access_key": "AKIDSCOPED", "secret_key": "scoped-secret",
            "allow": ["GetSecretValue",
                      {"action": "PutSecretValue", "resource": arn_prefix + "app/prod/*"},
                      {"action": "ListSecrets", "resource": arn_prefix + "app/prod/*"}]})
        scoped = {"access_key": "AKIDSCOPED", "secret_key": "scoped-secret"}
        self.aws("put-secret-value", "--secret-id", "app/prod/scoped", "--secret-string", "v2",
                 **scoped)
        for args in (["put-secret-value", "--secret-id", "app/locksmith-check-probe-1",
                      "--secret-string", "x"],
                     ["put-secret-value", "--secret-id", "app/prod-old/x", "--secret-string", "x"],
                     ["list-secrets"]):
            denied = self.aws(*args, check=False, **scoped)
            self.assertNotEqual(denied.returncode, 0)
            self.assertIn("AccessDeniedException", denied.stderr)
        self.control("/_test/credentials", {
            "access_key": "AKIDBROAD", "secret_key": "broad-secret",
            "allow": [{"action": "*", "resource": "*"}]})
        broad = {"access_key": "AKIDBROAD", "secret_key": "broad-secret"}
        missing = self.aws("put-secret-value", "--secret-id", "app/locksmith-check-probe-1",
                           "--secret-string", "x", check=False, **broad)
        self.assertIn("ResourceNotFoundException", missing.stderr)
        self.aws("list-secrets", **broad)

    def test_wrong_key_is_refused(self):
        result = self.aws("list-secrets", secret_key="not-the-right-secret-key", check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("InvalidSignatureException", result.stderr)
        self.assertIn("signature we calculated does not match", result.stderr)
        result = self.aws("list-secrets", access_key="AKIDUNKNOWN", check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("UnrecognizedClientException", result.stderr)


class AwsStsAssumeRoleTest(unittest.TestCase):
    """STS AssumeRole of the test server, driven by the aws CLI and by botocore's credential
    chain (Debian's botocore 1.29 ignores AWS_ENDPOINT_URL_STS, so its STS client is pointed at
    the server through Session.create_client)."""

    ROLE = "arn:aws:iam::123456789012:role/locksmith-reader"

    @classmethod
    def setUpClass(cls):
        cls.server = subprocess.Popen(["/usr/bin/python3", SERVER], stdout=subprocess.PIPE,
                                      text=True)
        cls.port = int(cls.server.stdout.readline())
        cls.url = "http://127.0.0.1:%d" % cls.port
        cls.home = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        cls.server.wait()
        cls.home.cleanup()

    def control(self, method, path, body=None):
        import urllib.request
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def sts(self, *args, secret_key=SECRET_KEY, check=True):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home.name,
               "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": secret_key,
               "AWS_REGION": "eu-west-1", "AWS_PAGER": "", "AWS_MAX_ATTEMPTS": "1"}
        cmd = [AWS, "--endpoint-url", self.url, "--output", "json", "sts"] + list(args)
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        if check:
            self.assertEqual(result.returncode, 0, result.stderr)
            return json.loads(result.stdout)
        return result

    def test_cli_assume_role(self):
        got = self.sts("assume-role", "--role-arn", self.ROLE, "--role-session-name", "cli",
                       "--external-id", "ext-1", "--duration-seconds", "900")
        creds = got["Credentials"]
        self.assertTrue(creds["AccessKeyId"].startswith("ASIA"))
        self.assertTrue(creds["SecretAccessKey"] and creds["SessionToken"])
        self.assertIn("Expiration", creds)
        self.assertEqual(got["AssumedRoleUser"]["Arn"],
                         "arn:aws:sts::123456789012:assumed-role/locksmith-reader/cli")
        call = self.control("GET", "/_test/assume-role")["calls"][-1]
        self.assertEqual(call, {"RoleArn": self.ROLE, "RoleSessionName": "cli",
                                "ExternalId": "ext-1", "DurationSeconds": 900,
                                "Caller": ACCESS_KEY})

    def test_cli_errors_as_sts_names_them(self):
        self.control("POST", "/_test/assume-role", {"denied": [self.ROLE + "-denied"]})
        denied = self.sts("assume-role", "--role-arn", self.ROLE + "-denied",
                          "--role-session-name", "cli", check=False)
        self.assertNotEqual(denied.returncode, 0)
        self.assertIn("(AccessDenied)", denied.stderr)
        self.assertIn("not authorized to perform: sts:AssumeRole", denied.stderr)
        bad_key = self.sts("assume-role", "--role-arn", self.ROLE, "--role-session-name", "cli",
                           secret_key="wrong-secret", check=False)
        self.assertIn("(SignatureDoesNotMatch)", bad_key.stderr)
        too_long = self.sts("assume-role", "--role-arn", self.ROLE, "--role-session-name", "cli",
                            "--duration-seconds", "7200", check=False)
        self.assertIn("(ValidationError)", too_long.stderr)
        self.assertIn("MaxSessionDuration", too_long.stderr)

    def botocore_session(self, config, profile):
        import botocore.session
        config_file = os.path.join(self.home.name, "config-" + profile)
        with open(config_file, "w") as out:
            out.write(config)
        os.environ.pop("AWS_ACCESS_KEY_ID", None)
        os.environ.pop("AWS_SECRET_ACCESS_KEY", None)
        os.environ["AWS_CONFIG_FILE"] = config_file
        os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.path.join(self.home.name, "none")
        os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
        session = botocore.session.Session(profile=profile)
        create_client = session.create_client
        url = self.url

        def with_endpoint(service, *args, **kwargs):
            kwargs.setdefault("endpoint_url", url)
            return create_client(service, *args, **kwargs)
        session.create_client = with_endpoint
        return session

    def list_secrets_as(self, session):
        client = session.create_client("secretsmanager", region_name="eu-west-1")
        return client.list_secrets()

    def test_botocore_role_arn_with_source_profile_and_chained(self):
        config = ("[profile base]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                  "[profile app]\nrole_arn = %s\nsource_profile = base\n"
                  "role_session_name = botocore-app\nexternal_id = ext-2\nregion = eu-west-1\n"
                  "[profile chained]\nrole_arn = %s-second\nsource_profile = app\n"
                  "region = eu-west-1\n") % (ACCESS_KEY, SECRET_KEY, self.ROLE, self.ROLE)
        session = self.botocore_session(config, "app")
        creds = session.get_credentials()
        self.assertEqual(creds.method, "assume-role")
        self.assertTrue(creds.get_frozen_credentials().access_key.startswith("ASIA"))
        self.list_secrets_as(session)  # the assumed credentials sign Secrets Manager calls
        call = self.control("GET", "/_test/assume-role")["calls"][-1]
        self.assertEqual((call["RoleSessionName"], call["ExternalId"], call["Caller"]),
                         ("botocore-app", "ext-2", ACCESS_KEY))

        chained = self.botocore_session(config, "chained")
        self.list_secrets_as(chained)
        calls = self.control("GET", "/_test/assume-role")["calls"]
        self.assertEqual(calls[-1]["RoleArn"], self.ROLE + "-second")
        self.assertTrue(calls[-1]["Caller"].startswith("ASIA"))  # signed by the first role

    def test_botocore_credential_process(self):
        script = os.path.join(self.home.name, "creds.py")
        with open(script, "w") as out:
            out.write("import json\nprint(json.dumps({'Version': 1, 'AccessKeyId': %r, "
                      "'SecretAccessKey': %r, 'Expiration': '2099-01-01T00:00:00Z'}))\n"
                      % (ACCESS_KEY, SECRET_KEY))
        config = ("[profile proc]\ncredential_process = /usr/bin/python3 '%s'\n"
                  "region = eu-west-1\n") % script
        session = self.botocore_session(config, "proc")
        self.assertEqual(session.get_credentials().method, "custom-process")
        self.list_secrets_as(session)


if __name__ == "__main__":
    unittest.main(verbosity=2)
