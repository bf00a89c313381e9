#!/usr/bin/python3
"""Soak test: `locksmith agent` under steady load while its back end fails and secrets rotate.

    scripts/soak-agent.py [--duration 600] [--build-dir build-asan] [--csv FILE]

Starts the Vault test server (tests/servers/vault_server.py, KV v2 on loopback; not Vault), seeds
four secrets with `locksmith put`, starts `locksmith agent` on them (cache TTL 2 s, so the agent
goes back to the back end every few seconds), then for --duration seconds:
  - wrk drives the agent (8 connections, 2 threads, loopback) with GETs of the four secrets,
    the AWS Secrets Manager Agent's path and token header;
  - the back end fails 10% of its requests with a 500 (the test server's "rate" fault), and
    every request for 5 s in the middle of the run (an outage: the circuit breaker opens and the
    agent serves its cached values);
  - `locksmith rotate` gives one of the secrets a new version every 10 seconds;
  - the agent's resident memory, open descriptors and threads are sampled every second.
Then it checks: no client request failed (wrk counts no non-2xx answer and no socket error), the
agent serves each secret's current value at the back end, descriptors and threads end where they were after the
warm-up (descriptors: at most one back-end connection more per agent thread), and resident memory
grew no more than 10% (plus 4 MiB) from then. It prints a table of
the samples every tenth of the run and a one-line summary; exit status 0 when every check holds.
CI runs it for 60 seconds (./dev.sh test); the ten-minute run is the default.

Under an ASan build the agent runs with a small allocator quarantine (ASan otherwise holds 256 MiB
of freed blocks, which reads as growth until it is full); leak detection stays on.
"""

import argparse
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAMES = ["jwt-secret", "database-password", "redis-password", "rpc-api-key"]
ROTATE_EVERY = 10.0
FAIL_RATE = 0.10
CONNECTIONS = 8
WRK_THREADS = 2

WRK_SCRIPT = """
local token = os.getenv("SOAK_AGENT_TOKEN")
local paths = {%s}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1], {["X-Aws-Parameters-Secrets-Token"] = token})
end
"""


def fail(message):
    print("soak: FAILED: " + message, file=sys.stderr)
    sys.exit(1)


