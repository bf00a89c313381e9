"""Canned-answer HTTP serving for the client benchmarks (bench/vault_cold_start.py,
bench/aws_preload.py), so that they measure the clients and not the Python test servers.

Two steps:

  Recorder   a threaded recording reverse proxy in front of a test server
             (tests/servers/vault_server.py or aws_server.py). Each client is run once through
             it; every request (method, path, X-Amz-Target header, body) and the test server's
             answer (status, Content-Type, body bytes) is kept.
  Nginx      nginx (Debian nginx / nginx-light), run in the foreground as ONE process
             (master_process off, one event loop, access_log off) from a config generated in a
             temporary directory, listening on a free 127.0.0.1 port, answering every recorded
             request with the recorded body, byte for byte:
               * GET without a body: an exact `location` per path, `alias` to the recorded file;
               * anything with a body (Vault's AppRole login, every AWS JSON-protocol call,
                 where the answer depends on the body): the front server reads the body and
                 picks the recorded answer with `map "$request_method $request_uri|
                 $http_x_amz_target|$request_body"`, then fetches that file from a second
                 server block on a unix socket (keep-alive upstream) as a GET.
             A request that was not recorded gets a 404 (the benchmark then fails loudly).
             Server CPU time (/proc/<pid>/schedstat) is readable at any moment,
             to show what the server cost during a client's run.
"""

import http.client
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

# Content-Type -> file extension in the canned directory (nginx picks the type by extension).
# nginx processes started here (single-threaded: master_process off).
NGINX_PIDS = {}

TYPES = {"application/json": "json", "application/x-amz-json-1.1": "amzjson"}


class Exchange:
    def __init__(self, method, path, target, body, status, content_type, answer):
        self.method, self.path, self.target, self.body = method, path, target, body
        self.status, self.content_type, self.answer = status, content_type, answer

    def key(self):
        return (self.method, self.path, self.target, self.body)


