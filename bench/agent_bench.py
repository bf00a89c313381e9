#!/usr/bin/python3
"""The agent against nginx serving the same JSON as a static file (issue 9, Performance).

1. Writes a .env file with COUNT secrets and starts the Release `locksmith agent` on it
   (SECRETS_BACKEND=dotenv, 127.0.0.1, an ephemeral port), then reads every secret once so all
   COUNT are cached.
2. Saves the agent's answer for one secret as a static file and serves it from nginx (one worker,
   sendfile on, keep-alive, access log off) on another loopback port.
3. Runs `wrk -tTHREADS -cCONNECTIONS -dSECONDS --latency` against nginx and then against the agent
   (a Lua script adds the token header), in the same run, and prints requests/s of both, the
   ratio agent/nginx, the agent's p50/p99 latency and its VmRSS after the run.

Targets (issue 9): agent >= 0.5x nginx requests/s with 16 connections, p99 < 2 ms, RSS < 32 MiB
with 1,000 secrets cached. Not run in CI: `./dev.sh bench` runs it on a Release build.

Usage: /usr/bin/python3 bench/agent_bench.py [--bin PATH] [--count 1000] [--seconds 10]
           [--connections 16] [--threads 2] [--agent-args "..."]
"""

import argparse
import glob
import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def find_binary(explicit):
    if explicit:
        return explicit
    candidates = [os.path.join(ROOT, d, "apps", "locksmith", "locksmith")
                  for d in ("build-release", "build")]
    candidates += sorted(glob.glob(os.path.join(ROOT, "build*", "apps", "locksmith", "locksmith")))
    for c in candidates:
        if os.access(c, os.X_OK):
            return c
    sys.exit("locksmith binary not found: build it (ninja -C build-release locksmith_program) "
             "or pass --bin")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def vm_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def start_agent(binary, workdir, count, extra_args):
    env_file = os.path.join(workdir, ".env")
    names = ["bench-secret-%04d" % i for i in range(count)]
    with open(env_file, "w") as f:
        for name in names:
            f.write("%s=%s\n" % (name.upper().replace("-", "_"), secrets.token_hex(16)))
    token = secrets.token_hex(32)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": workdir,
        "SECRETS_BACKEND": "dotenv",
        "LOCKSMITH_DOTENV_FILE": env_file,
        "LOCKSMITH_AGENT_TOKEN": token,
        "APP_ENV": "development",
    }
    err_path = os.path.join(workdir, "agent.err")
    err = open(err_path, "w+")
    proc = subprocess.Popen([binary, "agent", "--listen", "127.0.0.1:0"] + extra_args,
                            env=env, stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.time() + 20
    port = None
    while time.time() < deadline and port is None:
        if proc.poll() is not None:
            break
        with open(err_path) as f:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", f.read())
        if m:
            port = int(m.group(1))
        else:
            time.sleep(0.05)
    if port is None:
        proc.kill()
        with open(err_path) as f:
            sys.exit("the agent did not start:\n" + f.read())
    return proc, port, token, names


def warm(port, token, names):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    body = None
    for name in names:
        conn.request("GET", "/secretsmanager/get?secretId=" + name,
                     headers={"X-Aws-Parameters-Secrets-Token": token})
        res = conn.getresponse()
        data = res.read()
        if res.status != 200:
            sys.exit("warming %s: HTTP %d %s" % (name, res.status, data[:200]))
        if body is None:
            body = data
    conn.close()
    return body


def start_nginx(workdir, body):
    root = os.path.join(workdir, "www")
    os.makedirs(root)
    with open(os.path.join(root, "secret.json"), "wb") as f:
        f.write(body)
    port = free_port()
    conf = os.path.join(workdir, "nginx.conf")
    with open(conf, "w") as f:
        f.write("""
worker_processes 1;
master_process off;
daemon off;
pid {d}/nginx.pid;
error_log {d}/nginx.err warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  server_tokens off;
  sendfile on;
  tcp_nodelay on;
  etag off;
  open_file_cache max=100 inactive=600s;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  client_body_temp_path {d}/tmp;
  proxy_temp_path {d}/tmp;
  fastcgi_temp_path {d}/tmp;
  uwsgi_temp_path {d}/tmp;
  scgi_temp_path {d}/tmp;
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    location = /secret.json {{ default_type application/json; root {root}; }}
  }}
}}
""".format(d=workdir, port=port, root=root))
    os.makedirs(os.path.join(workdir, "tmp"), exist_ok=True)
    proc = subprocess.Popen(["nginx", "-c", conf, "-p", workdir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit("nginx did not start: " + proc.stderr.read().decode())


def wrk(url, args, script=None):
    cmd = ["wrk", "-t%d" % args.threads, "-c%d" % args.connections, "-d%ds" % args.seconds,
           "--latency"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    rate = None
    latency = {}
    errors = 0
    for line in out.splitlines():
        s = line.strip()
        if s.startswith("Requests/sec:"):
            rate = float(s.split()[1])
        m = re.match(r"^(50|75|90|99)%\s+([\d.]+)(us|ms|s)$", s)
        if m:
            scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(3)]
            latency[m.group(1)] = float(m.group(2)) * scale
        if s.startswith("Non-2xx or 3xx responses:"):
            errors += int(s.split(":")[1])
        if s.startswith("Socket errors:"):
            errors += sum(int(x) for x in re.findall(r"\d+", s))
    return rate, latency, errors, out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin")
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--agent-args", default="", help="extra `locksmith agent` flags")
    args = p.parse_args()
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
            sys.exit("%s is not installed (Debian: wrk, nginx-light)" % tool)
    binary = find_binary(args.bin)
    with tempfile.TemporaryDirectory(prefix="agent-bench-") as workdir:
        agent, agent_port, token, names = start_agent(binary, workdir, args.count,
                                                      shlex.split(args.agent_args))
        nginx = None
        try:
            body = warm(agent_port, token, names)
            nginx, nginx_port = start_nginx(workdir, body)
            script = os.path.join(workdir, "token.lua")
            with open(script, "w") as f:
                f.write('wrk.headers["X-Aws-Parameters-Secrets-Token"] = "%s"\n' % token)
            rss_before = vm_rss_kib(agent.pid)
            n_rate, n_lat, n_err, _ = wrk("http://127.0.0.1:%d/secret.json" % nginx_port, args)
            a_rate, a_lat, a_err, a_out = wrk(
                "http://127.0.0.1:%d/secretsmanager/get?secretId=%s" % (agent_port, names[0]),
                args, script)
            rss_after = vm_rss_kib(agent.pid)
        finally:
            agent.terminate()
            agent.wait(timeout=10)
            if nginx:
                nginx.terminate()
                nginx.wait(timeout=10)
    print("agent benchmark: %d secrets cached, body %d bytes, wrk -t%d -c%d -d%ds, %d CPUs"
          % (args.count, len(body), args.threads, args.connections, args.seconds,
             os.cpu_count()))
    print("  nginx (1 worker, static file): %10.0f req/s  p50 %.3f ms  p99 %.3f ms  errors %d"
          % (n_rate, n_lat.get("50", -1), n_lat.get("99", -1), n_err))
    print("  locksmith agent:               %10.0f req/s  p50 %.3f ms  p99 %.3f ms  errors %d"
          % (a_rate, a_lat.get("50", -1), a_lat.get("99", -1), a_err))
    print("  ratio agent/nginx: %.2fx   (target >= 0.5x)" % (a_rate / n_rate))
    print("  agent p99: %.3f ms        (target < 2 ms)" % a_lat.get("99", -1))
    print("  agent VmRSS: %.1f MiB after warm-up, %.1f MiB after the run (target < 32 MiB)"
          % (rss_before / 1024.0, rss_after / 1024.0))
    print(json.dumps({"nginx_rps": n_rate, "agent_rps": a_rate, "ratio": a_rate / n_rate,
                      "agent_latency_ms": a_lat, "nginx_latency_ms": n_lat,
                      "agent_rss_kib": rss_after, "agent_errors": a_err}))
    if a_err:
        print(a_out)
        sys.exit(1)


if __name__ == "__main__":
    main()