class Soak:
    def __init__(self, args):
        self.args = args
        self.work = tempfile.mkdtemp(prefix="locksmith-soak-")
        self.processes = []
        self.cli = os.path.join(ROOT, args.build_dir, "apps", "locksmith", "locksmith")
        if not os.access(self.cli, os.X_OK):
            fail("no locksmith program at %s (build it first)" % self.cli)
        if not shutil.which("wrk"):
            fail("wrk is not installed (apt-get install wrk)")
        root_token = secrets.token_hex(16)
        self.agent_token = secrets.token_hex(16)
        # HOME is the work directory: no ~/.vault-token or ~/.aws of the caller.
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("VAULT_", "AWS_", "LOCKSMITH_", "SECRETS_"))}
        self.env.update({"HOME": self.work, "SECRETS_BACKEND": "vault",
                         "VAULT_TOKEN": root_token, "VAULT_TEST_ROOT_TOKEN": root_token})
        self.samples = []  # (seconds, rss_kib, fds, threads)
        self.rotations = []  # (seconds, name, ok)
        self.last_version = {}
        self.stop = threading.Event()

    def cleanup(self):
        for p in reversed(self.processes):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        if self.args.keep:
            print("soak: kept %s (agent.err: the agent's log)" % self.work)
        else:
            shutil.rmtree(self.work, ignore_errors=True)

    def start_server(self):
        server = subprocess.Popen(
            ["/usr/bin/python3", os.path.join(ROOT, "tests/servers/vault_server.py"),
             "--real-clock"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=self.env,
            text=True)
        self.processes.append(server)
        port = server.stdout.readline().strip()
        if not port.isdigit():
            fail("the Vault test server did not start")
        self.server_url = "http://127.0.0.1:" + port
        self.env["VAULT_ADDR"] = self.server_url

    def control(self, path, body):
        request = urllib.request.Request(self.server_url + path, data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read() or b"{}")

    def locksmith(self, *args, stdin=None):
        return subprocess.run([self.cli, *args], input=stdin, capture_output=True, text=True,
                              env=self.env, timeout=60)

    def seed(self):
        for name in NAMES:
            result = self.locksmith("rotate", name)
            if result.returncode != 0:
                fail("could not seed %s: exit %d" % (name, result.returncode))
            self.last_version[name] = result.stdout.strip()

    def start_agent(self):
        # A short breaker: after the outage the agent is back on the back end within 5 s.
        env = dict(self.env, LOCKSMITH_CACHE_TTL="2s", LOCKSMITH_AGENT_TOKEN=self.agent_token,
                   LOCKSMITH_MAX_STALENESS="1h", LOCKSMITH_BREAKER_OPEN_DURATION="5s")
        if "ASAN_OPTIONS" not in env:
            env["ASAN_OPTIONS"] = "quarantine_size_mb=16:thread_local_quarantine_size_kb=64"
        self.agent_log = open(os.path.join(self.work, "agent.err"), "w+")
        wrap = shlex.split(self.args.wrap) if self.args.wrap else []
        agent = subprocess.Popen(wrap + [self.cli, "agent", "--listen", "127.0.0.1:0"],
                                 stdout=subprocess.DEVNULL, stderr=self.agent_log, env=env)
        self.processes.append(agent)
        self.agent = agent
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            self.agent_log.seek(0)
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", self.agent_log.read())
            if m:
                self.agent_port = int(m.group(1))
                return
            if agent.poll() is not None:
                break
            time.sleep(0.1)
        fail("the agent did not start")

    def get(self, name):
        request = urllib.request.Request(
            "http://127.0.0.1:%d/secretsmanager/get?secretId=%s" % (self.agent_port, name),
            headers={"X-Aws-Parameters-Secrets-Token": self.agent_token})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())

    def sample(self, started):
        pid = self.agent.pid
        while not self.stop.is_set():
            try:
                with open("/proc/%d/status" % pid) as status:
                    text = status.read()
                rss = int(re.search(r"VmRSS:\s+(\d+)", text).group(1))
                threads = int(re.search(r"Threads:\s+(\d+)", text).group(1))
                fds = len(os.listdir("/proc/%d/fd" % pid))
            except (OSError, AttributeError):
                return
            self.samples.append((time.monotonic() - started, rss, fds, threads))
            self.stop.wait(1.0)

    def rotate(self, started):
        # A write is not retried by locksmith on a 500 (it may have been applied), so the rotator
        # tries again itself, as an operator's job would, up to three times per tick.
        i = 0
        while not self.stop.wait(ROTATE_EVERY):
            name = NAMES[i % len(NAMES)]
            i += 1
            for attempt in range(3):
                result = self.locksmith("rotate", name)
                if result.returncode == 0:
                    self.last_version[name] = result.stdout.strip()
                    break
            self.rotations.append((time.monotonic() - started, name, result.returncode == 0,
                                   attempt + 1))

    def faults(self, started):
        # The back end fails a share of requests throughout, and not at all during the outage in
        # the middle of the run (every request fails: the breaker opens, cached values are served).
        rate = {"mode": "500", "rate": self.args.fail_rate}
        begin = self.args.duration / 2
        end = begin + self.args.outage
        if self.args.outage > 0 and not self.stop.wait(begin):
            self.control("/_test/fault", {"mode": "500"})
            if not self.stop.wait(end - begin):
                self.control("/_test/fault", rate if self.args.fail_rate > 0 else {"mode": "none"})

    def run_load(self):
        paths = ", ".join('"/secretsmanager/get?secretId=%s"' % n for n in NAMES)
        script = os.path.join(self.work, "soak.lua")
        with open(script, "w") as f:
            f.write(WRK_SCRIPT % paths)
        # The token reaches wrk's script through its environment, never its arguments.
        env = dict(os.environ, SOAK_AGENT_TOKEN=self.agent_token)
        return subprocess.run(
            ["wrk", "-t%d" % WRK_THREADS, "-c%d" % CONNECTIONS, "-d%ds" % self.args.duration,
             "--timeout", "5s", "-s", script, "http://127.0.0.1:%d" % self.agent_port],
            capture_output=True, text=True, env=env, timeout=self.args.duration + 60)

    def run(self):
        self.start_server()
        self.seed()
        self.start_agent()
        for name in NAMES:  # every value cached before the back end starts failing
            if self.get(name).get("VersionId") != self.last_version[name]:
                fail("the agent did not serve the seeded version of %s" % name)
        if self.args.fail_rate > 0:
            self.control("/_test/fault", {"mode": "500", "rate": self.args.fail_rate})
        started = time.monotonic()
        threads = [threading.Thread(target=self.sample, args=(started,)),
                   threading.Thread(target=self.rotate, args=(started,)),
                   threading.Thread(target=self.faults, args=(started,))]
        for t in threads:
            t.start()
        try:
            load = self.run_load()
        finally:
            self.stop.set()
            for t in threads:
                t.join()
        self.control("/_test/fault", {"mode": "none"})
        return load

    def check_latest_versions(self):
        # After the load: each secret's current value at the back end (read by `locksmith get`, a
        # new process with no cache; not the rotator's bookkeeping, since a rotate that exits
        # non-zero may still have promoted its version) reaches the agent within a few TTLs.
        current = {}
        for name in NAMES:
            result = self.locksmith("get", name)
            if result.returncode != 0:
                fail("locksmith get %s exited %d after the run" % (name, result.returncode))
            current[name] = result.stdout.rstrip("\n")
        deadline = time.monotonic() + 10
        stale = list(NAMES)
        while stale and time.monotonic() < deadline:
            stale = [n for n in NAMES if self.get(n).get("SecretString") != current[n]]
            if stale:
                time.sleep(0.5)
        return stale


