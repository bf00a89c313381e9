#!/usr/bin/python3
"""Proves tests/servers/aws_server.py faithful with the real aws CLI (Debian awscli):
create-secret, put-secret-value, get-secret-value by stage and by id, describe-secret,
list-secrets (with a name filter and pagination), update-secret-version-stage,
batch-get-secret-value (Debian's awscli 2.9 predates it: AWS_DATA_PATH points it at the current
botocore model copied into tests/data/botocore), and a request signed with the wrong key is
refused (InvalidSignatureException), as is an unknown key; with the server's region set, a
request signed for another region is refused; a secret's first version put as AWSPENDING also
becomes AWSCURRENT.
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

    def test_wrong_key_is_refused(self):
        result = self.aws("list-secrets", secret_key="not-the-right-secret-key", check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("InvalidSignatureException", result.stderr)
        self.assertIn("signature we calculated does not match", result.stderr)
        result = self.aws("list-secrets", access_key="AKIDUNKNOWN", check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("UnrecognizedClientException", result.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
