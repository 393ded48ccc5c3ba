#!/usr/bin/env bash
# Signing and verification speed on a 10 GB model from the page cache,
# beside this machine's hashing limit (cores x single-core crypto/sha256,
# measured by bench/hashlimit in the same run) and sha256sum. Prints
# Markdown rows for docs/benchmarks.md.
#
#   bash bench/sign.sh              # from the repository root
#
# Needs hyperfine, about 20 GB free under $BENCH_DIR (default
# /tmp/modelward-bench/sign) and enough memory to keep 10 GB cached.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DIR=${BENCH_DIR:-/tmp/modelward-bench/sign}
RUNS=${RUNS:-3}
mkdir -p "$BENCH_DIR/four" "$BENCH_DIR/one"
make -s build
MW="$PWD/bin/modelward"
go build -o "$BENCH_DIR/hashlimit" ./bench/hashlimit

# A 10 GB model as four 2.5 GB files (as safetensors shards are), and the
# same bytes as one file. Random bytes: nothing can shortcut them.
for i in 0 1 2 3; do
  f="$BENCH_DIR/four/model-0000$i-of-00004.safetensors"
  [ -f "$f" ] || head -c 2500000000 /dev/urandom > "$f"
done
[ -f "$BENCH_DIR/one/model.bin" ] || cat "$BENCH_DIR"/four/*.safetensors > "$BENCH_DIR/one/model.bin"
cd "$BENCH_DIR"
[ -f k.key ] || "$MW" keygen --output-prefix k >/dev/null
[ -f h.key ] || "$MW" keygen --algorithm hybrid-p256-ml-dsa-65 --output-prefix h >/dev/null
# Each group runs with its files in the page cache (20 GB of inputs may
# not fit at once; --prepare re-reads them, untimed, before every run).
limit() { ./hashlimit -hash "$1" "${@:2}"; }
cat four/* > /dev/null
echo "hashing limit (four files):  $(limit sha256 four/*)"
cat one/* > /dev/null
echo "hashing limit (one file):    $(limit sha256 one/model.bin)"
echo "blake3 limit (one file):     $(limit blake3 one/model.bin)"

"$MW" sign key four --private-key k.key --signature four.sig >/dev/null
"$MW" sign key four --private-key h.key --signature four-hybrid.sig >/dev/null
"$MW" sign key one --private-key k.key --signature one-shards.sig --shard-size 1000000000 >/dev/null
"$MW" sign key one --private-key k.key --signature one-blake3.sig --hash-algorithm blake3 >/dev/null
"$MW" sign key one --private-key k.key --signature one-files.sig >/dev/null

hyperfine --style basic --runs "$RUNS" --prepare "cat four/* >/dev/null" --export-markdown four.md \
  -n "sha256sum, four files (one core)" "sha256sum four/* >/dev/null" \
  -n "modelward digest, four files" "$MW digest four >/dev/null" \
  -n "modelward sign key, four files" "$MW sign key four --private-key k.key --signature /tmp/mw-bench.sig >/dev/null" \
  -n "modelward verify key, four files" "$MW verify key four --public-key k.pub --signature four.sig >/dev/null" \
  -n "modelward verify key, hybrid, four files" "$MW verify key four --public-key h.pub --signature four-hybrid.sig >/dev/null"
hyperfine --style basic --runs "$RUNS" --prepare "cat one/model.bin >/dev/null" --export-markdown one.md \
  -n "modelward verify key, one file, 1 GB shards" "$MW verify key one --public-key k.pub --signature one-shards.sig >/dev/null" \
  -n "modelward verify key, one file, blake3 files" "$MW verify key one --public-key k.pub --signature one-blake3.sig >/dev/null" \
  -n "modelward verify key, one file, sha256 files" "$MW verify key one --public-key k.pub --signature one-files.sig >/dev/null"
cat four.md one.md
