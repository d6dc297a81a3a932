# accountd tasks. `just run` serves on embedded SQLite with no configuration; `just test` runs everything.

set shell := ["bash", "-euo", "pipefail", "-c"]

export TEST_DATABASE_URL := env_var_or_default("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")

# Start the server (embedded SQLite at data/accountd.db unless DATABASE_URL says otherwise).
run *ARGS:
    cargo run --bin accountd -- serve {{ARGS}}

# The whole test suite: dependency guard, unit, contract (SQLite + Postgres) and HTTP tests.
test: guard smtp-sink oidc-provider browser scim-client
    if cargo nextest --version >/dev/null 2>&1; then \
        cargo test --workspace --doc --quiet; \
        cargo nextest run --workspace --no-fail-fast; \
    else \
        cargo test --workspace --no-fail-fast; \
    fi
    # the in-memory embedding example (docs/LIBRARY.md) checks its own answers; the axum one runs in its test
    cargo run --quiet -p accountd-example-in-memory

# The domain crate must not depend on web, database, mail or runtime crates.
guard:
    #!/usr/bin/env bash
    set -euo pipefail
    bad=$(cargo tree -p accountd-domain -e normal --prefix none | grep -E '^(diesel|actix|lettre|awc|r2d2|libsqlite3-sys|pq-sys|tokio)[ -]' || true)
    if [ -n "$bad" ]; then echo "domain depends on forbidden crates:"; echo "$bad"; exit 1; fi
    echo "guard: domain has no web, database, mail or runtime dependency"

# The mail tests talk SMTP to Python's aiosmtpd on loopback: install it when missing.
smtp-sink:
    python3 -c 'import aiosmtpd' 2>/dev/null || python3 -m pip install --quiet aiosmtpd

# The sign-in tests run the npm package oidc-provider on loopback: install it (from the lock file) when missing.
oidc-provider:
    [ -d tests/oidc-provider/node_modules/oidc-provider ] || npm ci --prefix tests/oidc-provider --no-audit --no-fund --silent

# The SCIM tests drive the Python package scim2-client (a standard SCIM client written by others): install it when
# missing.
scim-client:
    python3 -c 'import scim2_client.engines.httpx2' 2>/dev/null || python3 -m pip install --quiet 'scim2-client[httpx2]==0.13.2' 'scim2-models==0.12.3'

# The reference page test (/docs) drives Debian's headless Chromium: install it when missing.
browser:
    command -v "${CHROMIUM:-chromium}" >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# Benchmarks against local Postgres (BENCH_ACCOUNTS=10000 for a quick run); appends to docs/BENCHMARKS.md.
bench:
    bash bench/run.sh

# Faults under load (Postgres restart and outage, SIGKILL on SQLite, SMTP outage, two instances, slow clients),
# every acknowledged write checked afterwards; `just chaos --short` for CI. CHAOS_RECORD=1 appends to docs/RELIABILITY.md.
chaos *ARGS: smtp-sink
    cargo build --quiet --bin accountd
    python3 chaos/run.py {{ARGS}}

# schemathesis against every dialect's OpenAPI document on SQLite and Postgres, with real authentication
# (fuzz/hooks.py signs account-modify and iam requests): 0 server errors and 0 answers outside the documents.
# FUZZ_EXAMPLES (25) sets the examples per operation; reports go to target/fuzz/.
fuzz:
    python3 -c 'import schemathesis' 2>/dev/null || python3 -m pip install --quiet schemathesis
    cargo build --quiet --bin accountd
    python3 fuzz/run.py

# Install the `accountd` binary into cargo's bin directory (~/.cargo/bin), so that the docs' `accountd …` commands work.
install:
    cargo install --locked --path .

# Format the code.
fmt:
    cargo fmt --all

# Formatting, clippy with warnings as errors, and the domain crate's rustdoc (every public item documented, no
# broken link).
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
    RUSTDOCFLAGS="-D warnings" cargo doc -p accountd-domain --no-deps --quiet
