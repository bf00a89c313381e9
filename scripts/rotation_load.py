#!/usr/bin/python3
"""Steady load on the example service (examples/rotating_service) for
scripts/test-secret-rotation.sh: loopback only, a bounded rate, stops by itself.

Each round: POST /users, POST /login, GET /me (the email must come back as written), POST /count.
Every request that does not answer as expected is a failure. Writes a JSON summary to --out when
it stops (the stop file appears, or --max-seconds pass). Standard library only.
"""
import argparse
import http.client
import json
import os
import sys
import time


def request(conn, method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers=headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, json.loads(data) if data else {}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--stop-file", required=True)
    parser.add_argument("--max-seconds", type=float, default=600)
    parser.add_argument("--max-rounds-per-second", type=float, default=40)
    args = parser.parse_args()

    counts = {"requests": 0, "failed": 0, "rounds": 0}
    failures = []

    def check(what, status, body, expected):
        counts["requests"] += 1
        if status == expected:
            return True
        counts["failed"] += 1
        failures.append([what, status, body.get("error", {}).get("code")])
        return False

    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
    start = time.monotonic()
    progress = args.out + ".progress"
    while not os.path.exists(args.stop_file) and time.monotonic() - start < args.max_seconds:
        round_start = time.monotonic()
        email = "user%d@example.com" % counts["rounds"]
        try:
            status, body = request(conn, "POST", "/users", {"email": email})
            if check("POST /users", status, body, 201):
                status, body = request(conn, "POST", "/login", {"user_id": body["id"]})
                if check("POST /login", status, body, 200):
                    status, body = request(conn, "GET", "/me", token=body["token"])
                    if check("GET /me", status, body, 200) and body.get("email") != email:
                        counts["failed"] += 1
                        failures.append(["GET /me", status, "wrong email"])
            status, body = request(conn, "POST", "/count", {})
            check("POST /count", status, body, 200)
        except (OSError, http.client.HTTPException, ValueError, KeyError) as e:
            counts["requests"] += 1
            counts["failed"] += 1
            failures.append(["connection", 0, type(e).__name__])
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
        counts["rounds"] += 1
        with open(progress, "w") as f:
            f.write("%d %d\n" % (counts["requests"], counts["failed"]))
        spare = 1.0 / args.max_rounds_per_second - (time.monotonic() - round_start)
        if spare > 0:
            time.sleep(spare)  # a rate bound, not a wait for an event
    counts["seconds"] = round(time.monotonic() - start, 1)
    counts["failures"] = failures[:20]
    with open(args.out, "w") as f:
        json.dump(counts, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
