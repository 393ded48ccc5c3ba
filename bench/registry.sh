#!/usr/bin/env bash
# Registry read throughput: wrk against a running 'modelward serve' on
# SQLite (the embedded default), reading one version with a viewer token,
# and the time to push a 1 GB model beside this machine's hashing limit.
# Prints what docs/benchmarks.md records.
#
#   bash bench/registry.sh        # from the repository root
#
# Needs wrk and /usr/bin/time (Debian packages wrk, time).
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DIR=${BENCH_DIR:-/tmp/modelward-bench/registry}
DURATION=${DURATION:-15s}
CONNS=${CONNS:-64}
rm -rf "$BENCH_DIR" && mkdir -p "$BENCH_DIR"
make -s build
MW="$PWD/bin/modelward"
REPO=$PWD
go build -o "$BENCH_DIR/hashlimit" ./bench/hashlimit
cd "$BENCH_DIR"
"$MW" keygen --output-prefix release >/dev/null
printf 'registry:\n  trusted_keys: [%s/release.pub]\n' "$BENCH_DIR" > policy.yaml
ADMIN=$("$MW" serve --init-admin --data data --policy policy.yaml)
PORT=${PORT:-18470}
MODELWARD_LISTEN=127.0.0.1:$PORT "$MW" serve --data data --policy policy.yaml 2>serve.log &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
export MODELWARD_SERVER=http://127.0.0.1:$PORT
for _ in $(seq 1 50); do curl -fs "$MODELWARD_SERVER/healthz" >/dev/null && break; sleep 0.1; done
export MODELWARD_TOKEN=$ADMIN
PUB=$("$MW" token create --name bench-publisher --role publisher)
VIEW=$("$MW" token create --name bench-viewer --role viewer)

# A small model to read back.
cp -r "$REPO/examples/clean-model" small
"$MW" sign key small --private-key release.key >/dev/null
MODELWARD_TOKEN=$PUB "$MW" model push team/classifier small >/dev/null

echo "== wrk: GET one version, $CONNS connections, $DURATION"
wrk -t2 -c"$CONNS" -d"$DURATION" -H "Authorization: Bearer $VIEW" \
  "$MODELWARD_SERVER/v1/models/team%2Fclassifier/versions/1"
echo "== wrk: list versions"
wrk -t2 -c"$CONNS" -d"$DURATION" -H "Authorization: Bearer $VIEW" \
  "$MODELWARD_SERVER/v1/models/team%2Fclassifier/versions"

# A 1 GB model: four 250 MB random files, pushed and timed, with the
# server's peak memory, beside the single-core hashing speed.
mkdir big
for i in 0 1 2 3; do head -c 250000000 /dev/urandom > "big/model-0000$i.safetensors.bin"; done
"$MW" sign key big --private-key release.key >/dev/null
cat big/* > /dev/null
echo "== hashing limit of the 1 GB model"
./hashlimit big/*.bin
echo "== copying the same bytes into the data folder's page cache, no sync (the least any store does)"
/usr/bin/time -f "copy wall %e s" sh -c 'cat big/*.bin > data/copy-floor'
rm -f data/copy-floor; sync
echo "== storing the same bytes durably: dd conv=fsync of each file (what any store pays)"
sync; mkdir -p ddcopy
/usr/bin/time -f "dd wall %e s" sh -c 'for f in big/*.bin; do dd if="$f" of="ddcopy/${f##*/}" bs=1M conv=fsync status=none; done'
rm -rf ddcopy; sync
echo "== push of the 1 GB model"
/usr/bin/time -f "push wall %e s, client max RSS %M KB" env MODELWARD_TOKEN=$PUB "$MW" model push team/big big --format json >/dev/null
grep VmHWM "/proc/$SERVER/status" | sed 's/^/server /'
kill $SERVER; wait $SERVER 2>/dev/null || true

# The same push into a server whose data folder is in memory (tmpfs):
# no disk, so what is left is hashing and copying, the software's part.
SHM=${SHM:-/dev/shm}
if [ -d "$SHM" ] && [ -w "$SHM" ]; then
  MEM=$(mktemp -d "$SHM/modelward-bench-XXXXXX")
  trap 'kill $SERVER 2>/dev/null || true; rm -rf "$MEM"' EXIT
  ADMIN=$("$MW" serve --init-admin --data "$MEM/data" --policy policy.yaml)
  MODELWARD_LISTEN=127.0.0.1:$PORT "$MW" serve --data "$MEM/data" --policy policy.yaml 2>serve-mem.log &
  SERVER=$!
  for _ in $(seq 1 50); do curl -fs "$MODELWARD_SERVER/healthz" >/dev/null && break; sleep 0.1; done
  PUB=$(MODELWARD_TOKEN=$ADMIN "$MW" token create --name bench-publisher --role publisher 2>/dev/null)
  echo "== in memory ($SHM): copying the same bytes there"
  /usr/bin/time -f "copy wall %e s" sh -c "cat big/*.bin > '$MEM/copy-floor'"
  rm -f "$MEM/copy-floor"
  echo "== in memory ($SHM): push of the 1 GB model"
  /usr/bin/time -f "push wall %e s, client max RSS %M KB" env MODELWARD_TOKEN=$PUB "$MW" model push team/big big --format json >/dev/null
  ./hashlimit big/*.bin
fi
