#!/usr/bin/env python3
"""Turns the raw results of bench/run.sh into the table it prints and appends to docs/BENCHMARKS.md.

Every scenario gets a ratio to its bound (the prepared indexed read for reads, bcrypt for logins, a scenario's own
statements run by pgbench alone where the run measured them), so runs on a noisy host compare better than raw
rates. Where a scenario misses its p99 target and its statements alone miss it too at the same concurrency, the
result says so: Postgres alone cannot meet it on this host. The ratios of each run are kept in
target/bench/ratios-<accounts>.json; a ratio more than 10 % below the previous run's of the same size is called
out under the table.
"""
import datetime
import json
import os
import platform
import sys

(results, pgbench_tps, bcrypt_rate, batch_secs, batch_code, idle_rss, peak_rss,
 accounts, conns, secs, cores, record, bounds_path, pgbench_simple_tps) = sys.argv[1:15]
pgbench_tps, bcrypt_rate, batch_secs = float(pgbench_tps), float(bcrypt_rate), float(batch_secs)
pgbench_simple_tps = float(pgbench_simple_tps or 0)

rows = {}
for line in open(results):
    parts = line.split()
    name, c = parts[0], parts[1]
    fields = dict(p.split("=", 1) for p in parts[3:])
    rows[name] = dict(conns=int(c), **{k: float(v) for k, v in fields.items()})
# name -> {tps, p50_ms, p99_ms}: a scenario's statements run by pgbench alone
statements = {}
for line in open(bounds_path):
    name, *fields = line.split()
    statements[name] = {k: float(v) for k, v in (f.split("=", 1) for f in fields)}

# scenario -> (bound name, bound value or None, ratio target or None, p99 target ms)
READ = "pgbench -S -M prepared"
targets = {
    "profile": (READ, pgbench_tps, 0.5, 10),
    "login": ("bcrypt verify", bcrypt_rate, 0.9, None),
    "profile-under-logins": (READ, pgbench_tps, None, 50),
    "account-ex-list-pages": (READ, pgbench_tps, None, 25),
    "openapi-q-3chars": (READ, pgbench_tps, None, 50),
    "openapi-q-short": (READ, pgbench_tps, None, None),
    "group-members": (READ, pgbench_tps, None, 25),
    "managed-tenants": (READ, pgbench_tps, None, 25),
    "joined-tenants": (READ, pgbench_tps, None, 25),
    "group-datasets": (READ, pgbench_tps, None, 25),
}
ratios = {}


def verdict(ok):
    return "met" if ok else "**missed**"


lines = [
    "| scenario | conns | req/s | p50 ms | p99 ms | errors | RSS MiB | bound | ratio | target | result |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
]
for name, (bound_name, bound, ratio_target, p99_target) in targets.items():
    r = rows.get(name)
    if r is None:
        continue
    alone = statements.get(name)
    if alone and alone["tps"]:
        bound_name, bound = f"its statements alone (p99 {alone['p99_ms']:.1f} ms)", alone["tps"]
    checks, target_text, ratio_text, bound_text = [], [], "", ""
    if bound:
        ratio = r["rps"] / bound
        ratios[name] = ratio
        ratio_text = f"{ratio:.2f}"
        bound_text = f"{bound_name} {bound:.0f}/s"
        if ratio_target:
            target_text.append(f"≥ {ratio_target} × bound")
            checks.append(ratio >= ratio_target)
    if p99_target:
        target_text.append(f"p99 ≤ {p99_target} ms")
        checks.append(r["p99_ms"] <= p99_target)
    target_text.append("0 errors")
    checks.append(r["errors"] == 0)
    result = verdict(all(checks))
    if not all(checks) and r["errors"] == 0 and p99_target and alone and alone["p99_ms"] > p99_target:
        result = f"missed; Postgres alone misses it too (its statements' p99 {alone['p99_ms']:.1f} ms)"
    lines.append(
        f"| {name} | {r['conns']} | {r['rps']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['errors']:.0f} | "
        f"{r['rss_mb']:.1f} | {bound_text} | {ratio_text} | {', '.join(target_text)} | {result} |"
    )

batch_bound = 1000 / bcrypt_rate
if batch_code == "200":
    ratios["openapi batch create"] = batch_bound / batch_secs
lines.append(
    f"| openapi batch create, 1000 accounts with passwords | 1 | | | | {0 if batch_code == '200' else 1} | | "
    f"1000 hashes on {cores} cores {batch_bound:.2f} s | {batch_secs / batch_bound:.2f} | ≤ 1.2 × bound "
    f"({batch_secs:.2f} s, errcode {batch_code}) | {verdict(batch_secs <= 1.2 * batch_bound and batch_code == '200')} |"
)
idle, peak = float(idle_rss), float(peak_rss)
lines.append(
    f"| server memory | | | | | | idle {idle:.1f}, peak {peak:.1f} | | | idle ≤ 64, peak ≤ 256 MiB | "
    f"{verdict(idle <= 64 and peak <= 256)} |"
)

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
mem_gib = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")) / 1024 / 1024
when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
header = (
    f"### {when}: {int(accounts):,} accounts\n\n"
    f"Machine: {cores} cores ({cpu}), {mem_gib:.0f} GiB, Postgres on loopback. Command: "
    f"`BENCH_ACCOUNTS={accounts} BENCH_CONNECTIONS={conns} BENCH_SECONDS={secs} just bench`. Bounds measured in the "
    f"same run: `pgbench -S -M prepared -c {conns}` {pgbench_tps:.0f} TPS (simple protocol "
    f"{pgbench_simple_tps:.0f}); bcrypt verify {bcrypt_rate:.1f}/s on all cores (the mean of 5 s just before and just after the login scenario)"
    + "".join(
        f"; {name}'s statements alone (`bench/pgbench/`, prepared, {conns} clients) {b['tps']:.0f} TPS, "
        f"p50 {b['p50_ms']:.1f} ms, p99 {b['p99_ms']:.1f} ms"
        for name, b in statements.items()
    )
    + ".\n"
)
# Against the previous run of the same size on this checkout's build directory: ratios more than 10 % lower.
previous_path = os.path.join("target", "bench", f"ratios-{accounts}.json")
callouts = []
try:
    with open(previous_path) as f:
        previous = json.load(f)
    for name, ratio in ratios.items():
        before = previous.get("ratios", {}).get(name)
        if before and ratio < 0.9 * before:
            callouts.append(
                f"- **regression**: {name} {ratio:.2f} × its bound, {100 * (1 - ratio / before):.0f} % below the "
                f"previous run ({before:.2f}, {previous.get('when', '?')})"
            )
    comparison = (
        "\n".join(callouts) if callouts else f"No ratio more than 10 % below the previous run ({previous.get('when', '?')})."
    )
except (OSError, ValueError):
    comparison = "No previous run of this size to compare with."
os.makedirs(os.path.dirname(previous_path), exist_ok=True)
with open(previous_path, "w") as f:
    json.dump({"when": when, "ratios": ratios}, f, indent=1)

report = header + "\n" + "\n".join(lines) + "\n\n" + comparison + "\n"
print()
print(report)
if record == "1":
    with open(os.path.join("docs", "BENCHMARKS.md"), "a") as f:
        f.write("\n" + report)
    print("appended to docs/BENCHMARKS.md")
