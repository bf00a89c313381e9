#!/usr/bin/python3
"""AWS start-up preload: locksmith vs boto3, measured on the clients (issue 4, Performance).

1. Starts tests/servers/aws_server.py (which verifies every SigV4 signature, in Python) and
   creates COUNT secrets under agentauri-backend/production/.
2. Records: runs each client once through a recording proxy in front of that server and keeps
   every request and answer (bench/canned_server.py); locksmith's back-end calls are counted by
   the test server there and must be ceil(COUNT / 20).
3. Serves the recorded answers, byte for byte, from nginx (one process, access log off). The
   AWS JSON protocol is one POST / whose answer depends on the X-Amz-Target header and the body:
   nginx picks the recorded answer by (target, body). The signature is NOT checked in the
   measured runs (it was checked by the test server while recording); the clients still compute
   it. Every recorded request is replayed and must get the identical bytes; wrk then measures
   what nginx alone can serve.
4. One untimed warm-up of each client, then REPETITIONS interleaved repetitions of:
     locksmith  bench/aws_preload (C++): a new AWS provider (fresh libcurl handles, credentials
                from the environment) and SecretsManager, then SecretsManager::Preload of the
                COUNT names, read through BatchGetSecretValue, 20 per call.
     boto3      in this Python process: a new boto3 session and client (fresh connection pool),
                then the same COUNT GetSecretValue calls, one after another as boto3 does.
   For each: wall time of the cold start (client creation + all reads), wall time of the reads
   alone (Preload / the GetSecretValue loop), and the client process's CPU time (user + sys,
   getrusage(RUSAGE_SELF)) over the reads alone, divided by COUNT: CPU per secret. nginx's CPU
   over the runs is read from /proc. Process start-up (exec + linking of the C++ program;
   interpreter + `import boto3`) is excluded from every timed figure and reported separately.

Prints every repetition, the medians and the ratios boto3 / locksmith from this same run.

Usage: /usr/bin/python3 bench/aws_preload.py [--bin PATH] [--count 100] [--repetitions 9]
           [--server nginx|python]
(--server python measures against the SigV4-verifying Python test server instead, as before.)
"""

import argparse
import glob
import json
import math
import os
import subprocess
import sys
import time

import boto3  # noqa: E402  (Debian python3-boto3)
import botocore  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no bench/__pycache__ from importing canned_server
from canned_server import (Nginx, Recorder, cpu_ms, cpu_seconds, med,  # noqa: E402
                           python_import_ms, wrk_rate)

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


def client(url):
    session = boto3.session.Session(aws_access_key_id=ACCESS_KEY,
                                    aws_secret_access_key=SECRET_KEY, region_name=REGION)
    return session.client("secretsmanager", endpoint_url=url,
                          config=botocore.config.Config(retries={"mode": "standard"}))


def seed(server, count):
    c = client(server.url)
    for i in range(count):
        c.create_secret(Name="%s/bench-%d" % (PREFIX, i),
                        SecretString="bench-value-%04d-%s" % (i, "x" * 24))




def run_locksmith(binary, url, count, stats=False):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
               AWS_REGION=REGION)
    for var in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL",
                "AWS_ENDPOINT_URL_SECRETS_MANAGER"):
        env.pop(var, None)
    start = time.perf_counter()
    out = subprocess.run([binary, "--endpoint", url, "--prefix", PREFIX, "--names",
                          "bench-", "--count", str(count), "--repetitions", "1"]
                         + (["--stats"] if stats else []),
                         env=env, check=True, capture_output=True, text=True).stdout
    process_ms = (time.perf_counter() - start) * 1000
    line = json.loads(out.strip().splitlines()[-1])
    if line["secrets"] != count:
        sys.exit("locksmith loaded %d of %d secrets" % (line["secrets"], count))
    return {"ms": line["ms"], "reads_ms": line["preload_ms"],
            "cpu_per_read_us": line["preload_cpu_ms"] * 1000 / count,
            "startup_ms": process_ms - line["ms"], "calls": sum(line["ops"].values())}


def run_boto3(url, count):
    start = time.perf_counter()
    c = client(url)
    reads_start, reads_cpu = time.perf_counter(), cpu_ms()
    loaded = 0
    for i in range(count):
        answer = c.get_secret_value(SecretId="%s/bench-%d" % (PREFIX, i))
        loaded += 1 if answer["SecretString"] else 0
    end, end_cpu = time.perf_counter(), cpu_ms()
    c.close()
    if loaded != count:
        sys.exit("boto3 loaded %d of %d secrets" % (loaded, count))
    return {"ms": (end - start) * 1000, "reads_ms": (end - reads_start) * 1000,
            "cpu_per_read_us": (end_cpu - reads_cpu) * 1000 / count}




def request_mix(exchanges):
    kinds = {}
    for ex in exchanges:
        kind = "%s %s %s" % (ex.method, ex.path, ex.target)
        kinds[kind] = kinds.get(kind, 0) + 1
    return ", ".join("%s x%d" % kv for kv in sorted(kinds.items()))




