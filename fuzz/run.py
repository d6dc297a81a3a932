#!/usr/bin/env python3
"""`just fuzz`: schemathesis against every dialect's OpenAPI document, on SQLite and on Postgres.

For each backend: a fresh database, `accountd serve` on a free port, the installation set up, a session and an
access key made; then `schemathesis run` on each of the five documents with real authentication (a bearer session
for the console, the access key for openapi/v1 and SCIM, and request signing for account-modify and iam, done by
fuzz/hooks.py). The checks: no server error, and every answer's status, content type, headers and body as the
document says. Exit status 1 when any run reports a failure.

  FUZZ_EXAMPLES (default 25)   examples per operation
  FUZZ_BACKENDS (default "sqlite postgres")
  TEST_DATABASE_URL            the Postgres server (a database of its own is created and dropped)
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("FUZZ_BIN", os.path.join(ROOT, "target", "debug", "accountd"))
EXAMPLES = os.environ.get("FUZZ_EXAMPLES", "25")
BACKENDS = os.environ.get("FUZZ_BACKENDS", "sqlite postgres").split()
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
ADMIN = ("fuzz-admin@example.com", "fuzz-Passw0rd-long")
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)
# The operation that ends the fuzzer's own session (then every later request would only test the refusal);
# the HTTP tests exercise it.
EXCLUDED_PATHS = ["/console/api/logout"]


def request(base, method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=30) as response:
        return json.loads(response.read() or b"null")


class Server:
    """`accountd serve` on a free port with its log in a file."""

    def __init__(self, database_url, data_dir):
        self.log_path = os.path.join(data_dir, "accountd.log")
        env = {
            "PATH": os.environ.get("PATH", ""),
            "DATABASE_URL": database_url,
            "DATA_DIR": data_dir,
            "BIND_ADDR": "127.0.0.1:0",
            "SECRET_KEY": "fuzz-secret-key-0123456789abcdef",
            "CONSOLE_WEB_URL": "http://127.0.0.1:3000",
            "BCRYPT_COST": "4",
            "LOG_FORMAT": "json",
            "RUST_LOG": "warn,accountd=info",
            "EMAIL_SEND_IP_LIMIT_PER_MINUTE": "100000",
            "SHUTDOWN_DRAIN_SECONDS": "0",
        }
        self.log = open(self.log_path, "a")
        self.process = subprocess.Popen([BIN, "serve"], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.base = None
        deadline = time.time() + 60
        while time.time() < deadline and self.base is None:
            with open(self.log_path) as f:
                for line in f:
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        continue
                    fields = entry.get("fields", entry)
                    if fields.get("message") == "accountd listening":
                        self.base = f"http://127.0.0.1:{fields['port']}"
            if self.process.poll() is not None:
                raise RuntimeError(f"accountd exited: see {self.log_path}")
            time.sleep(0.05)
        if self.base is None:
            raise RuntimeError(f"accountd did not start: see {self.log_path}")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def credentials(base):
    """Sets the installation up; returns (console session token, access key, secret)."""
    request(base, "POST", "/console/api/setup", {"email": ADMIN[0], "name": "Fuzz", "password": ADMIN[1]})
    login = request(base, "POST", "/console/api/login", {"email": ADMIN[0], "password": ADMIN[1]})
    token = login["data"]["access_token"]
    key = request(base, "POST", "/console/api/access-keys", {"name": "fuzz"}, token)
    return token, key["access_key"], key["secret_key"]


def check_credentials(base, token, access_key, secret):
    """Each dialect answers the fuzzer's credentials with 200, so the runs test more than the refusals."""
    import requests

    sys.path.insert(0, os.path.join(ROOT, "fuzz"))
    import hooks

    os.environ.update(ACCOUNTD_AK=access_key, ACCOUNTD_SK=secret)
    probes = [
        ("/console/api/account/profile", {"headers": {"Authorization": f"Bearer {token}"}}),
        ("/openapi/v1/accounts/", {"headers": {"Authorization": f"Bearer {access_key}.{secret}"}}),
        ("/api/v1/account/list", {"auth": hooks.DfSignature()}),
        ("/iam/idp/v1/users", {"auth": hooks.DateSignature()}),
        ("/scim/v2/Users", {"headers": {"Authorization": f"Bearer {access_key}.{secret}"}}),
    ]
    for path, how in probes:
        answer = requests.get(base + path, timeout=30, **how)
        if answer.status_code != 200:
            raise RuntimeError(f"the fuzzer's credentials are refused by {path}: {answer.status_code} {answer.text}")


def fuzz(base, backend, report_dir):
    token, access_key, secret = credentials(base)
    check_credentials(base, token, access_key, secret)
    env = dict(os.environ, ACCOUNTD_AK=access_key, ACCOUNTD_SK=secret, SCHEMATHESIS_HOOKS="hooks")
    env["PYTHONPATH"] = os.path.join(ROOT, "fuzz") + os.pathsep + env.get("PYTHONPATH", "")
    # The console goes last: its fuzzing may end the session or change the admin the machine dialects' key acts as.
    headers = {
        "openapi-v1": [f"Authorization: Bearer {access_key}.{secret}"],
        "account-modify": [],
        "iam": [],
        "scim": [f"Authorization: Bearer {access_key}.{secret}"],
        "console": [f"Authorization: Bearer {token}"],
    }
    failed = []
    for slug, extra in headers.items():
        command = ["schemathesis", "run", f"{base}/docs/{slug}/openapi.json", "--url", base, "-c", CHECKS]
        command += ["-n", EXAMPLES, "--seed", "1", "--no-shrink", "--phases", "examples,coverage,fuzzing"]
        command += ["--continue-on-failure", "--warnings", "off", "--report", "ndjson"]
        command += ["--report-ndjson-path", os.path.join(report_dir, f"{backend}-{slug}.ndjson")]
        for header in extra:
            command += ["-H", header]
        for path in EXCLUDED_PATHS:
            command += ["--exclude-path", path]
        print(f"\n=== {backend}: {slug} ===", flush=True)
        # run from the report directory: schemathesis keeps its cache (.schemathesis/) in the working directory
        if subprocess.run(command, env=env, cwd=report_dir).returncode != 0:
            failed.append(f"{backend}/{slug}")
    return failed


def main():
    report_dir = os.path.join(ROOT, "target", "fuzz")
    os.makedirs(report_dir, exist_ok=True)
    failed = []
    for backend in BACKENDS:
        with tempfile.TemporaryDirectory(prefix="accountd-fuzz-") as data_dir:
            if backend == "sqlite":
                database_url = f"sqlite://{data_dir}/accountd.db"
                drop = None
            else:
                name = f"accountd_fuzz_{uuid.uuid4().hex[:12]}"
                subprocess.run(["psql", PG_URL, "-qc", f"CREATE DATABASE {name}"], check=True)
                database_url = PG_URL.rsplit("/", 1)[0] + "/" + name
                drop = name
            server = Server(database_url, data_dir)
            try:
                failed += fuzz(server.base, backend, report_dir)
            finally:
                server.stop()
                if drop:
                    subprocess.run(["psql", PG_URL, "-qc", f"DROP DATABASE IF EXISTS {drop} WITH (FORCE)"])
    print()
    if failed:
        print(f"fuzz: failures in {', '.join(failed)} (reports in {report_dir})")
        sys.exit(1)
    print(f"fuzz: 0 server errors and 0 answers outside the documents ({', '.join(BACKENDS)}); reports in {report_dir}")


if __name__ == "__main__":
    main()
