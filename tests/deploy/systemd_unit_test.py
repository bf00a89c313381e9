"""deploy/systemd/locksmith-agent.service: hardened as docs/operations.md says, free of secrets,
and accepted by systemd's own tools.

  /usr/bin/python3 tests/deploy/systemd_unit_test.py

systemd-analyze (Debian systemd; ./dev.sh test installs it) must be present: `verify` parses the
unit as systemd would (any warning fails the test) and `security --offline` scores its exposure;
systemd-sysusers creates the unit's user from locksmith.sysusers.conf in a scratch root. None of
them needs a running systemd.
"""

import os
import shutil
import subprocess
import tempfile
import unittest

import deploy_files as df
import env_example_test as env

UNIT = os.path.join(df.REPO, "deploy", "systemd", "locksmith-agent.service")
SYSUSERS = os.path.join(df.REPO, "deploy", "systemd", "locksmith.sysusers.conf")
EXEC_START = "/usr/local/bin/locksmith agent"  # where `cmake --install` puts the program

# What a reader of docs/operations.md is promised, directive by directive.
REQUIRED = {
    "User": "locksmith",
    "Group": "locksmith",
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "MemoryDenyWriteExecute": "yes",
    "LockPersonality": "yes",
    "RestrictSUIDSGID": "yes",
    "RestrictNamespaces": "yes",
    "ProtectKernelTunables": "yes",
    "CapabilityBoundingSet": "",
    "LimitCORE": "0",
    "StateDirectory": "locksmith",
    "StateDirectoryMode": "0700",
    "UMask": "0077",
    "Restart": "on-failure",
    "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
    "EnvironmentFile": "/etc/locksmith/agent.env",
}
# Exposure score of `systemd-analyze security` (0.0 best, 10.0 worst) times ten.
MAX_EXPOSURE = 15


def parse_unit(text):
    """{section: [(key, value), ...]} keeping repeated keys, as systemd does."""
    sections = {}
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        key, sep, value = line.partition("=")
        if not sep or current is None:
            raise ValueError("not a unit file line: %r" % raw)
        current.append((key.strip(), value.strip()))
    return sections


def tool(name):
    path = shutil.which(name)
    if path is None:
        raise AssertionError("%s not found: install Debian systemd (./dev.sh test does)" % name)
    return path


class UnitContentTest(unittest.TestCase):
    def setUp(self):
        self.service = parse_unit(df.read(UNIT))["Service"]
        self.last = dict(self.service)  # the last assignment of each key wins

    def test_hardening_directives(self):
        for key, value in REQUIRED.items():
            with self.subTest(key=key):
                self.assertIn(key, self.last)
                self.assertEqual(self.last[key], value)

    def test_runs_the_installed_agent(self):
        self.assertEqual(self.last["ExecStart"], EXEC_START)

    def test_no_secret_and_only_variables_locksmith_reads(self):
        known = env.config_variables() | env.agent_variables()
        secret = env.secret_bearing_variables()
        secret |= {v for vs in env.standard_secrets().values() for v in vs}
        for key, value in self.service:
            if key != "Environment":
                continue
            name = value.partition("=")[0]
            with self.subTest(name=name):
                self.assertNotIn(name, secret)
                self.assertIn(name, known)
        self.assertNotIn("LoadCredential", self.last)

    def test_the_store_is_in_the_state_directory(self):
        environment = dict(v.partition("=")[::2] for k, v in self.service if k == "Environment")
        store = environment["LOCKSMITH_STORE"]
        self.assertEqual(os.path.dirname(store), "/var/lib/" + self.last["StateDirectory"])
        self.assertEqual(environment["APP_ENV"], "production")

    def test_a_missing_directive_is_noticed(self):
        text = df.read(UNIT).replace("MemoryDenyWriteExecute=yes\n", "")
        self.assertNotIn("MemoryDenyWriteExecute", dict(parse_unit(text)["Service"]))


class SystemdToolsTest(unittest.TestCase):
    def setUp(self):
        self.scratch = tempfile.mkdtemp(prefix="locksmith-unit-")
        self.addCleanup(shutil.rmtree, self.scratch)

    def unit_copy(self, text=None):
        """The unit with ExecStart pointing at a program that exists here (verify checks it)."""
        text = df.read(UNIT) if text is None else text
        path = os.path.join(self.scratch, "locksmith-agent.service")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text.replace("ExecStart=" + EXEC_START, "ExecStart=/bin/true agent"))
        return path

    def verify(self, path):
        return subprocess.run([tool("systemd-analyze"), "verify", path], capture_output=True,
                              text=True, check=False)

    def test_verify_accepts_the_unit_without_a_warning(self):
        run = self.verify(self.unit_copy())
        self.assertEqual((run.returncode, run.stdout + run.stderr), (0, ""))

    def test_verify_reports_a_mistyped_directive(self):
        text = df.read(UNIT).replace("NoNewPrivileges=yes", "NoNewPrivileges=maybe")
        run = self.verify(self.unit_copy(text))
        self.assertIn("maybe", run.stdout + run.stderr)  # a warning, which the test above forbids

    def test_exposure_score(self):
        run = subprocess.run([tool("systemd-analyze"), "security", "--offline=true",
                              "--threshold=%d" % MAX_EXPOSURE, "--no-pager", self.unit_copy()],
                             capture_output=True, text=True, check=False)
        overall = [line for line in run.stdout.splitlines() if "Overall exposure" in line]
        self.assertEqual(run.returncode, 0, "\n".join(overall) or run.stdout + run.stderr)

    def test_sysusers_creates_a_locked_system_user(self):
        os.makedirs(os.path.join(self.scratch, "root", "etc"))
        run = subprocess.run([tool("systemd-sysusers"), "--root=" + os.path.join(self.scratch,
                                                                                 "root"),
                              SYSUSERS], capture_output=True, text=True, check=False)
        self.assertEqual(run.returncode, 0, run.stderr)
        with open(os.path.join(self.scratch, "root", "etc", "passwd"), encoding="utf-8") as f:
            fields = [line.split(":") for line in f.read().splitlines()]
        user = [f for f in fields if f[0] == "locksmith"]
        self.assertEqual(len(user), 1)
        self.assertLess(int(user[0][2]), 1000)  # a system uid
        self.assertEqual(user[0][5], "/var/lib/locksmith")
        self.assertEqual(user[0][6], "/usr/sbin/nologin")


if __name__ == "__main__":
    unittest.main(verbosity=2)