def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--repetitions", type=int, default=9)
    parser.add_argument("--server", choices=("nginx", "python"), default="nginx")
    args = parser.parse_args()
    binary = find_binary(args.bin)
    expected_calls = math.ceil(args.count / 20)

    with Server() as server:
        seed(server, args.count)
        recorded = {}
        with Recorder(server.url) as rec:
            calls = run_locksmith(binary, rec.url, args.count, stats=True)["calls"]
            recorded["locksmith"] = list(rec.exchanges.values())
        if calls != expected_calls:
            sys.exit("locksmith made %d back-end calls, expected %d" % (calls, expected_calls))
        with Recorder(server.url) as rec:
            run_boto3(rec.url, args.count)
            recorded["boto3"] = list(rec.exchanges.values())
        print("AWS start-up preload: %d secrets" % args.count)
        print("locksmith: %s (SecretsManager::Preload)" % binary)
        print("boto3 %s / botocore %s in this process (python %s)"
              % (boto3.__version__, botocore.__version__, sys.version.split()[0]))
        requests = {name: len(exchanges) for name, exchanges in recorded.items()}
        for name, exchanges in recorded.items():
            print("  requests per cold start, %s: %s" % (name, request_mix(exchanges)))
        if args.server == "python":
            measure(args, binary, server.url, server.proc.pid, requests)
            return
        exchanges = {ex.key(): ex for name in recorded for ex in recorded[name]}.values()
        request_id = ("x-amzn-RequestId", "00000000-0000-4000-8000-000000000000")
        with Nginx(exchanges, extra_headers=[request_id]) as nginx:
            bad = [ex.target for ex in exchanges if not nginx.check(ex)]
            if bad:
                sys.exit("nginx does not replay the recorded answers for %s" % bad[:3])
            print("server: nginx %s (one process, access_log off), %d canned answers replayed "
                  "byte-identical" % (nginx.url, len(exchanges)))
            script = os.path.join(nginx.dir, "get.lua")
            with open(script, "w") as f:
                f.write('wrk.method = "POST"\n'
                        'wrk.headers["X-Amz-Target"] = "secretsmanager.GetSecretValue"\n'
                        'wrk.headers["Content-Type"] = "application/x-amz-json-1.1"\n'
                        'wrk.body = %s\n' % json.dumps(json.dumps(
                            {"SecretId": "%s/bench-0" % PREFIX})))
            for conns in (1, 8):
                rate = wrk_rate(nginx.url + "/", seconds=2, connections=conns, script=script)
                if rate:
                    print("  wrk, %d connection(s), canned GetSecretValue: %.0f req/s "
                          "(%.1f us per request)" % (conns, rate, 1e6 / rate))
            measure(args, binary, nginx.url, nginx.proc.pid, requests)


def measure(args, binary, url, server_pid, requests):
    def server_cpu():
        return cpu_seconds(server_pid) * 1000

    # Warm-up (page cache, first connections), not counted.
    run_locksmith(binary, url, args.count)
    run_boto3(url, args.count)

    lk, b3 = [], []
    print()
    print("%3s  %-10s %9s %9s %14s %11s %13s" % ("rep", "client", "wall ms", "reads ms",
                                                "CPU us/secret", "start-up ms", "server CPU ms"))
    for rep in range(args.repetitions):
        for name, runs, fn in (("locksmith", lk, lambda: run_locksmith(binary, url, args.count)),
                               ("boto3", b3, lambda: run_boto3(url, args.count))):
            s0 = server_cpu()
            r = fn()
            r["server_cpu_ms"] = server_cpu() - s0
            runs.append(r)
            print("%3d  %-10s %9.1f %9.1f %14.1f %11s %13.1f" % (
                rep, name, r["ms"], r["reads_ms"], r["cpu_per_read_us"],
                "%.1f" % r["startup_ms"] if "startup_ms" in r else "-", r["server_cpu_ms"]))

    imp, bare = python_import_ms("boto3")
    print()
    print("medians of %d repetitions, %d secrets, server %s:" % (args.repetitions, args.count,
                                                                 args.server))
    # Server column: nginx's CPU time over all of a client's repetitions divided by their total
    # wall time: the share of the client's time the server was busy (100% = the bottleneck).
    print("%-10s %9s %9s %14s %24s %22s" % ("client", "wall ms", "reads ms", "CPU us/secret",
                                       "server CPU / client wall", "server CPU us/request"))
    for name, runs in (("locksmith", lk), ("boto3", b3)):
        share = sum(r["server_cpu_ms"] for r in runs) / sum(r["ms"] for r in runs)
        per_request = (sum(r["server_cpu_ms"] for r in runs) * 1000
                       / (len(runs) * requests[name]))
        print("%-10s %9.1f %9.1f %14.1f %23.1f%% %22.1f" % (
            name, med(runs, "ms"), med(runs, "reads_ms"), med(runs, "cpu_per_read_us"),
            100 * share, per_request))
    print()
    print("ratio boto3 / locksmith: wall %.1fx (cold start), %.1fx (reads alone); CPU per "
          "secret %.1fx" % (med(b3, "ms") / med(lk, "ms"),
                            med(b3, "reads_ms") / med(lk, "reads_ms"),
                            med(b3, "cpu_per_read_us") / med(lk, "cpu_per_read_us")))
    print("back-end calls per cold start: locksmith %d (BatchGetSecretValue, 20 per call), "
          "boto3 %d (GetSecretValue)" % (math.ceil(args.count / 20), args.count))
    print("start-up, excluded above: locksmith process exec + link + exit %.1f ms; python3 "
          "interpreter %.1f ms + import boto3 %.1f ms" % (med(lk, "startup_ms"), bare, imp))


if __name__ == "__main__":
    main()
