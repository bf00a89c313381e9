#!/usr/bin/python3
"""Vault cold start: locksmith vs hvac, measured on the clients (issue 3, Performance).

1. Starts tests/servers/vault_server.py, writes COUNT secrets under the KV v2 mount and creates
   an AppRole under the operators' least-privilege policy (read on the data path only).
2. Records: runs each client once through a recording proxy in front of that server and keeps
   every request and answer (bench/canned_server.py). The request mix of each client is printed.
3. Serves the recorded answers, byte for byte, from nginx (one process, one event loop, access
   log off): the Python test server (one GIL, ~1 ms per request) is not in the measured runs.
   Every recorded request is replayed against nginx and must get the identical bytes; wrk then
   measures what nginx alone can serve.
4. One untimed warm-up of each client, then REPETITIONS interleaved repetitions of:
     locksmith  bench/vault_cold_start (C++): a new VaultProvider (fresh libcurl handle pool,
                AppRole login) and SecretsManager, then the COUNT Gets spread over a pool of
                THREADS threads (each list given to --threads is a separate column).
     hvac       in this Python process: a new hvac.Client (fresh requests session), AppRole
                login, then the COUNT read_secret_version calls, one after another.
   For each: wall time of the cold start (client creation + login + reads), wall time of the
   reads alone, and the client process's CPU time (user + sys, getrusage(RUSAGE_SELF), all
   threads) over the reads alone, divided by COUNT: the client's CPU per read. nginx's own CPU
   time over each client run is read from /proc and printed next to it.
   Process start-up (exec + dynamic linking of the C++ program; interpreter start + `import hvac`
   for Python) is excluded from every timed figure and reported separately.

Prints every repetition, the medians and the ratios hvac / locksmith from this same run.

Usage: /usr/bin/python3 bench/vault_cold_start.py [--bin PATH] [--count 100] [--threads 8,1]
           [--repetitions 9] [--server nginx|python]
(--server python measures against the Python test server instead, as before: server-bound.)
"""

import argparse
import glob
import importlib.metadata
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "servers"))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no bench/__pycache__ from importing canned_server

import hvac  # noqa: E402  (Debian python3-hvac)
from canned_server import (Nginx, Recorder, cpu_ms, cpu_seconds, med,  # noqa: E402
                           python_import_ms, wrk_rate)
from vault_test_server import VaultTestServer  # noqa: E402

MOUNT = "secret"
PREFIX = "agentauri-backend/production"
POLICY = """
path "secret/data/agentauri-backend/production/*" {
  capabilities = ["read"]
}
"""


def find_binary(explicit):
    if explicit:
        return explicit
    if os.environ.get("LOCKSMITH_VAULT_COLD_START"):
        return os.environ["LOCKSMITH_VAULT_COLD_START"]
    candidates = [os.path.join(ROOT, d, "bench", "vault_cold_start")
                  for d in ("build-release", "build")]
    candidates += sorted(glob.glob(os.path.join(ROOT, "build*", "bench", "vault_cold_start")))
    for c in candidates:
        if os.access(c, os.X_OK):
            return c
    sys.exit("vault_cold_start binary not found: build it (ninja -C <build> vault_cold_start) "
             "or pass --bin")


def setup(server, count):
    root = hvac.Client(url=server.url, token="root")
    root.sys.create_or_update_policy(name="bench-reader", policy=POLICY)
    root.sys.enable_auth_method("approle")
    root.auth.approle.create_or_update_approle("bench", token_policies=["bench-reader"],
                                               token_ttl="1h", token_max_ttl="4h")
    role_id = root.auth.approle.read_role_id("bench")["data"]["role_id"]
    secret_id = root.auth.approle.generate_secret_id("bench")["data"]["secret_id"]
    for i in range(count):
        root.secrets.kv.v2.create_or_update_secret(
            path="%s/bench-%d" % (PREFIX, i),
            secret={"value": "bench-value-%04d-%s" % (i, "x" * 24)}, mount_point=MOUNT)
    return role_id, secret_id




