#!/usr/bin/env bash
# Side-by-side benchmark: modelward against the opcode walk Python pickle
# scanners are built on (pickletools.genops, see genops_baseline.py), on the
# same inputs in the same run. Prints Markdown rows for docs/benchmarks.md.
#
#   bash bench/compare.sh            # from the repository root
#
# Needs hyperfine and /usr/bin/time (Debian packages hyperfine, time) and
# /usr/bin/python3. Inputs are built under $BENCH_DIR (default /tmp/modelward-bench);
# the 5 GiB archive needs that much free disk.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DIR=${BENCH_DIR:-/tmp/modelward-bench}
BIG=${BIG:-5GiB}
mkdir -p "$BENCH_DIR"
make -s build
MW="$PWD/bin/modelward"
corpus=testdata/corpus/benign

# Inputs: the two opcode-dense pickles, the same state dict as a torch zip,
# and one pickle in a 5 MiB and a $BIG archive.
[ -f "$BENCH_DIR/list_2m.pkl" ] || gunzip -c "$corpus/pickle/list_2m.pkl.gz" > "$BENCH_DIR/list_2m.pkl"
cp -f "$corpus/torch/state_dict_20k.pt" "$BENCH_DIR/state_dict_20k.pt"
[ -f "$BENCH_DIR/state_dict_20k.pkl" ] || unzip -p "$corpus/torch/state_dict_20k.pt" state_dict_20k/data.pkl > "$BENCH_DIR/state_dict_20k.pkl"
[ -f "$BENCH_DIR/small.pt" ] || go run ./bench/bigzip -from "$corpus/torch/state_dict_float32.pt" -size 5MiB -o "$BENCH_DIR/small.pt"
[ -f "$BENCH_DIR/big.pt" ] || go run ./bench/bigzip -from "$corpus/torch/state_dict_float32.pt" -size "$BIG" -o "$BENCH_DIR/big.pt"

# A 10 GiB safetensors file (sparse): only its header is read.
[ -f "$BENCH_DIR/big.safetensors" ] || /usr/bin/python3 - "$BENCH_DIR/big.safetensors" <<'PY'
import json, struct, sys
n = 10 << 30
h = json.dumps({"__metadata__": {"format": "pt"}, "w": {"dtype": "U8", "shape": [n], "data_offsets": [0, n]}}).encode()
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h)
    f.truncate(8 + len(h) + n)
PY
echo "| input | size | modelward | genops baseline | modelward peak RSS |"
echo "|---|---|---|---|---|"
for f in list_2m.pkl state_dict_20k.pkl state_dict_20k.pt small.pt big.pt; do
  p="$BENCH_DIR/$f"
  size=$(du -h --apparent-size "$p" | cut -f1)
  hyperfine -N --warmup 1 --runs 5 --export-json "$BENCH_DIR/$f.json" \
    "$MW scan --no-progress -f json -o /dev/null $p" \
    "/usr/bin/python3 bench/genops_baseline.py $p" >/dev/null 2>&1 || true
  mw=$(python3 -c "import json;r=json.load(open('$BENCH_DIR/$f.json'))['results'];print('%.1f ms' % (r[0]['mean']*1000))")
  py=$(python3 -c "import json;r=json.load(open('$BENCH_DIR/$f.json'))['results'];print('%.1f ms' % (r[1]['mean']*1000))")
  rss=$( { /usr/bin/time -f "%M" "$MW" scan --no-progress -f json -o /dev/null "$p" >/dev/null; } 2>&1 | tail -1)
  echo "| $f | $size | $mw | $py | $((rss / 1024)) MiB |"
done

# The safetensors header check: the genops walk has nothing to say here.
p="$BENCH_DIR/big.safetensors"
hyperfine -N --warmup 1 --runs 10 --export-json "$BENCH_DIR/st.json" "$MW scan --no-progress -f json -o /dev/null $p" >/dev/null 2>&1
st=$(python3 -c "import json;r=json.load(open('$BENCH_DIR/st.json'))['results'];print('%.1f ms' % (r[0]['mean']*1000))")
rss=$( { /usr/bin/time -f "%M" "$MW" scan --no-progress -f json -o /dev/null "$p" >/dev/null; } 2>&1 | tail -1)
echo "| big.safetensors (sparse) | $(du -h --apparent-size "$p" | cut -f1) | $st | n/a | $((rss / 1024)) MiB |"

