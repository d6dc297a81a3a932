#!/usr/bin/env python3
"""accountd chaos suite: faults under load, seen from outside, with every acknowledged write checked afterwards.

Runs the built `accountd` binary (CHAOS_BIN, default target/debug/accountd) against a Postgres cluster of its own
(initdb on a spare port, CHAOS_PG_PORT, default 5499) and an SMTP sink, and drives write load through the
openapi/v1 dialect while it:

  postgres-restart  restarts Postgres (`pg_ctl restart -m fast`) twice under write load
  postgres-outage   stops Postgres for longer than the outage grace under write load, then starts it again
  sqlite-kill       kills the server on SQLite with SIGKILL under write load, and starts it again on the file
  smtp-outage       stops the SMTP server while mail is requested, then starts it again
  two-instances     updates one account through two servers on one database at once
  slow-clients      opens 1000 idle connections and 100 bodies sent a byte a second, next to normal requests

Each scenario counts acknowledged writes missing afterwards, writes present twice, 5xx answers other than the
documented 503s, mails lost or duplicated, and the recovery time. A table is printed; with CHAOS_RECORD=1 the run
is appended to docs/RELIABILITY.md. `--short` runs shorter phases (for CI).

Usage: python3 chaos/run.py [--short] [scenario ...]
"""

import http.client
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("CHAOS_BIN", os.path.join(ROOT, "target", "debug", "accountd"))
PG_PORT = int(os.environ.get("CHAOS_PG_PORT", "5499"))
SHORT = "--short" in sys.argv
PHASE = 2.0 if SHORT else 4.0
ADMIN = ("admin@chaos.example", "admin1234")
SECRET_KEY = "chaos-secret-key-0123456789abcdef"


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- Postgres -------------------------------------------------------------------------------------------------


def pg_bin(name):
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(os.listdir("/usr/lib/postgresql"), key=lambda v: int(v) if v.isdigit() else 0)
    return os.path.join("/usr/lib/postgresql", versions[-1], "bin", name)


