"""Starts tests/servers/vault_server.py as a subprocess for Python tests."""

import os
import subprocess
import sys

SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vault_server.py")


class VaultTestServer:
    def __init__(self, root_token="root", args=()):
        self.root_token = root_token
        self.process = subprocess.Popen(
            [sys.executable, SERVER, "--root-token", root_token, *args], stdout=subprocess.PIPE,
            text=True)
        self.port = int(self.process.stdout.readline())
        self.url = "http://127.0.0.1:%d" % self.port

    def close(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