def run_locksmith(binary, url, role_id, secret_id, count, threads):
    env = dict(os.environ, VAULT_ROLE_ID=role_id, VAULT_SECRET_ID=secret_id)
    env.pop("VAULT_TOKEN", None)
    start = time.perf_counter()
    out = subprocess.run([binary, "--addr", url, "--mount", MOUNT + "/" + PREFIX,
                          "--prefix", "bench-", "--count", str(count), "--threads", str(threads),
                          "--repetitions", "1"],
                         env=env, check=True, capture_output=True, text=True).stdout
    process_ms = (time.perf_counter() - start) * 1000
    line = json.loads(out.strip().splitlines()[-1])
    if line["secrets"] != count:
        sys.exit("locksmith loaded %d of %d secrets" % (line["secrets"], count))
    return {"ms": line["ms"], "reads_ms": line["reads_ms"],
            "cpu_per_read_us": line["reads_cpu_ms"] * 1000 / count,
            "startup_ms": process_ms - line["ms"]}


def run_hvac(url, role_id, secret_id, count):
    start = time.perf_counter()
    client = hvac.Client(url=url)
    client.auth.approle.login(role_id=role_id, secret_id=secret_id)
    reads_start, reads_cpu = time.perf_counter(), cpu_ms()
    loaded = 0
    for i in range(count):
        answer = client.secrets.kv.v2.read_secret_version(path="%s/bench-%d" % (PREFIX, i),
                                                          mount_point=MOUNT)
        loaded += 1 if answer["data"]["data"]["value"] else 0
    end, end_cpu = time.perf_counter(), cpu_ms()
    client.adapter.close()
    if loaded != count:
        sys.exit("hvac loaded %d of %d secrets" % (loaded, count))
    return {"ms": (end - start) * 1000, "reads_ms": (end - reads_start) * 1000,
            "cpu_per_read_us": (end_cpu - reads_cpu) * 1000 / count}




def request_mix(exchanges):
    kinds = {}
    for ex in exchanges:
        path = ex.path.split("?")[0]
        kind = "%s %s" % (ex.method, path.rsplit("/", 1)[0] + "/<name>"
                          if "/bench-" in path else path)
        kinds[kind] = kinds.get(kind, 0) + 1
    return ", ".join("%s x%d" % kv for kv in sorted(kinds.items()))


def record(server, binary, role_id, secret_id, count, threads):
    """Each client once through a recording proxy: {client: [Exchange]}."""
    out = {}
    with Recorder(server.url) as rec:
        run_locksmith(binary, rec.url, role_id, secret_id, count, max(threads))
        out["locksmith"] = list(rec.exchanges.values())
    with Recorder(server.url) as rec:
        run_hvac(rec.url, role_id, secret_id, count)
        out["hvac"] = list(rec.exchanges.values())
    return out




def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--threads", default="8,1",
                        help="comma-separated locksmith thread counts, one column each")
    parser.add_argument("--repetitions", type=int, default=9)
    parser.add_argument("--server", choices=("nginx", "python"), default="nginx")
    args = parser.parse_args()
    binary = find_binary(args.bin)
    threads = [int(t) for t in args.threads.split(",")]

    with VaultTestServer() as server:
        role_id, secret_id = setup(server, args.count)
        recorded = record(server, binary, role_id, secret_id, args.count, threads)
        print("Vault cold start: %d secrets, AppRole login, least-privilege policy" % args.count)
        print("locksmith: %s; hvac %s in this process (python %s)"
              % (binary, importlib.metadata.version("hvac"), sys.version.split()[0]))
        requests = {name: len(exchanges) for name, exchanges in recorded.items()}
        for name, exchanges in recorded.items():
            print("  requests per cold start, %s: %s" % (name, request_mix(exchanges)))
        if args.server == "python":
            measure(args, binary, threads, server.url, server.process.pid, role_id, secret_id,
                    requests)
            return
        exchanges = {ex.key(): ex for name in recorded for ex in recorded[name]}.values()
        with Nginx(exchanges, extra_headers=[("Cache-Control", "no-store")]) as nginx:
            bad = [ex.path for ex in exchanges if not nginx.check(ex)]
            if bad:
                sys.exit("nginx does not replay the recorded answers for %s" % bad[:3])
            print("server: nginx %s (one process, access_log off), %d canned answers replayed "
                  "byte-identical" % (nginx.url, len(exchanges)))
            data = "%s/v1/%s/data/%s/bench-0" % (nginx.url, MOUNT, PREFIX)
            for conns in (1, 8):
                rate = wrk_rate(data, seconds=2, connections=conns)
                if rate:
                    print("  wrk, %d connection(s), GET one canned KV v2 read: %.0f req/s "
                          "(%.1f us per request)" % (conns, rate, 1e6 / rate))
            measure(args, binary, threads, nginx.url, nginx.proc.pid, role_id, secret_id, requests)