class Cluster:
    """A Postgres cluster of its own in a temporary directory (run as the postgres user when we are root)."""

    def __init__(self, port):
        self.port = port
        self.dir = tempfile.mkdtemp(prefix="accountd-chaos-pg-")
        self.as_owner = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            self.as_owner = ["runuser", "-u", "postgres", "--"]
        self.data = os.path.join(self.dir, "data")
        self._run(pg_bin("initdb"), "-D", self.data, "-A", "trust", "-U", "postgres", "--no-instructions")

    def _run(self, *args):
        subprocess.run(self.as_owner + list(args), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _ctl(self, *args):
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir}"
        self._run(pg_bin("pg_ctl"), "-D", self.data, "-o", options, "-l", os.path.join(self.dir, "log"), "-w", *args)

    def start(self):
        self._ctl("start")

    def stop(self):
        self._ctl("stop", "-m", "fast")

    def restart(self):
        self._ctl("restart", "-m", "fast")

    def url(self, database):
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, database, statement):
        out = subprocess.run(
            [pg_bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database, "-Atc", statement],
            check=True,
            capture_output=True,
            text=True,
        )
        return [line for line in out.stdout.splitlines() if line]

    def destroy(self):
        try:
            self._run(pg_bin("pg_ctl"), "-D", self.data, "stop", "-m", "immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


# --- the server -----------------------------------------------------------------------------------------------


class Server:
    """`accountd serve` on a free port; its log goes to a file."""

    def __init__(self, database_url, data_dir, extra=None):
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "DATABASE_URL": database_url,
            "DATA_DIR": data_dir,
            "BIND_ADDR": "127.0.0.1:0",
            "SECRET_KEY": SECRET_KEY,
            "BCRYPT_COST": "4",
            "LOG_FORMAT": "json",
            "RUST_LOG": "info",
            "DATABASE_POOL_SIZE": "8",
            "EMAIL_SEND_IP_LIMIT_PER_MINUTE": "100000",
            "MAIL_POLL_INTERVAL_MS": "200",
            "MAIL_RETRY_BASE_SECONDS": "1",
            "SHUTDOWN_DRAIN_SECONDS": "0",
        }
        self.env.update(extra or {})
        self.log_path = tempfile.mktemp(prefix="accountd-chaos-", suffix=".log")
        self.process = None
        self.port = None

    def start(self):
        self.log = open(self.log_path, "a")
        self.process = subprocess.Popen([BIN, "serve"], env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            with open(self.log_path) as f:
                for line in f:
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        continue
                    fields = entry.get("fields", entry)
                    if fields.get("message") == "accountd listening":
                        self.port = int(fields["port"])
                        return self
            if self.process.poll() is not None:
                raise RuntimeError(f"accountd exited: see {self.log_path}")
            time.sleep(0.05)
        raise RuntimeError(f"accountd did not start: see {self.log_path}")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


class Client:
    """One kept-alive HTTP/1.1 connection; a broken one is opened again on the next request."""

    def __init__(self, server, timeout=30):
        self.server = server
        self.timeout = timeout
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=self.timeout)
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
            if response.getheader("connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            try:
                payload = json.loads(raw) if raw else None
            except ValueError:
                payload = raw.decode(errors="replace")
            return response.status, payload
        except (OSError, http.client.HTTPException) as error:
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return None, str(error)


def set_up(server):
    """Sets up the installation; returns (console access token, openapi/v1 bearer)."""
    client = Client(server)
    status, body = client.request("POST", "/console/api/setup", {"email": ADMIN[0], "name": "Chaos", "password": ADMIN[1]})
    assert status in (201, 403), (status, body)
    return sign_in(server)


def sign_in(server):
    client = Client(server)
    status, body = client.request("POST", "/console/api/login", {"email": ADMIN[0], "password": ADMIN[1]})
    assert status == 200, (status, body)
    access = body["data"]["access_token"]
    status, key = client.request("POST", "/console/api/access-keys", {}, {"Authorization": f"Bearer {access}"})
    assert status == 201, (status, key)
    return access, f"Bearer {key['access_key']}.{key['secret_key']}"


class Tally:
    """Answers counted by kind, acknowledged writes, and the time of every answer."""

    def __init__(self):
        self.lock = threading.Lock()
        self.statuses = {}
        self.acknowledged = set()
        self.answers = []  # (time, status)

    def record(self, status, acknowledged=None):
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            self.answers.append((time.time(), status))
            if acknowledged is not None:
                self.acknowledged.add(acknowledged)

    def count(self, predicate):
        with self.lock:
            return sum(n for status, n in self.statuses.items() if predicate(status))

    def total(self):
        return self.count(lambda s: True)


def writers(server, bearer, tally, stop, prefix, threads=4, pause=0.0):
    """Threads creating accounts through openapi/v1 until `stop` is set."""

    def work(n):
        client = Client(server)
        i = 0
        while not stop.is_set():
            email = f"{prefix}-{n}-{i}@chaos.example"
            status, body = client.request("POST", "/openapi/v1/accounts/", {"email": email, "nickname": "Chaos"}, {"Authorization": bearer})
            tally.record(status, email if status == 200 else None)
            i += 1
            if pause:
                time.sleep(pause)

    started = [threading.Thread(target=work, args=(n,), daemon=True) for n in range(threads)]
    for t in started:
        t.start()
    return started


def stop_writers(stop, threads):
    stop.set()
    for t in threads:
        t.join()


def accounts_outcome(cluster, database, tally, **extra):
    """The writers' tally against what the database holds (the writers' prefix is the database's name)."""
    present = set(cluster.sql(database, f"SELECT email FROM accounts WHERE email LIKE '{database}-%'"))
    return {
        "writes": tally.total(),
        "acknowledged": len(tally.acknowledged),
        "missing": len(tally.acknowledged - present),
        "duplicated": duplicates(cluster, database),
        "503": tally.count(lambda s: s == 503),
        "unexplained": tally.count(unexplained),
        **extra,
    }


def unexplained(status):
    """A failure no client should see: a 5xx other than the documented 503, or no answer at all."""
    return status is None or (status >= 500 and status != 503)


def recovery_after(tally, since):
    """Seconds from `since` to the first 200 answered after it."""
    with tally.lock:
        later = [t for t, status in tally.answers if t >= since and status == 200]
    return round(min(later) - since, 2) if later else None


# --- scenarios ------------------------------------------------------------------------------------------------


def scenario_postgres_restart(cluster):
    cluster.sql("postgres", "CREATE DATABASE restart")
    server = Server(cluster.url("restart"), tempfile.mkdtemp()).start()
    _, bearer = set_up(server)
    tally, stop = Tally(), threading.Event()
    threads = writers(server, bearer, tally, stop, "restart")
    time.sleep(PHASE)
    restarts = []
    for _ in range(2):
        began = time.time()
        cluster.restart()
        restarts.append(time.time() - began)
        time.sleep(PHASE)
    stop_writers(stop, threads)
    server.stop()
    note = f"2 × pg_ctl restart -m fast ({', '.join(f'{r:.1f} s' for r in restarts)})"
    return accounts_outcome(cluster, "restart", tally, note=note)


def duplicates(cluster, database):
    rows = cluster.sql(database, "SELECT count(*) FROM (SELECT email FROM accounts GROUP BY email HAVING count(*) > 1) d")
    return int(rows[0])


def scenario_postgres_outage(cluster):
    cluster.sql("postgres", "CREATE DATABASE outage")
    server = Server(cluster.url("outage"), tempfile.mkdtemp(), {"DATABASE_OUTAGE_GRACE_SECONDS": "2"}).start()
    _, bearer = set_up(server)
    tally, stop = Tally(), threading.Event()
    threads = writers(server, bearer, tally, stop, "outage", pause=0.02)
    time.sleep(PHASE)
    cluster.stop()
    down_at = time.time()
    time.sleep(max(PHASE, 4.0))
    # how quickly a request is answered once the grace is over
    probe = Client(server)
    latencies = []
    for _ in range(20):
        began = time.time()
        status, _ = probe.request("GET", "/readyz")
        latencies.append((time.time() - began) * 1000)
    cluster.start()
    up_at = time.time()
    time.sleep(PHASE)
    stop_writers(stop, threads)
    server.stop()
    latencies.sort()
    note = f"Postgres down {up_at - down_at:.1f} s (grace 2 s); /readyz while down p50 {latencies[10]:.1f} ms, max {latencies[-1]:.1f} ms"
    return accounts_outcome(cluster, "outage", tally, recovery_s=recovery_after(tally, up_at), note=note)


def scenario_sqlite_kill():
    data = tempfile.mkdtemp(prefix="accountd-chaos-sqlite-")
    url = f"sqlite://{data}/accountd.db"
    server = Server(url, data).start()
    _, bearer = set_up(server)
    tally, stop = Tally(), threading.Event()
    threads = writers(server, bearer, tally, stop, "kill")
    time.sleep(PHASE)
    stop.set()  # the writers send nothing after the kill: only the requests in flight are cut off
    server.kill()
    killed_at = time.time()
    stop_writers(stop, threads)
    cut_off = tally.count(lambda s: s is None)
    server = Server(url, data).start()
    restart_s = round(time.time() - killed_at, 2)
    _, bearer = sign_in(server)
    con = sqlite3.connect(os.path.join(data, "accountd.db"))
    rows = [r[0] for r in con.execute("SELECT email FROM accounts WHERE email LIKE 'kill-%'")]
    dup = con.execute("SELECT count(*) FROM (SELECT email FROM accounts GROUP BY email HAVING count(*) > 1)").fetchone()[0]
    con.close()
    server.stop()
    shutil.rmtree(data, ignore_errors=True)
    return {
        "writes": tally.total(),
        "acknowledged": len(tally.acknowledged),
        "missing": len(tally.acknowledged - set(rows)),
        "duplicated": dup,
        "503": tally.count(lambda s: s == 503),
        "unexplained": tally.count(lambda s: s is not None and s >= 500 and s != 503),
        "recovery_s": restart_s,
        "note": f"SIGKILL under 4 writers; {cut_off} requests in flight cut off (no answer); restarted on the same file",
    }


class SmtpSink:
    def __init__(self, port, directory):
        self.port, self.directory, self.process = port, directory, None

    def start(self):
        script = os.path.join(ROOT, "tests", "support", "smtp_sink.py")
        self.process = subprocess.Popen(
            [sys.executable, script, str(self.port), self.directory], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert self.process.stdout.readline().strip() == b"ready"

    def stop(self):
        self.process.terminate()
        self.process.wait()

    def recipients(self):
        found = []
        for name in sorted(os.listdir(self.directory)):
            if name.endswith(".json"):
                with open(os.path.join(self.directory, name)) as f:
                    found.extend(json.load(f)["rcpt_tos"])
        return found


def scenario_smtp_outage(cluster):
    cluster.sql("postgres", "CREATE DATABASE smtp")
    port, inbox = free_port(), tempfile.mkdtemp(prefix="accountd-chaos-mail-")
    sink = SmtpSink(port, inbox)
    sink.start()
    extra = {"SMTP_URL": f"smtp://127.0.0.1:{port}", "MAIL_FROM": "accountd <noreply@chaos.example>"}
    server = Server(cluster.url("smtp"), tempfile.mkdtemp(), extra).start()
    _, bearer = set_up(server)
    client = Client(server)
    addresses = [f"mail-{n}@chaos.example" for n in range(20)]
    for address in addresses:
        status, body = client.request("POST", "/openapi/v1/accounts/", {"email": address}, {"Authorization": bearer})
        assert status == 200, (status, body)
    sink.stop()
    answered = {}
    for address in addresses:
        status, _ = client.request("POST", "/console/api/forgot-password", {"email": address, "language": "en-US"})
        answered[status] = answered.get(status, 0) + 1
    time.sleep(PHASE)
    sink.start()
    up_at = time.time()
    deadline = time.time() + 30
    while len(sink.recipients()) < len(addresses) and time.time() < deadline:
        time.sleep(0.2)
    delivered_s = round(time.time() - up_at, 2)
    time.sleep(1.5)  # anything sent twice would arrive now
    received = sink.recipients()
    sink.stop()
    server.stop()
    shutil.rmtree(inbox, ignore_errors=True)
    return {
        "writes": len(addresses),
        "acknowledged": answered.get(200, 0),
        "missing": len(set(addresses) - set(received)),
        "duplicated": len(received) - len(set(received)),
        "503": answered.get(503, 0),
        "unexplained": sum(n for s, n in answered.items() if unexplained(s)),
        "recovery_s": delivered_s,
        "note": f"20 password-reset mails requested with the SMTP server down {PHASE:.0f} s; counted by the sink",
    }


def scenario_two_instances(cluster):
    cluster.sql("postgres", "CREATE DATABASE twins")
    first = Server(cluster.url("twins"), tempfile.mkdtemp()).start()
    second = Server(cluster.url("twins"), tempfile.mkdtemp()).start()
    _, bearer = set_up(first)
    status, body = Client(first).request("POST", "/openapi/v1/accounts/", {"email": "shared@chaos.example"}, {"Authorization": bearer})
    assert status == 200, (status, body)
    uid = body["data"]["uid"]
    tally, stop = Tally(), threading.Event()
    written = set()

    def work(server, n):
        client = Client(server)
        i = 0
        while not stop.is_set():
            nickname = f"w{n}-{i}"
            status, _ = client.request("PUT", f"/openapi/v1/accounts/{uid}/", {"nickname": nickname}, {"Authorization": bearer})
            tally.record(status, nickname if status == 200 else None)
            i += 1

    threads = [threading.Thread(target=work, args=(server, n), daemon=True) for n, server in enumerate([first, second] * 3)]
    for t in threads:
        t.start()
    time.sleep(PHASE * 1.5)
    stop_writers(stop, threads)
    final = cluster.sql("twins", f"SELECT name FROM accounts WHERE id = '{uid}'")[0]
    audited = int(cluster.sql("twins", f"SELECT count(*) FROM audit_events WHERE target_id = '{uid}' AND action = 'account.update'")[0])
    first.stop()
    second.stop()
    return {
        "writes": tally.total(),
        "acknowledged": len(tally.acknowledged),
        "missing": 0 if final in tally.acknowledged else 1,
        "duplicated": max(0, audited - len(tally.acknowledged)),
        "503": tally.count(lambda s: s == 503),
        "unexplained": tally.count(unexplained),
        "note": f"6 writers on one account through 2 instances; {tally.count(lambda s: s == 409)} answered 409 after 5 attempts; the final name is an acknowledged one; {audited} audited changes",
    }


def listen_overflows():
    """The kernel's count of connections dropped because an accept queue was full (TcpExt ListenOverflows)."""
    with open("/proc/net/netstat") as f:
        lines = [line.split() for line in f if line.startswith("TcpExt:")]
    names, values = lines[0], lines[1]
    return int(values[names.index("ListenOverflows")])


def scenario_slow_clients(cluster):
    cluster.sql("postgres", "CREATE DATABASE slow")
    server = Server(cluster.url("slow"), tempfile.mkdtemp(), {"BODY_READ_TIMEOUT_SECONDS": "5"}).start()
    access, bearer = set_up(server)
    # a burst of 1000 connections, opened as fast as the kernel completes them
    overflows = listen_overflows()
    idle = []
    for _ in range(1000):
        s = socket.create_connection(("127.0.0.1", server.port))
        idle.append(s)
    overflows = listen_overflows() - overflows
    trickles, timed_out, cut = [], [], []

    def trickle():
        s = socket.create_connection(("127.0.0.1", server.port))
        s.settimeout(20)
        began = time.time()
        s.sendall(b"POST /openapi/v1/accounts/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n")
        reply = b""
        try:
            for byte in b'{"email": "slow@chaos.example", "nickname": "slow trickle"}':
                s.sendall(bytes([byte]))
                s.settimeout(1.0)
                try:
                    reply += s.recv(4096)
                    if reply:
                        break
                except socket.timeout:
                    pass
            s.settimeout(10)
            while b"\r\n\r\n" not in reply:
                chunk = s.recv(4096)
                if not chunk:
                    break
                reply += chunk
        except OSError:
            pass
        elapsed = time.time() - began
        if reply.startswith(b"HTTP/1.1 408"):
            timed_out.append(elapsed)
        else:
            cut.append(reply[:40])
        s.close()

    for _ in range(100):
        t = threading.Thread(target=trickle, daemon=True)
        t.start()
        trickles.append(t)
    tally = Tally()
    latencies = []
    client = Client(server)
    end = time.time() + 7
    while time.time() < end:
        began = time.time()
        status, _ = client.request("GET", "/openapi/v1/accounts/?count=1", headers={"Authorization": bearer})
        latencies.append((time.time() - began) * 1000)
        tally.record(status)
        time.sleep(0.01)
    for t in trickles:
        t.join()
    for s in idle:
        s.close()
    server.stop()
    latencies.sort()
    return {
        "writes": 100,
        "overflows": overflows,
        "acknowledged": 0,
        "missing": 0,
        "duplicated": 0,
        "503": tally.count(lambda s: s == 503),
        "unexplained": tally.count(lambda s: s != 200),
        "note": (
            f"a burst of 1000 idle connections ({overflows} accept-queue overflows) + 100 bodies at 1 byte/s: "
            f"{len(timed_out)} answered 408 after "
            f"{(max(timed_out) if timed_out else 0):.1f} s at most (deadline 5 s), {len(cut)} otherwise; "
            f"{tally.total()} reads beside them, p50 {latencies[len(latencies) // 2]:.1f} ms, max {latencies[-1]:.1f} ms"
        ),
    }


SCENARIOS = {
    "postgres-restart": scenario_postgres_restart,
    "postgres-outage": scenario_postgres_outage,
    "sqlite-kill": scenario_sqlite_kill,
    "smtp-outage": scenario_smtp_outage,
    "two-instances": scenario_two_instances,
    "slow-clients": scenario_slow_clients,
}


def machine():
    cores = os.cpu_count()
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    pg = subprocess.run([pg_bin("postgres"), "--version"], capture_output=True, text=True).stdout.strip()
    return f"{cores} cores, {mem_kb // 1024 // 1024} GiB, Linux {platform.release()}, {pg}"


def table(results):
    lines = [
        "| scenario | requests | acknowledged | missing | duplicated | 503 | unexplained 5xx / no answer | recovery (s) | what happened |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        recovery = r.get("recovery_s")
        lines.append(
            f"| {name} | {r['writes']} | {r['acknowledged']} | {r['missing']} | {r['duplicated']} | {r['503']} | "
            f"{r['unexplained']} | {'' if recovery is None else recovery} | {r['note']} |"
        )
    return "\n".join(lines)


def main():
    chosen = [a for a in sys.argv[1:] if not a.startswith("--")] or list(SCENARIOS)
    unknown = [c for c in chosen if c not in SCENARIOS]
    if unknown:
        sys.exit(f"unknown scenario {unknown}; choose from {list(SCENARIOS)}")
    if not os.path.exists(BIN):
        sys.exit(f"{BIN} is missing: run `cargo build --bin accountd` first (just chaos does)")
    cluster = Cluster(PG_PORT)
    cluster.start()
    results = {}
    try:
        for name in chosen:
            log(f"{name} …")
            if name == "sqlite-kill":
                results[name] = SCENARIOS[name]()
            else:
                results[name] = SCENARIOS[name](cluster)
            log(f"{name}: {results[name]}")
    finally:
        cluster.destroy()
    rendered = table(results)
    print()
    print(rendered)
    failed = [n for n, r in results.items() if r["missing"] or r["duplicated"] or r["unexplained"] or r.get("overflows")]
    command = "just chaos" + (" --short" if SHORT else "")
    if os.environ.get("CHAOS_RECORD") == "1":
        with open(os.path.join(ROOT, "docs", "RELIABILITY.md"), "a") as f:
            f.write(f"\n### Run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n\n")
            f.write(f"`CHAOS_RECORD=1 {command}` on {machine()}, debug build of accountd.\n\n")
            f.write(rendered + "\n")
        log("appended to docs/RELIABILITY.md")
    if failed:
        sys.exit(f"chaos: lost, duplicated or unexplained answers in {failed}")
    log("chaos: 0 lost, 0 duplicated, 0 unexplained 5xx")


if __name__ == "__main__":
    main()
