#!/usr/bin/python3
"""Proves the IMDS modes of tests/servers/aws_server.py faithful with the real botocore
(Debian python3-botocore): with the token PUT refused (403, 404, 405) or unanswered (the hop
limit inside a container), botocore goes on without a token (IMDSv1) and gets the role's
credentials; a 400 stops it; an IMDS that requires tokens answers its tokenless GETs 401, so it
finds none; and, where botocore knows AWS_EC2_METADATA_V1_DISABLED (1.31 and later), it then
refuses to fall back. locksmith's IMDS source (src/providers/aws/credentials/imds.cc) is tested
against the same modes in tests/providers/aws/aws_imds_test.cc.
"""
import json
import os
import subprocess
import tempfile
import unittest
import urllib.request

import botocore.configprovider
import botocore.exceptions
import botocore.session
import botocore.utils

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "aws_server.py")
KNOWS_V1_DISABLED = "ec2_metadata_v1_disabled" in getattr(
    botocore.configprovider, "BOTOCORE_DEFAUT_SESSION_VARIABLES", {})


class ImdsBotocoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = subprocess.Popen(["/usr/bin/python3", SERVER], stdout=subprocess.PIPE,
                                      text=True)
        cls.url = "http://127.0.0.1:%d/" % int(cls.server.stdout.readline())

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        cls.server.wait()

    def control(self, **mode):
        request = urllib.request.Request(self.url + "_test/imds", json.dumps(mode).encode(),
                                         {"Content-Type": "application/json"}, method="POST")
        urllib.request.urlopen(request, timeout=10).read()

    def counters(self):
        return json.loads(urllib.request.urlopen(self.url + "_test/imds", timeout=10).read())

    def setUp(self):
        self.control(token_put=None, require_token=True)
        self.before = self.counters()

    def delta(self, name):
        return self.counters()[name] - self.before[name]

    def fetch(self, **config):
        fetcher = botocore.utils.InstanceMetadataFetcher(
            timeout=1, num_attempts=1, base_url=self.url, env={}, config=config)
        return fetcher.retrieve_iam_role_credentials()

    def test_v2_when_the_token_is_given(self):
        creds = self.fetch()
        self.assertTrue(creds["access_key"].startswith("ASIA"))
        self.assertEqual(self.delta("v1_gets"), 0)
        self.assertEqual(self.delta("v2_gets"), 2)

    def test_v1_when_the_token_put_is_refused(self):
        self.control(require_token=False)
        for status in (403, 404, 405):
            with self.subTest(status=status):
                self.control(token_put=status)
                before = self.counters()["v1_gets"]
                creds = self.fetch()
                self.assertTrue(creds["access_key"].startswith("ASIA"))
                self.assertEqual(self.counters()["v1_gets"] - before, 2)
        self.assertEqual(self.delta("v2_gets"), 0)

    def test_v1_when_the_token_put_times_out(self):
        self.control(require_token=False, token_put="hang")
        creds = self.fetch()
        self.assertTrue(creds["access_key"].startswith("ASIA"))
        self.assertEqual(self.delta("v1_gets"), 2)

    def test_v1_after_a_token_put_answered_500(self):
        # Any other status is retried (num_attempts), then botocore goes on without a token.
        self.control(require_token=False, token_put=500)
        self.assertTrue(self.fetch()["access_key"].startswith("ASIA"))
        self.assertEqual(self.delta("v1_gets"), 2)

    def test_a_400_stops_without_credentials(self):
        self.control(require_token=False, token_put=400)
        self.assertEqual(self.fetch(), {})
        self.assertEqual(self.delta("v1_gets"), 0)

    def test_tokens_required_refuses_v1(self):
        self.control(token_put=403)  # require_token stays true: a tokenless GET is 401
        self.assertEqual(self.fetch(), {})
        self.assertEqual(self.delta("v1_gets"), 1)

    @unittest.skipUnless(KNOWS_V1_DISABLED, "this botocore predates ec2_metadata_v1_disabled")
    def test_v1_disabled_refuses_to_fall_back(self):
        self.control(require_token=False, token_put=403)
        with self.assertRaises(botocore.exceptions.MetadataRetrievalError):
            self.fetch(ec2_metadata_v1_disabled=True)
        self.assertEqual(self.delta("v1_gets"), 0)

    def test_a_session_finds_the_role_credentials_by_v1(self):
        self.control(require_token=False, token_put=403)
        saved = dict(os.environ)
        home = tempfile.TemporaryDirectory()
        try:
            for name in list(os.environ):
                if name.startswith("AWS_"):
                    del os.environ[name]
            os.environ.update({"HOME": home.name, "AWS_EC2_METADATA_SERVICE_ENDPOINT": self.url,
                               "AWS_METADATA_SERVICE_TIMEOUT": "1", "NO_PROXY": "127.0.0.1"})
            creds = botocore.session.get_session().get_credentials()
            self.assertEqual(creds.method, "iam-role")
            self.assertTrue(creds.get_frozen_credentials().access_key.startswith("ASIA"))
        finally:
            os.environ.clear()
            os.environ.update(saved)
            home.cleanup()
        self.assertEqual(self.delta("v1_gets"), 2)


if __name__ == "__main__":
    unittest.main()