def measure(args, binary, threads, url, server_pid, role_id, secret_id, requests):
    def server_cpu():
        return cpu_seconds(server_pid) * 1000

    # Warm-up (page cache, first connections), not counted.
    for t in threads:
        run_locksmith(binary, url, role_id, secret_id, args.count, t)
    run_hvac(url, role_id, secret_id, args.count)

    lk = {t: [] for t in threads}
    hv = []
    print()
    print("%3s  %-14s %9s %9s %12s %11s %11s" % ("rep", "client", "wall ms", "reads ms",
                                                "CPU us/read", "start-up ms", "server CPU ms"))
    for rep in range(args.repetitions):
        for t in threads:
            s0 = server_cpu()
            r = run_locksmith(binary, url, role_id, secret_id, args.count, t)
            r["server_cpu_ms"] = server_cpu() - s0
            lk[t].append(r)
            print("%3d  %-14s %9.1f %9.1f %12.1f %11.1f %11.1f" % (
                rep, "locksmith x%d" % t, r["ms"], r["reads_ms"], r["cpu_per_read_us"],
                r["startup_ms"], r["server_cpu_ms"]))
        s0 = server_cpu()
        r = run_hvac(url, role_id, secret_id, args.count)
        r["server_cpu_ms"] = server_cpu() - s0
        hv.append(r)
        print("%3d  %-14s %9.1f %9.1f %12.1f %11s %11.1f" % (
            rep, "hvac", r["ms"], r["reads_ms"], r["cpu_per_read_us"], "-", r["server_cpu_ms"]))

    imp, bare = python_import_ms("hvac")
    print()
    print("medians of %d repetitions, %d secrets, server %s:" % (args.repetitions, args.count,
                                                                 args.server))
    # Server column: nginx's CPU time over all of a client's repetitions divided by their total
    # wall time: the share of the client's time the server was busy (100% = the bottleneck).
    print("%-14s %9s %9s %12s %24s %22s" % ("client", "wall ms", "reads ms", "CPU us/read",
                                       "server CPU / client wall", "server CPU us/request"))
    for name, runs in [("locksmith x%d" % t, lk[t]) for t in threads] + [("hvac", hv)]:
        share = sum(r["server_cpu_ms"] for r in runs) / sum(r["ms"] for r in runs)
        per_request = (sum(r["server_cpu_ms"] for r in runs) * 1000
                       / (len(runs) * requests[name.split()[0]]))
        print("%-14s %9.1f %9.1f %12.1f %23.1f%% %22.1f" % (
            name, med(runs, "ms"), med(runs, "reads_ms"), med(runs, "cpu_per_read_us"),
            100 * share, per_request))
    print()
    for t in threads:
        print("ratio hvac / locksmith x%d: wall %.1fx (cold start), %.1fx (reads alone); "
              "CPU per read %.1fx" % (t, med(hv, "ms") / med(lk[t], "ms"),
                                      med(hv, "reads_ms") / med(lk[t], "reads_ms"),
                                      med(hv, "cpu_per_read_us") / med(lk[t], "cpu_per_read_us")))
    print("start-up, excluded above: locksmith process exec + link + exit %.1f ms; python3 "
          "interpreter %.1f ms + import hvac %.1f ms"
          % (statistics.median(r["startup_ms"] for t in threads for r in lk[t]), bare, imp))


if __name__ == "__main__":
    main()
