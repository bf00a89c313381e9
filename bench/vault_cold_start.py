#!/usr/bin/python3
"""Vault cold start: locksmith vs hvac, side by side (issue 3, Performance).

Starts tests/servers/vault_server.py, writes COUNT secrets under the KV v2 mount, creates an
AppRole under the operators' least-privilege policy (read on the data path only), then for each
repetition, interleaved:

  locksmith  runs bench/vault_cold_start (C++): a new VaultProvider (fresh libcurl handle pool,
             AppRole login) and SecretsManager, then the COUNT reads fetched in parallel by a
             thread pool over reused keep-alive connections. Timed inside the process.
  hvac       in this Python process: a new hvac.Client (fresh requests session), AppRole login,
             then the same COUNT reads (read_secret_version), one after another as hvac does.

Both timings cover login + all reads and exclude process / interpreter start-up; the locksmith
process's whole wall time (spawn, dynamic linking, exit) is printed too. Prints every repetition,
the medians and the ratio hvac / locksmith (target: >= 5x).

Usage: /usr/bin/python3 bench/vault_cold_start.py [--bin PATH] [--count 100] [--threads 8]
                                                  [--repetitions 7]
"""

import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "servers"))

import hvac  # noqa: E402  (Debian python3-hvac)
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
            path="%s/bench-%d" % (PREFIX, i), secret={"value": "bench-value-%04d-%s" % (i, "x" * 24)},
            mount_point=MOUNT)
    return role_id, secret_id


def run_locksmith(binary, server, role_id, secret_id, count, threads):
    env = dict(os.environ, VAULT_ROLE_ID=role_id, VAULT_SECRET_ID=secret_id)
    env.pop("VAULT_TOKEN", None)
    start = time.perf_counter()
    out = subprocess.run([binary, "--addr", server.url, "--mount", MOUNT + "/" + PREFIX,
                          "--prefix", "bench-", "--count", str(count), "--threads", str(threads),
                          "--repetitions", "1"],
                         env=env, check=True, capture_output=True, text=True).stdout
    process_ms = (time.perf_counter() - start) * 1000
    line = json.loads(out.strip().splitlines()[-1])
    if line["secrets"] != count:
        sys.exit("locksmith loaded %d of %d secrets" % (line["secrets"], count))
    return line["ms"], process_ms


def run_hvac(server, role_id, secret_id, count):
    start = time.perf_counter()
    client = hvac.Client(url=server.url)
    client.auth.approle.login(role_id=role_id, secret_id=secret_id)
    loaded = 0
    for i in range(count):
        answer = client.secrets.kv.v2.read_secret_version(path="%s/bench-%d" % (PREFIX, i),
                                                          mount_point=MOUNT)
        loaded += 1 if answer["data"]["data"]["value"] else 0
    ms = (time.perf_counter() - start) * 1000
    client.adapter.close()
    if loaded != count:
        sys.exit("hvac loaded %d of %d secrets" % (loaded, count))
    return ms


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--repetitions", type=int, default=7)
    args = parser.parse_args()
    binary = find_binary(args.bin)

    with VaultTestServer() as server:
        role_id, secret_id = setup(server, args.count)
        print("Vault cold start: %d secrets, AppRole login, least-privilege policy, test server "
              "%s" % (args.count, server.url))
        print("locksmith: %s, %d threads" % (binary, args.threads))
        print("hvac %s in this process (python %s)" % (getattr(hvac, "__version__", "?"),
                                                       sys.version.split()[0]))
        print()
        print("%4s  %14s  %18s  %10s  %7s" % ("rep", "locksmith ms", "locksmith proc ms",
                                             "hvac ms", "ratio"))
        lk, lk_proc, hv = [], [], []
        for rep in range(args.repetitions):
            ms, proc_ms = run_locksmith(binary, server, role_id, secret_id, args.count,
                                        args.threads)
            h = run_hvac(server, role_id, secret_id, args.count)
            lk.append(ms)
            lk_proc.append(proc_ms)
            hv.append(h)
            print("%4d  %14.1f  %18.1f  %10.1f  %6.1fx" % (rep, ms, proc_ms, h, h / ms))
        m_lk, m_proc, m_hv = (statistics.median(x) for x in (lk, lk_proc, hv))
        print()
        print("median: locksmith %.1f ms (whole process %.1f ms), hvac %.1f ms" %
              (m_lk, m_proc, m_hv))
        print("ratio hvac/locksmith: %.1fx in-process, %.1fx counting locksmith's process "
              "start (target >= 5x)" % (m_hv / m_lk, m_hv / m_proc))


if __name__ == "__main__":
    main()
