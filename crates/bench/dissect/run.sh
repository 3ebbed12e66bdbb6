#!/bin/bash
# What the event store's contract costs an append, against the raw single-row INSERT that
# `bench append` compares with: pgbench on a scratch PostgreSQL 15 with the store's own
# migrations, one transaction per call, at 1, 4 and 16 clients.
#
#   raw            the raw baseline: one row into a table with only a primary key
#   events_row     the contract's `events` row alone (its four indexes), one plain statement
#   contract_rows  the three rows the contract writes per append (`events`, `streams`,
#                  `commands`) in one plain statement: no locks, no version or replay checks
#   append         `vern_append` itself, one event to a new stream, `ExpectedVersion::Any`
#
# Each round runs every script at every client count for the same seconds and prints its
# transactions/s and its ratio to `raw` in that round (the machine drifts between rounds).
# Why it exists and what it found: crates/bench/BENCHMARKS.md, journal entry "2026-12-03: what
# the remaining targets would cost".
#
# Usage: bash crates/bench/dissect/run.sh [seconds per run, default 3] [rounds, default 3]
# Needs PostgreSQL 15's server binaries in /usr/lib/postgresql/15/bin and nothing else; run as
# root it runs PostgreSQL as the `postgres` user. Everything it makes goes when it ends.
set -euo pipefail

seconds=${1:-3}
rounds=${2:-3}
bin=/usr/lib/postgresql/15/bin
migrations=$(cd "$(dirname "$0")/../../eventstore/migrations" && pwd)
dir=$(mktemp -d /tmp/vern-dissect.XXXXXX)
port=55433

as_postgres() {
    if [ "$(id -u)" = 0 ]; then
        su postgres -s /bin/bash -c "$1" </dev/null
    else
        bash -c "$1" </dev/null
    fi
}

cleanup() {
    as_postgres "$bin/pg_ctl -D $dir/data -m immediate stop" >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT

if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
chmod 755 "$dir"
as_postgres "$bin/initdb -D $dir/data -U postgres -A trust" >/dev/null
as_postgres "$bin/pg_ctl -D $dir/data -l $dir/log -w \
    -o \"-p $port -k $dir -c listen_addresses=''\" start" >/dev/null
psql="$bin/psql -q -X -v ON_ERROR_STOP=1 -h $dir -p $port -U postgres"
as_postgres "$bin/createdb -h $dir -p $port -U postgres dissect"
for migration in "$migrations"/*.sql; do
    as_postgres "$psql -d dissect -f $migration" >/dev/null
done
as_postgres "$psql -d dissect -c 'create table bench_raw (
    id bigint generated always as identity primary key,
    stream_id text not null, payload jsonb not null, metadata jsonb not null)'"

# The payload and metadata of `bench append` (546 bytes of payload).
payload="'{\"kind\": \"ReportReceived\", \"text\": \"$(printf 'x%.0s' $(seq 1 500))\", \"n\": 1}'::jsonb"
metadata="'{\"command_id\": \"00000000-0000-0000-0000-000000000000\", \"actor\": {\"kind\": \"caseworker\", \"id\": \"bench\"}}'::jsonb"
event="'bench-' || gen_random_uuid(), 1, gen_random_uuid(), 'ReportReceived', 1, $payload, $metadata, clock_timestamp()"
columns="stream_id, stream_version, event_id, event_type, schema_version, payload, metadata, recorded_at"

cat >"$dir/raw.sql" <<EOF
insert into bench_raw (stream_id, payload, metadata) values ('bench-' || gen_random_uuid(), $payload, $metadata);
EOF
cat >"$dir/events_row.sql" <<EOF
insert into events ($columns) values ($event);
EOF
cat >"$dir/contract_rows.sql" <<EOF
with e as (insert into events ($columns) values ($event) returning stream_id, global_position),
     s as (insert into streams (stream_id, category, municipality, version, updated_at)
           select stream_id, 'bench', '0301', 1, clock_timestamp() from e
           on conflict (stream_id) do update set version = excluded.version, updated_at = excluded.updated_at)
insert into commands (command_id, result, recorded_at)
select gen_random_uuid(), jsonb_build_object('last', global_position), clock_timestamp() from e;
EOF
cat >"$dir/append.sql" <<EOF
select vern_append(gen_random_uuid(), $metadata, array['bench-' || gen_random_uuid()], array[-1]::bigint[], array['0301'], array[1], array[gen_random_uuid()], array['ReportReceived'], array[1], array[$payload]);
EOF
chmod 644 "$dir"/*.sql

printf '%-6s %-8s %-14s %10s %8s\n' round clients script 'per s' ratio
for round in $(seq 1 "$rounds"); do
    for clients in 1 4 16; do
        raw=
        for script in raw events_row contract_rows append; do
            tps=$(as_postgres "$bin/pgbench -n -M prepared -h $dir -p $port -U postgres \
                -c $clients -j $((clients < 2 ? clients : 2)) -T $seconds -f $dir/$script.sql dissect" 2>&1 |
                sed -n 's/^tps = \([0-9.]*\).*/\1/p')
            raw=${raw:-$tps}
            awk -v r="$round" -v c="$clients" -v s="$script" -v t="$tps" -v raw="$raw" \
                'BEGIN { printf "%-6s %-8s %-14s %10.0f %8.2f\n", r, c, s, t, t / raw }'
        done
    done
done
