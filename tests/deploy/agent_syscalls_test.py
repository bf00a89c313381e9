"""The real `locksmith agent` makes only the system calls locksmith-agent.service allows.

  /usr/bin/python3 tests/deploy/agent_syscalls_test.py --locksmith build/apps/locksmith/locksmith

The unit filters system calls (`SystemCallFilter=@system-service`, then `~@privileged
@resources`); a call outside the filter fails with EPERM in production and nowhere else. This
test runs the agent under strace (Debian strace; ./dev.sh test installs it) through what a
service's agent does: first start on an empty embedded store (seeding, master key and token
files), requests (a hit, a miss, /ping, /metrics, a refused token) and a SIGTERM stop, then checks
every traced call against the unit's filter, expanded by `systemd-analyze syscall-filter`. As
root it runs the agent as `nobody`, as the unit never runs it as root (root takes other paths:
SQLite chowns its journal to the database's owner). No running systemd is needed.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import deploy_files as df
import systemd_unit_test as unit

LOCKSMITH = None
STARTUP_TIMEOUT_S = 120  # under ASan on a loaded 2-core machine


def syscall_groups():
    """{"@group": set of members (calls and @groups)} from systemd-analyze."""
    run = subprocess.run([unit.tool("systemd-analyze"), "syscall-filter", "--no-pager"],
                         capture_output=True, text=True, check=True)
    groups, current = {}, None
    for line in run.stdout.splitlines():
        if line.startswith("@"):
            current = groups.setdefault(line.strip(), set())
        elif current is not None and line.strip() and not line.strip().startswith("#"):
            current.add(line.strip())
    return groups


def expand(names, groups):
    out = set()
    for name in names:
        out |= expand(groups[name], groups) if name.startswith("@") else {name}
    return out


def allowed_syscalls(service, groups):
    """The calls the unit's SystemCallFilter= lines allow: the first allow-list, minus every
    `~` deny-list (the combination the unit uses; other forms are refused, not guessed)."""
    allowed = None
    for key, value in service:
        if key != "SystemCallFilter":
            continue
        if value.startswith("~"):
            if allowed is None:
                raise AssertionError("a deny-list before an allow-list: not what this test reads")
            allowed -= expand(value[1:].split(), groups)
        elif allowed is None:
            allowed = expand(value.split(), groups)
        else:
            allowed |= expand(value.split(), groups)
    if allowed is None:
        raise AssertionError("the unit has no SystemCallFilter=")
    return allowed


def traced_syscalls(trace_text):
    names = set()
    for line in trace_text.splitlines():
        m = re.match(r"^\d+\s+([a-z_0-9]+)\(", line)
        if m:
            names.add(m.group(1))
    return names


class FilterReadingTest(unittest.TestCase):
    def test_expands_the_units_filter(self):
        groups = syscall_groups()
        service = unit.parse_unit(df.read(unit.UNIT))["Service"]
        allowed = allowed_syscalls(service, groups)
        self.assertIn("read", allowed)
        self.assertIn("accept4", allowed)
        for denied in ("mount", "setuid", "ptrace", "init_module", "setpriority"):
            self.assertNotIn(denied, allowed)

    def test_reads_strace_lines(self):
        trace = ("100 openat(AT_FDCWD, \"x\", O_RDONLY) = 3\n"
                 "101 futex(0x1, FUTEX_WAIT, 0, NULL <unfinished ...>\n"
                 "101 <... futex resumed>) = 0\n"
                 "100 +++ exited with 0 +++\n")
        self.assertEqual(traced_syscalls(trace), {"openat", "futex"})


class AgentUnderFilterTest(unittest.TestCase):
    def setUp(self):
        if LOCKSMITH is None:
            self.fail("give the program with --locksmith PATH")
        self.strace = shutil.which("strace")
        if self.strace is None:
            self.fail("strace not found: install Debian strace (./dev.sh test does)")
        self.dir = tempfile.mkdtemp(prefix="locksmith-syscalls-")
        self.addCleanup(shutil.rmtree, self.dir)
        os.chmod(self.dir, 0o755)
        self.state = os.path.join(self.dir, "state")
        os.mkdir(self.state, 0o700)
        self.program = os.path.join(self.dir, "locksmith")
        shutil.copy(LOCKSMITH, self.program)  # reachable by `nobody` wherever the build is
        os.chmod(self.program, 0o755)

    def start_agent(self):
        prefix = []
        if os.geteuid() == 0:
            for path in (self.dir, self.state):  # strace writes its trace in self.dir
                os.chown(path, 65534, 65534)
            prefix = [shutil.which("setpriv"), "--reuid=nobody", "--regid=nogroup",
                      "--clear-groups"]
        environment = {
            "PATH": "/usr/bin:/bin",
            "LOCKSMITH_STORE": os.path.join(self.state, "secrets.db"),
            "APP_ENV": "development",  # seed: the first start also writes the store
            "LOCKSMITH_AGENT_LISTEN": "127.0.0.1:0",
            "ASAN_OPTIONS": "detect_leaks=0",  # LeakSanitizer cannot run under ptrace
        }
        self.trace = os.path.join(self.dir, "trace")
        self.stderr_path = os.path.join(self.dir, "stderr")
        stderr = open(self.stderr_path, "w", encoding="utf-8")
        self.addCleanup(stderr.close)
        strace = subprocess.Popen(
            prefix + [self.strace, "-f", "-qq", "-o", self.trace, self.program, "agent"],
            env=environment, stdout=subprocess.DEVNULL, stderr=stderr)
        self.addCleanup(self.stop, strace)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", self.stderr())
            if m:
                return strace, int(m.group(1))
            if strace.poll() is not None:
                self.fail("the agent exited: " + self.stderr())
            time.sleep(0.1)  # waiting for the agent's own line, bounded by the deadline
        self.fail("the agent did not start within %d s: %s" % (STARTUP_TIMEOUT_S, self.stderr()))

    def stderr(self):
        with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def agent_pid(self, strace):
        """The traced agent: strace's only child (setpriv execs strace, keeping its pid)."""
        try:
            with open("/proc/%d/task/%d/children" % (strace.pid, strace.pid)) as f:
                children = f.read().split()
        except OSError:
            return None
        return int(children[0]) if children else None

    def stop(self, strace):
        """After a failure: the agent first, so it cannot outlive its tracer."""
        if strace.poll() is None:
            pid = self.agent_pid(strace)
            if pid is not None:
                os.kill(pid, signal.SIGKILL)
            strace.kill()
            strace.wait()

    def get(self, port, path, token=None):
        request = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path))
        if token is not None:
            request.add_header("X-Aws-Parameters-Secrets-Token", token)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status
        except urllib.error.HTTPError as e:
            return e.code

    def test_every_call_is_inside_the_units_filter(self):
        strace, port = self.start_agent()
        with open(os.path.join(self.state, "agent.token"), encoding="utf-8") as f:
            token = f.read().strip()
        self.assertEqual(self.get(port, "/ping"), 200)
        self.assertEqual(self.get(port, "/secretsmanager/get?secretId=jwt-secret", token), 200)
        self.assertEqual(self.get(port, "/secretsmanager/get?secretId=jwt-secret", token), 200)
        self.assertEqual(self.get(port, "/secretsmanager/get?secretId=no-such-secret", token),
                         404)
        self.assertEqual(
            self.get(port, "/secretsmanager/get?secretId=jwt-secret&refreshNow=true", token), 200)
        self.assertEqual(self.get(port, "/secretsmanager/get?secretId=jwt-secret", "wrong"), 403)
        self.assertEqual(self.get(port, "/metrics"), 200)

        pid = self.agent_pid(strace)
        self.assertIsNotNone(pid)
        os.kill(pid, signal.SIGTERM)
        strace.wait(timeout=60)
        self.assertIn("locksmith agent: stopped", self.stderr())

        with open(self.trace, encoding="utf-8", errors="replace") as f:
            used = traced_syscalls(f.read())
        self.assertTrue({"openat", "bind", "listen"} <= used, "the trace looks empty")
        service = unit.parse_unit(df.read(unit.UNIT))["Service"]
        outside = sorted(used - allowed_syscalls(service, syscall_groups()))
        self.assertEqual(outside, [], "calls the unit's SystemCallFilter= would refuse")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--locksmith":
        LOCKSMITH = sys.argv[2]
        del sys.argv[1:3]
    unittest.main(verbosity=2)
