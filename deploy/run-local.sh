#!/usr/bin/env bash
# Installs what is missing, builds, and runs a local 3-node cluster on
# loopback with its data under ./data. Ctrl-C stops all three nodes cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bash deploy/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

data="$root/data"
mkdir -p "$data"
members="1=127.0.0.1:7001/127.0.0.1:4566,2=127.0.0.1:7002/127.0.0.1:4567,3=127.0.0.1:7003/127.0.0.1:4568"
# Development credentials, by the LocalStack convention (docs/operations.md).
creds="$data/credentials"
[ -f "$creds" ] || printf 'test test 000000000000\n' > "$creds"

pids=()
stop() {
  trap - INT TERM
  echo "stopping..."
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait
  echo "stopped"
}
trap stop INT TERM

for i in 1 2 3; do
  "$root/build/sluiced" --id "$i" --data-dir "$data/node$i" --members "$members" \
    --credentials "$creds" \
    >>"$data/node$i.log" 2>&1 &
  pids+=($!)
done

for port in 4566 4567 4568; do
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
    sleep 0.1
  done
done

cat <<MSG
Sluice is running: 3 nodes, data in $data (logs: node1.log ... node3.log)
  endpoints:  http://127.0.0.1:4566  http://127.0.0.1:4567  http://127.0.0.1:4568
  status:     $root/build/sluicectl status
  for the AWS CLI and SDKs:
    export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
    export AWS_ENDPOINT_URL=http://127.0.0.1:4566
Press Ctrl-C to stop.
MSG
wait