def parse_wrk(output):
    def number(pattern):
        m = re.search(pattern, output)
        return int(m.group(1)) if m else 0
    requests = number(r"(\d+) requests in")
    non2xx = number(r"Non-2xx or 3xx responses: (\d+)")
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    socket_errors = sum(int(x) for x in m.groups()) if m else 0
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    latency = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", output)
    return {"requests": requests, "non2xx": non2xx, "socket_errors": socket_errors,
            "rate": float(rate.group(1)) if rate else 0.0,
            "latency": latency.groups() if latency else ("?", "?", "?")}


def print_table(samples, duration):
    print("   t (s)    RSS (MiB)   fds   threads")
    step = max(1, len(samples) // 10)
    rows = samples[::step]
    if samples and rows[-1] is not samples[-1]:
        rows.append(samples[-1])
    for t, rss, fds, threads in rows:
        print("  %6.0f   %9.1f   %4d   %7d" % (t, rss / 1024, fds, threads))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=600, help="seconds of load (default 600)")
    parser.add_argument("--build-dir", default="build-asan")
    parser.add_argument("--fail-rate", type=float, default=FAIL_RATE,
                        help="share of back-end requests that fail (default 0.1)")
    parser.add_argument("--outage", type=int, default=5,
                        help="seconds mid-run when every back-end request fails (default 5)")
    parser.add_argument("--wrap", help="run the agent under this command (e.g. 'heaptrack -o F')")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--csv", help="write every sample (t, rss_kib, fds, threads) here")
    args = parser.parse_args()
    if args.duration < 20:
        parser.error("--duration must be at least 20 seconds")
    soak = Soak(args)
    try:
        load = soak.run()
        stale = soak.check_latest_versions()
        agent_alive = soak.agent.poll() is None
    finally:
        samples = soak.samples
        rotations = soak.rotations
        soak.cleanup()
    if args.csv:
        with open(args.csv, "w") as f:
            f.write("t,rss_kib,fds,threads\n")
            for s in samples:
                f.write("%.1f,%d,%d,%d\n" % s)
    if load.returncode != 0:
        fail("wrk exited %d: %s" % (load.returncode, load.stderr.strip()[:200]))
    w = parse_wrk(load.stdout)
    print_table(samples, args.duration)
    # The warm-up: the first tenth of the run (at least 5 s) fills caches, pools and arenas.
    warm = [s for s in samples if s[0] >= max(5.0, args.duration / 10)]
    if len(warm) < 5:
        fail("too few samples (%d) after the warm-up" % len(warm))
    start, end = warm[0], samples[-1]
    peak_rss = max(s[1] for s in warm)
    ok_rotations = sum(1 for r in rotations if r[2])
    retried = sum(1 for r in rotations if r[3] > 1)
    print("soak: %d s, %d requests (%.0f/s, latency avg %s, max %s), %d non-2xx, %d socket errors; "
          "back end failing %.0f%% of requests, all of them for %d s mid-run; %d of %d rotations "
          "done (%d needed a retry); RSS %.1f -> %.1f MiB (peak %.1f), fds %d -> %d, threads "
          "%d -> %d (from t=%.0f s to the end)" % (
              args.duration, w["requests"], w["rate"], w["latency"][0], w["latency"][2],
              w["non2xx"], w["socket_errors"], args.fail_rate * 100, args.outage, ok_rotations,
              len(rotations), retried, start[1] / 1024, end[1] / 1024, peak_rss / 1024, start[2],
              end[2], start[3], end[3], start[0]))
    problems = []
    if not agent_alive:
        problems.append("the agent died")
    if w["requests"] == 0:
        problems.append("wrk made no request")
    if w["non2xx"] or w["socket_errors"]:
        problems.append("%d failed client requests" % (w["non2xx"] + w["socket_errors"]))
    if ok_rotations == 0 and args.duration >= 2 * ROTATE_EVERY:
        problems.append("no rotation succeeded")
    if stale:
        problems.append("the agent still serves an old version of " + ", ".join(stale))
    # Each of the agent's threads may keep one connection to the back end (libcurl's connection
    # cache per handle): more threads call it once the breaker closes after the outage. Bounded
    # by the thread count; anything beyond it is a descriptor leak.
    fd_bound = start[2] + end[3]
    if max(s[2] for s in warm) > fd_bound:
        problems.append("descriptors grew %d -> %d (more than one per thread)"
                        % (start[2], max(s[2] for s in warm)))
    if end[3] > start[3]:
        problems.append("threads grew %d -> %d" % (start[3], end[3]))
    if end[1] > start[1] * 1.10 + 4096:
        problems.append("RSS grew %.1f -> %.1f MiB" % (start[1] / 1024, end[1] / 1024))
    if problems:
        fail("; ".join(problems))
    print("soak: ok")


if __name__ == "__main__":
    main()
