"""The real `locksmith agent` against the deployment files: it makes only the system calls
locksmith-agent.service allows, and its /metrics is what the dashboard and alerts read.

  /usr/bin/python3 tests/deploy/real_agent_test.py --locksmith build/apps/locksmith/locksmith \
      --promtool /usr/bin/promtool

System calls: the unit filters them (`SystemCallFilter=@system-service`, then `~@privileged
@resources`); a call outside the filter fails with EPERM in production and nowhere else. The
agent runs under strace (Debian strace; ./dev.sh test installs it) through what a service's agent
does: first start on an empty embedded store (seeding, master key and token files), requests (a
hit, a miss, refreshNow, /ping, /metrics, a refused token) and a SIGTERM stop; every traced call
is checked against the unit's filter, expanded by `systemd-analyze syscall-filter`. As root the
agent runs as `nobody`, as the unit never runs it as root (root takes other paths: SQLite chowns
its journal to the database's owner). No running systemd is needed.

Metrics: a real scrape passes `promtool check metrics`, and every series in it is one the
dashboard and alert tests count as exported (they read the names from src/runtime/metrics.cc).
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
PROMTOOL = None
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


class RealAgentTest(unittest.TestCase):
    def setUp(self):
        if LOCKSMITH is None:
            self.fail("give the program with --locksmith PATH")
        self.dir = tempfile.mkdtemp(prefix="locksmith-agent-")
        self.addCleanup(shutil.rmtree, self.dir)
        os.chmod(self.dir, 0o755)
        self.state = os.path.join(self.dir, "state")
        os.mkdir(self.state, 0o700)
        self.program = os.path.join(self.dir, "locksmith")
        shutil.copy(LOCKSMITH, self.program)  # reachable by `nobody` wherever the build is
        os.chmod(self.program, 0o755)
        self.trace = os.path.join(self.dir, "trace")
        self.traced = False

    def start_agent(self, trace):
        """Starts the agent (under strace if `trace`); returns (process, port)."""
        prefix = []
        if os.geteuid() == 0:
            for path in (self.dir, self.state):  # strace writes its trace in self.dir
                os.chown(path, 65534, 65534)
            prefix = [shutil.which("setpriv"), "--reuid=nobody", "--regid=nogroup",
                      "--clear-groups"]
        if trace:
            strace = shutil.which("strace")
            if strace is None:
                self.fail("strace not found: install Debian strace (./dev.sh test does)")
            prefix += [strace, "-f", "-qq", "-o", self.trace]
        self.traced = trace
        environment = {
            "PATH": "/usr/bin:/bin",
            "LOCKSMITH_STORE": os.path.join(self.state, "secrets.db"),
            "APP_ENV": "development",  # seed: the first start also writes the store
            "LOCKSMITH_AGENT_LISTEN": "127.0.0.1:0",
            "ASAN_OPTIONS": "detect_leaks=0",  # LeakSanitizer cannot run under ptrace
        }
        self.stderr_path = os.path.join(self.dir, "stderr")
        stderr = open(self.stderr_path, "w", encoding="utf-8")
        self.addCleanup(stderr.close)
        process = subprocess.Popen(prefix + [self.program, "agent"], env=environment,
                                   stdout=subprocess.DEVNULL, stderr=stderr)
        self.addCleanup(self.stop, process)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", self.stderr())
            if m:
                return process, int(m.group(1))
            if process.poll() is not None:
                self.fail("the agent exited: " + self.stderr())
            time.sleep(0.1)  # waiting for the agent's own line, bounded by the deadline
        self.fail("the agent did not start within %d s: %s" % (STARTUP_TIMEOUT_S, self.stderr()))

    def stderr(self):
        with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def agent_pid(self, process):
        """The agent: the process itself (setpriv execs it), or strace's only child."""
        if not self.traced:
            return process.pid
        try:
            with open("/proc/%d/task/%d/children" % (process.pid, process.pid)) as f:
                children = f.read().split()
        except OSError:
            return None
        return int(children[0]) if children else None

    def stop(self, process):
        """After a failure: the agent first, so it cannot outlive its tracer."""
        if process.poll() is None:
            pid = self.agent_pid(process)
            if pid is not None and pid != process.pid:
                os.kill(pid, signal.SIGKILL)
            process.kill()
            process.wait()

    def stop_cleanly(self, process):
        os.kill(self.agent_pid(process), signal.SIGTERM)
        process.wait(timeout=60)
        self.assertIn("locksmith agent: stopped", self.stderr())

    def token(self):
        with open(os.path.join(self.state, "agent.token"), encoding="utf-8") as f:
            return f.read().strip()

    def get(self, port, path, token=None):
        """(status, body) of a GET to the agent."""
        request = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path))
        if token is not None:
            request.add_header("X-Aws-Parameters-Secrets-Token", token)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, answer.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, ""

    def status(self, port, path, token=None):
        return self.get(port, path, token)[0]

    def test_every_call_is_inside_the_units_filter(self):
        process, port = self.start_agent(trace=True)
        token = self.token()
        secret = "/secretsmanager/get?secretId=jwt-secret"
        self.assertEqual(self.status(port, "/ping"), 200)
        self.assertEqual(self.status(port, secret, token), 200)
        self.assertEqual(self.status(port, secret, token), 200)
        self.assertEqual(self.status(port, "/secretsmanager/get?secretId=no-such", token), 404)
        self.assertEqual(self.status(port, secret + "&refreshNow=true", token), 200)
        self.assertEqual(self.status(port, secret, "wrong"), 403)
        self.assertEqual(self.status(port, "/metrics"), 200)
        self.stop_cleanly(process)

        with open(self.trace, encoding="utf-8", errors="replace") as f:
            used = traced_syscalls(f.read())
        self.assertTrue({"openat", "bind", "listen"} <= used, "the trace looks empty")
        service = unit.parse_unit(df.read(unit.UNIT))["Service"]
        outside = sorted(used - allowed_syscalls(service, syscall_groups()))
        self.assertEqual(outside, [], "calls the unit's SystemCallFilter= would refuse")

    def test_metrics_are_what_the_dashboard_and_alerts_read(self):
        if PROMTOOL is None or not os.access(PROMTOOL, os.X_OK):
            self.fail("promtool not found (%s): install Debian prometheus" % PROMTOOL)
        process, port = self.start_agent(trace=False)
        token = self.token()
        self.assertEqual(self.status(port, "/secretsmanager/get?secretId=jwt-secret", token), 200)
        self.assertEqual(self.status(port, "/secretsmanager/get?secretId=jwt-secret", token), 200)
        status, body = self.get(port, "/metrics")
        self.assertEqual(status, 200)
        self.stop_cleanly(process)

        lint = subprocess.run([PROMTOOL, "check", "metrics"], input=body, capture_output=True,
                              text=True, check=False)
        # secrets_manager_secret_age_days is the guide's name (its alert reads "age > 80 days"),
        # so promtool's base-unit advice about it is the one finding accepted; any other fails.
        findings = [line for line in (lint.stdout + lint.stderr).splitlines()
                    if line.strip() and not line.startswith(
                        'secrets_manager_secret_age_days use base unit "seconds"')]
        self.assertEqual(findings, [], lint.stdout + lint.stderr)
        self.assertIn("secrets_manager_secret_age_days{", body)  # the agent's reads set it
        scraped = {line.split("{")[0].split(" ")[0] for line in body.splitlines()
                   if line and not line.startswith("#")}
        self.assertEqual(sorted(scraped - df.exported_metric_names()), [])
        # What the alerts need from any running agent is there from the first request on.
        for name in ("secrets_manager_cache_hits_total", "secrets_manager_cache_misses_total",
                     "secrets_manager_backend_latency_seconds_bucket",
                     "secrets_manager_backend_latency_seconds_count",
                     "secrets_manager_circuit_breaker_state"):
            self.assertIn(name, scraped)

if __name__ == "__main__":
    while len(sys.argv) >= 3 and sys.argv[1] in ("--locksmith", "--promtool"):
        if sys.argv[1] == "--locksmith":
            LOCKSMITH = sys.argv[2]
        else:
            PROMTOOL = sys.argv[2]
        del sys.argv[1:3]
    unittest.main(verbosity=2)