class Recorder:
    """Recording reverse proxy: `with Recorder(upstream_url) as r:` ... r.url, r.exchanges."""

    def __init__(self, upstream, skip_prefix="/_test/"):
        self.upstream = urlsplit(upstream)
        self.skip_prefix = skip_prefix
        self.exchanges = {}
        self.lock = threading.Lock()

    def __enter__(self):
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def setup(self):
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("connection", "keep-alive")}
                conn = http.client.HTTPConnection(recorder.upstream.hostname,
                                                  recorder.upstream.port, timeout=30)
                conn.request(self.command, self.path, body=body or None, headers=headers)
                resp = conn.getresponse()
                answer = resp.read()
                status, content_type = resp.status, resp.getheader("Content-Type") or ""
                extra = [(k, v) for k, v in resp.getheaders()
                         if k.lower() not in ("content-length", "connection", "date", "server",
                                              "keep-alive", "transfer-encoding")]
                conn.close()
                if not self.path.startswith(recorder.skip_prefix):
                    ex = Exchange(self.command, self.path, self.headers.get("X-Amz-Target") or "",
                                  body, status, content_type, answer)
                    with recorder.lock:
                        recorder.exchanges[ex.key()] = ex  # the last answer wins
                self.send_response(status)
                for k, v in extra:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = do_PUT = do_DELETE = do_LIST = forward

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = socket.SOMAXCONN

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def _quote(text):
    """An nginx double-quoted string holding `text` literally (no variables in map keys)."""
    if "\n" in text or "\r" in text:
        raise ValueError("canned request bodies must be one line")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cpu_seconds(pid):
    """CPU time so far of process pid. A single-threaded process (nginx here): its
    /proc/<pid>/schedstat, in nanoseconds. Otherwise (the Python test servers, a thread per
    connection): utime + stime from /proc/<pid>/stat, which include exited threads but count
    10 ms ticks (precise only summed over many runs)."""
    if len(os.listdir("/proc/%d/task" % pid)) == 1 and pid == NGINX_PIDS.get(pid):
        with open("/proc/%d/schedstat" % pid) as f:
            return int(f.read().split()[0]) / 1e9
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Nginx:
    """`with Nginx(exchanges, extra_headers) as n:` ... n.url, n.cpu_seconds()."""

    def __init__(self, exchanges, extra_headers=()):
        self.exchanges = list(exchanges)
        self.extra_headers = list(extra_headers)
        for ex in self.exchanges:
            if ex.status != 200:
                raise ValueError("recorded a %d answer for %s %s" % (ex.status, ex.method,
                                                                     ex.path))
            if ex.content_type not in TYPES:
                raise ValueError("unexpected Content-Type %r" % ex.content_type)

    def _config(self):
        d = self.dir
        sock = os.path.join(d, "canned.sock")
        get_locations, map_lines, longest = [], [], 0
        for i, ex in enumerate(self.exchanges):
            name = "%d.%s" % (i, TYPES[ex.content_type])
            with open(os.path.join(d, "canned", name), "wb") as f:
                f.write(ex.answer)
            if ex.method == "GET" and not ex.body and not ex.target and "?" not in ex.path:
                get_locations.append("    location = %s { default_type %s; alias %s; }"
                                     % (_quote(unquote(ex.path)), ex.content_type,
                                        os.path.join(d, "canned", name)))
            else:
                key = "%s %s|%s|%s" % (ex.method, ex.path, ex.target, ex.body.decode())
                map_lines.append("    %s %s;" % (_quote(key), name))
                longest = max(longest, len(key))
        headers = "\n".join("    add_header %s %s always;" % (k, _quote(v))
                            for k, v in self.extra_headers)
        types = "\n".join("    %s %s;" % (t, e) for t, e in TYPES.items())
        return """
worker_processes 1;
master_process off;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  server_tokens off;
  sendfile on;
  tcp_nodelay on;
  etag off;
  open_file_cache max=10000 inactive=600s;
  open_file_cache_valid 3600s;
  keepalive_requests 100000;
  keepalive_timeout 60s;
  client_body_buffer_size 1m;
  client_body_in_single_buffer on;
  client_body_temp_path {d}/tmp;
  proxy_temp_path {d}/tmp;
  fastcgi_temp_path {d}/tmp;
  uwsgi_temp_path {d}/tmp;
  scgi_temp_path {d}/tmp;
  types {{
{types}
  }}
  default_type application/octet-stream;
  map_hash_max_size 65536;
  map_hash_bucket_size {bucket};
  map "$request_method $request_uri|$http_x_amz_target|$request_body" $canned {{
    default "missing";
{map_lines}
  }}
  upstream canned_files {{
    server unix:{sock};
    keepalive 32;
  }}
  server {{
    listen 127.0.0.1:{port} backlog=4096;
{headers}
{get_locations}
    location / {{
      proxy_pass http://canned_files;
      proxy_http_version 1.1;
      proxy_method GET;
      proxy_pass_request_body off;
      proxy_pass_request_headers off;
      proxy_set_header Connection "";
      proxy_set_header Content-Length "";
      proxy_set_header Host canned;
      proxy_set_header X-Canned $canned;
      proxy_hide_header Last-Modified;
      proxy_hide_header Accept-Ranges;
      proxy_buffering on;
    }}
  }}
  server {{
    listen unix:{sock};
    location / {{
      root {d}/canned;
      try_files /$http_x_canned =404;
    }}
  }}
}}
""".format(d=d, sock=sock, bucket=1 << (longest + 64).bit_length(), port=self.port,
           types=types, map_lines="\n".join(map_lines), headers=headers,
           get_locations="\n".join(get_locations))

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="locksmith-canned-")
        os.makedirs(os.path.join(self.dir, "canned"))
        os.makedirs(os.path.join(self.dir, "tmp"))
        self.port = free_port()
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(self._config())
        self.proc = subprocess.Popen([NGINX, "-p", self.dir, "-c", conf, "-e",
                                      os.path.join(self.dir, "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        NGINX_PIDS[self.proc.pid] = self.proc.pid
        self.url = "http://127.0.0.1:%d" % self.port
        deadline = time.monotonic() + 10
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("nginx exited: %s" % self.proc.stderr.read().decode())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("nginx did not start")
                time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        if not os.environ.get("LOCKSMITH_BENCH_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def cpu_seconds(self):
        """nginx's CPU time so far (one process: master_process off)."""
        return cpu_seconds(self.proc.pid)

    def check(self, exchange):
        """Replays one recorded request against nginx; True when the answer is byte-identical."""
        u = urlsplit(self.url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        headers = {"X-Amz-Target": exchange.target} if exchange.target else {}
        conn.request(exchange.method, exchange.path, body=exchange.body or None, headers=headers)
        resp = conn.getresponse()
        ok = (resp.status == exchange.status and resp.read() == exchange.answer
              and resp.getheader("Content-Type") == exchange.content_type)
        conn.close()
        return ok


def wrk_rate(url, seconds=3, connections=1, threads=1, script=None):
    """Requests/s of wrk against url (None when wrk is not installed)."""
    wrk = shutil.which("wrk")
    if not wrk:
        return None
    cmd = [wrk, "-t%d" % threads, "-c%d" % connections, "-d%ds" % seconds]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    return None


def dump(exchanges):
    return json.dumps([{"method": e.method, "path": e.path, "target": e.target,
                        "body_bytes": len(e.body), "answer_bytes": len(e.answer)}
                       for e in exchanges], indent=1)


# Measurement helpers shared by vault_cold_start.py and aws_preload.py.

def cpu_ms():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return (r.ru_utime + r.ru_stime) * 1000


def python_import_ms(module, runs=5):
    """Median wall time of `python3 -c 'import MODULE'` minus that of `python3 -c pass`."""
    def run(code):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return (time.perf_counter() - start) * 1000
    bare = statistics.median(run("pass") for _ in range(runs))
    return statistics.median(run("import " + module) for _ in range(runs)) - bare, bare


def med(runs, key):
    return statistics.median(r[key] for r in runs)
