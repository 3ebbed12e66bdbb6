#!/usr/bin/env bash
# What a newcomer waits for, as the README states it: the release build of a fresh clone, and
# the time from starting `vern up --demo` on a fresh data directory to its "demo seeded" line
# (three runs). Run from a checkout: bash crates/bench/first-run/run.sh
# The crates are taken from cargo's cache when there; a first download adds network time.
set -euo pipefail
checkout=$(cd "$(dirname "$0")/../../.." && pwd)
work=$(mktemp -d)
chmod 755 "$work"   # the private PostgreSQL runs as the postgres user when this is root
trap 'rm -rf "$work"' EXIT

git clone -q "$checkout" "$work/clone"
cd "$work/clone"
millis() { echo $(( $(date +%s%N) / 1000000 )); }
start=$(millis)
cargo build -q --release -p vern
echo "release build of a fresh clone: $(( ($(millis) - start) / 1000 )) s"

for run in 1 2 3; do
    data="$work/data-$run"
    start=$(millis)
    target/release/vern up --demo --data-dir "$data" --listen 127.0.0.1:0 \
        --dashboard 127.0.0.1:0 2>"$work/log-$run" &
    pid=$!
    until grep -q "demo seeded" "$work/log-$run"; do
        kill -0 "$pid" 2>/dev/null || { cat "$work/log-$run"; exit 1; }
        sleep 0.05
    done
    elapsed=$(( $(millis) - start ))
    echo "run $run: demo seeded $(( elapsed / 1000 )).$(( elapsed % 1000 / 100 )) s after the command"
    kill -TERM "$pid"
    wait "$pid" || true
done