# A 10 GiB GGUF file (sparse), written to the GGUF specification: only the
# header, metadata and tensor infos are read.
[ -f "$BENCH_DIR/big.gguf" ] || /usr/bin/python3 - "$BENCH_DIR/big.gguf" <<'PY'
import struct, sys
def s(x): return struct.pack("<Q", len(x)) + x
n = (10 << 30) // 4  # F32 elements
kv = s(b"general.architecture") + struct.pack("<I", 8) + s(b"llama")
kv += s(b"general.alignment") + struct.pack("<II", 4, 32)
head = b"GGUF" + struct.pack("<IQQ", 3, 1, 2) + kv
head += s(b"w") + struct.pack("<IQIQ", 1, n, 0, 0)
head += b"\0" * (-len(head) % 32)
with open(sys.argv[1], "wb") as f:
    f.write(head)
    f.truncate(len(head) + 4 * n)
PY
p="$BENCH_DIR/big.gguf"
hyperfine -N --warmup 1 --runs 10 --export-json "$BENCH_DIR/gguf.json" "$MW scan --no-progress -f json -o /dev/null $p" >/dev/null 2>&1
gg=$(python3 -c "import json;r=json.load(open('$BENCH_DIR/gguf.json'))['results'];print('%.1f ms' % (r[0]['mean']*1000))")
rss=$( { /usr/bin/time -f "%M" "$MW" scan --no-progress -f json -o /dev/null "$p" >/dev/null; } 2>&1 | tail -1)
echo "| big.gguf (sparse) | $(du -h --apparent-size "$p" | cut -f1) | $gg | n/a | $((rss / 1024)) MiB |"

# A directory of 1,000 small model files of every format with a fixture:
# pickles, PyTorch, joblib, safetensors, GGUF, ONNX, Keras .h5 and .keras,
# TensorFlow, chat templates. Every file is checked, none is large, so the
# run measures dispatch and parallelism rather than one big file.
small="$BENCH_DIR/small1000"
if [ ! -d "$small" ]; then
  mkdir -p "$small"
  mapfile -t pool < <(ls testdata/corpus/benign/*/* scan/safetensors/testdata/benign/* scan/gguf/testdata/benign/* \
    scan/onnx/testdata/benign/*.onnx testdata/keras/benign/* scan/tensorflow/testdata/benign/* scan/jinja/testdata/benign/* | sort)
  for i in $(seq 0 999); do
    f=${pool[$((i % ${#pool[@]}))]}
    d="$small/$((i / 100))/$i"
    mkdir -p "$d"
    cp "$f" "$d/$(basename "$f")"
  done
fi
echo
echo "| directory | workers | wall | cores busy | peak RSS |"
echo "|---|---|---|---|---|"
for j in 1 $(nproc); do
  read -r wall user sys rss < <( { /usr/bin/time -f "%e %U %S %M" "$MW" scan -j "$j" --no-progress -f json -o /dev/null "$small" >/dev/null; } 2>&1 | tail -1)
  python3 -c "print('| %d small files of every format, %s | %d | %.2f s | %.2f of %s | %d MiB |' % ($(find "$small" -type f | wc -l), '$(du -sh "$small" | cut -f1)', $j, $wall, ($user+$sys)/max($wall,1e-9), '$(nproc)', $rss//1024))"
done

# A directory of many files: 240 copies of six mid-sized benign models.
# CPU time over wall time shows how many cores the worker pool keeps busy;
# one worker against all of them shows what the pool buys.
many="$BENCH_DIR/many"
if [ ! -d "$many" ]; then
  mkdir -p "$many"
  for i in $(seq 1 40); do
    for f in torch/full_module_legacy.pt torch/checkpoint_full.pt torch/torchscript_traced.pt \
             sklearn/random_forest.p3.pkl sklearn/gradient_boosting.gzip.joblib sklearn/mlp.joblib; do
      cp "$corpus/$f" "$many/$i-$(basename "$f")"
    done
  done
fi
for j in 1 $(nproc); do
  read -r wall user sys rss < <( { /usr/bin/time -f "%e %U %S %M" "$MW" scan -j "$j" --no-progress -f json -o /dev/null "$many" >/dev/null; } 2>&1 | tail -1)
  python3 -c "print('| %d files, %s | %d | %.2f s | %.2f of %s | %d MiB |' % ($(ls "$many" | wc -l), '$(du -sh "$many" | cut -f1)', $j, $wall, ($user+$sys)/max($wall,1e-9), '$(nproc)', $rss//1024))"
done
