#!/usr/bin/env bash
# Records INFO / CLUSTER text from the redis-server on PATH into test/fixtures/versions/<name>-<version>/:
# a 3-master, 3-replica cluster on 127.0.0.1 (ports BASE..BASE+5), one node announcing a hostname and one
# slot left half-migrated, so the parsers can be checked against every server's real output.
# Usage: PATH=/path/to/server/bin:$PATH scripts/record-version-fixtures.sh [BASE_PORT]
set -euo pipefail
base=${1:-22100}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait; rm -rf "$work"; }
trap cleanup EXIT
cli() { redis-cli -h 127.0.0.1 -p "$1" "${@:2}"; }
for i in 0 1 2 3 4 5; do
  port=$((base + i))
  mkdir -p "$work/$port"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$work/$port" --save '' --appendonly no \
    --cluster-enabled yes --cluster-node-timeout 2000 --repl-diskless-sync-delay 0 \
    --logfile "$work/$port/log" --daemonize no &
  pids+=($!)
done
for i in 0 1 2 3 4 5; do until cli $((base + i)) PING >/dev/null 2>&1; do sleep 0.1; done; done
name_version=$(cli "$base" INFO server | tr -d '\r' | awk -F: '
  /^redis_version:/ { r = $2 } /^valkey_version:/ { v = $2 }
  END { if (v != "") print "valkey-" v; else print "redis-" r }')
out="$root/test/fixtures/versions/$name_version"
mkdir -p "$out"
redis-cli --cluster create --cluster-yes $(for i in 0 1 2 3 4 5; do printf '127.0.0.1:%s ' $((base + i)); done) \
  --cluster-replicas 1 >/dev/null
until [ "$(cli "$base" CLUSTER INFO | tr -d '\r' | grep -c '^cluster_state:ok')" = 1 ]; do sleep 0.2; done
cli $((base + 1)) CONFIG SET cluster-announce-hostname redis-cluster-1.redis-cluster >/dev/null
src=$(cli "$base" CLUSTER MYID)
dst=$(cli $((base + 1)) CLUSTER MYID)
cli $((base + 1)) CLUSTER SETSLOT 100 IMPORTING "$src" >/dev/null
cli "$base" CLUSTER SETSLOT 100 MIGRATING "$dst" >/dev/null
# Wait until every replica's link is up and everyone has heard the hostname.
for i in 0 1 2 3 4 5; do
  until cli $((base + i)) INFO replication | tr -d '\r' | grep -qE '^(role:master|master_link_status:up)'; do
    sleep 0.2
  done
done
until cli $((base + 2)) CLUSTER NODES | grep -q redis-cluster-1; do sleep 0.2; done
# ...and until every node lists three replicas (gossip agrees on who replicates whom).
for i in 0 1 2 3 4 5; do
  until [ "$(cli $((base + i)) CLUSTER NODES | grep -cE '[ ,]slave ')" = 3 ]; do sleep 0.2; done
done
replica=$(for i in 0 1 2 3 4 5; do
  if cli $((base + i)) ROLE | head -1 | grep -q slave; then echo $((base + i)); break; fi
done)
cli "$base" INFO server >"$out/info-server.txt"
cli "$base" INFO replication >"$out/info-replication-master.txt"
cli "$replica" INFO replication >"$out/info-replication-replica.txt"
cli "$base" CLUSTER INFO >"$out/cluster-info.txt"
cli "$base" CLUSTER NODES >"$out/cluster-nodes-migrating.txt"
cli $((base + 1)) CLUSTER NODES >"$out/cluster-nodes-hostname.txt"
cli "$replica" CLUSTER NODES >"$out/cluster-nodes-replica.txt"
cp "$work/$base/nodes.conf" "$out/nodes-conf.txt"
echo "recorded $out"
