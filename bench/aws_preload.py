#!/usr/bin/python3
"""AWS start-up preload: locksmith vs boto3, side by side (issue 4, Performance).

Starts tests/servers/aws_server.py (which verifies every SigV4 signature), creates COUNT secrets
under agentauri-backend/production/, then for each repetition, interleaved:

  locksmith  runs bench/aws_preload (C++): a new AWS provider (fresh libcurl handles, credentials
             from the environment) and SecretsManager, then SecretsManager::Preload of the COUNT
             names, read through BatchGetSecretValue, 20 per call. Timed inside the process.
  boto3      in this Python process: a new boto3 client (fresh session and connection pool),
             then the same COUNT GetSecretValue calls, one after another as boto3 does.

Both timings cover client creation + all reads and exclude process / interpreter start-up; the
locksmith process's whole wall time (spawn, dynamic linking, exit) and boto3's calls alone
(without client creation) are printed too. The server's per-operation call counts are read
after each side. Prints every repetition, the medians and the ratio boto3 / locksmith
(target: >= 5x; back-end calls: ceil(COUNT / 20)).

Usage: /usr/bin/python3 bench/aws_preload.py [--bin PATH] [--count 100] [--repetitions 7]
"""

import argparse
import glob
import json
import math
import os
import statistics
import subprocess
import sys
import time
import urllib.request

import boto3  # noqa: E402  (Debian python3-boto3)
import botocore  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SERVER = os.path.join(ROOT, "tests", "servers", "aws_server.py")
PREFIX = "agentauri-backend/production"
ACCESS_KEY = "AKIDLOCKSMITHTEST"
SECRET_KEY = "locksmith-test-secret-access-key"
REGION = "eu-west-1"


def find_binary(explicit):
    if explicit:
        return explicit
    if os.environ.get("LOCKSMITH_AWS_PRELOAD"):
        return os.environ["LOCKSMITH_AWS_PRELOAD"]
    candidates = [os.path.join(ROOT, d, "bench", "aws_preload")
                  for d in ("build-release", "build")]
    candidates += sorted(glob.glob(os.path.join(ROOT, "build*", "bench", "aws_preload")))
    for c in candidates:
        if os.access(c, os.X_OK):
            return c
    sys.exit("aws_preload binary not found: build it (ninja -C <build> aws_preload) or pass --bin")


class Server:
    def __enter__(self):
        self.proc = subprocess.Popen(["/usr/bin/python3", SERVER], stdout=subprocess.PIPE,
                                     text=True)
        self.url = "http://127.0.0.1:%d" % int(self.proc.stdout.readline().strip())
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait()

    def control(self, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        with urllib.request.urlopen(urllib.request.Request(self.url + path, data=data)) as r:
            return json.loads(r.read() or b"{}")

    def ops(self):
        return self.control("/_test/stats").get("ops", {})


def client(server):
    session = boto3.session.Session(aws_access_key_id=ACCESS_KEY,
                                    aws_secret_access_key=SECRET_KEY, region_name=REGION)
    return session.client("secretsmanager", endpoint_url=server.url,
                          config=botocore.config.Config(retries={"mode": "standard"}))


def seed(server, count):
    c = client(server)
    for i in range(count):
        c.create_secret(Name="%s/bench-%d" % (PREFIX, i),
                        SecretString="bench-value-%04d-%s" % (i, "x" * 24))


def run_locksmith(binary, server, count):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
               AWS_REGION=REGION)
    for var in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL",
                "AWS_ENDPOINT_URL_SECRETS_MANAGER"):
        env.pop(var, None)
    start = time.perf_counter()
    out = subprocess.run([binary, "--endpoint", server.url, "--prefix", PREFIX, "--names",
                          "bench-", "--count", str(count), "--repetitions", "1", "--stats"],
                         env=env, check=True, capture_output=True, text=True).stdout
    process_ms = (time.perf_counter() - start) * 1000
    line = json.loads(out.strip().splitlines()[-1])
    if line["secrets"] != count:
        sys.exit("locksmith loaded %d of %d secrets" % (line["secrets"], count))
    return line["ms"], process_ms, sum(line["ops"].values())


def run_boto3(server, count):
    server.control("/_test/reset-stats", {})
    start = time.perf_counter()
    c = client(server)
    calls_start = time.perf_counter()
    loaded = 0
    for i in range(count):
        answer = c.get_secret_value(SecretId="%s/bench-%d" % (PREFIX, i))
        loaded += 1 if answer["SecretString"] else 0
    end = time.perf_counter()
    c.close()
    if loaded != count:
        sys.exit("boto3 loaded %d of %d secrets" % (loaded, count))
    return (end - start) * 1000, (end - calls_start) * 1000, sum(server.ops().values())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--repetitions", type=int, default=7)
    args = parser.parse_args()
    binary = find_binary(args.bin)

    with Server() as server:
        seed(server, args.count)
        print("AWS start-up preload: %d secrets, SigV4-verifying test server %s"
              % (args.count, server.url))
        print("locksmith: %s (SecretsManager::Preload, BatchGetSecretValue)" % binary)
        print("boto3 %s / botocore %s in this process (python %s), GetSecretValue x %d"
              % (boto3.__version__, botocore.__version__, sys.version.split()[0], args.count))
        print()
        print("%4s  %12s  %17s  %8s  %9s  %14s  %8s  %7s" % (
            "rep", "locksmith ms", "locksmith proc ms", "lk calls", "boto3 ms",
            "boto3 calls ms", "b3 calls", "ratio"))
        lk, lk_proc, b3, b3_calls = [], [], [], []
        for rep in range(args.repetitions):
            ms, proc_ms, lk_ops = run_locksmith(binary, server, args.count)
            b_ms, b_calls_ms, b_ops = run_boto3(server, args.count)
            lk.append(ms)
            lk_proc.append(proc_ms)
            b3.append(b_ms)
            b3_calls.append(b_calls_ms)
            print("%4d  %12.1f  %17.1f  %8d  %9.1f  %14.1f  %8d  %6.1fx" % (
                rep, ms, proc_ms, lk_ops, b_ms, b_calls_ms, b_ops, b_ms / ms))
            if lk_ops != math.ceil(args.count / 20):
                sys.exit("locksmith made %d back-end calls, expected %d"
                         % (lk_ops, math.ceil(args.count / 20)))
        m_lk, m_proc, m_b3, m_b3c = (statistics.median(x) for x in (lk, lk_proc, b3, b3_calls))
        print()
        print("median: locksmith %.1f ms (whole process %.1f ms), boto3 %.1f ms (calls alone "
              "%.1f ms)" % (m_lk, m_proc, m_b3, m_b3c))
        print("back-end calls: locksmith %d (ceil(%d/20)), boto3 %d"
              % (math.ceil(args.count / 20), args.count, args.count))
        print("ratio boto3/locksmith: %.1fx in-process, %.1fx boto3 calls alone, %.1fx counting "
              "locksmith's process start (target >= 5x)"
              % (m_b3 / m_lk, m_b3c / m_lk, m_b3 / m_proc))


if __name__ == "__main__":
    main()
