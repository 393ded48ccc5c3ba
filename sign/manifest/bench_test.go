package manifest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"lukechampine.com/blake3"
)

// benchSize is the model size for hashing benchmarks; set
// MODELWARD_BENCH_BYTES to measure another size.
func benchSize(b *testing.B) int64 {
	if v := os.Getenv("MODELWARD_BENCH_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			b.Fatalf("MODELWARD_BENCH_BYTES=%q", v)
		}
		return n
	}
	return 1 << 30
}

// writeBenchFile writes size pseudo-random bytes (so no layer can shortcut
// repeated content) and reads them once so they sit in the page cache.
func writeBenchFile(b *testing.B, p string, size int64) {
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	x := uint64(0x9e3779b97f4a7c15)
	for w := int64(0); w < size; {
		for i := 0; i+8 <= len(buf); i += 8 {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			for k := 0; k < 8; k++ {
				buf[i+k] = byte(x >> (8 * k))
			}
		}
		n := min(int64(len(buf)), size-w)
		if _, err := f.Write(buf[:n]); err != nil {
			b.Fatal(err)
		}
		w += n
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	warm(b, p)
}

func warm(b *testing.B, p string) {
	f, err := os.Open(p)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(io.Discard, f); err != nil {
		b.Fatal(err)
	}
}

// oneCore hashes the file on one goroutine with ReadAt and a 1 MiB buffer:
// the single-core speed the machine's hashing limit is built from.
func oneCore(b *testing.B, p string, h func() interface {
	io.Writer
	Sum([]byte) []byte
}) {
	f, err := os.Open(p)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	s := h()
	for off := int64(0); ; {
		n, err := f.ReadAt(buf, off)
		s.Write(buf[:n])
		off += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	s.Sum(nil)
}

// BenchmarkHashing measures, in one run, the single-core speed of
// crypto/sha256 from the page cache (the limit is GOMAXPROCS times it) and
// modelward's hashing of one large file and of a four-file model. Compare
// MB/s: shards/sha256 and files/4-files/sha256 against
// GOMAXPROCS x limit/sha256-1-core; files/blake3 against GOMAXPROCS x
// limit/blake3-1-core.
func BenchmarkHashing(b *testing.B) {
	size := benchSize(b)
	dir := b.TempDir()
	big := filepath.Join(dir, "one", "model.bin")
	if err := os.MkdirAll(filepath.Dir(big), 0o755); err != nil {
		b.Fatal(err)
	}
	writeBenchFile(b, big, size)
	four := filepath.Join(dir, "four")
	if err := os.MkdirAll(four, 0o755); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		writeBenchFile(b, filepath.Join(four, fmt.Sprintf("model-%d.safetensors", i)), size/4)
	}
	b.Logf("GOMAXPROCS=%d size=%d", runtime.GOMAXPROCS(0), size)

	run := func(name string, fn func(b *testing.B)) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				fn(b)
			}
		})
	}
	build := func(root string, opt Options) func(b *testing.B) {
		return func(b *testing.B) {
			if _, err := Build(context.Background(), root, opt); err != nil {
				b.Fatal(err)
			}
		}
	}
	run("limit/sha256-1-core", func(b *testing.B) {
		oneCore(b, big, func() interface {
			io.Writer
			Sum([]byte) []byte
		} {
			return sha256.New()
		})
	})
	run("shards/sha256/1-file", build(big, Options{Method: MethodShards, ShardSize: 64 << 20}))
	run("shards/sha256-1GB/4-files", build(four, Options{Method: MethodShards}))
	run("files/sha256/4-files", build(four, Options{}))
	run("files/sha256/1-file", build(big, Options{}))
	run("limit/blake3-1-core", func(b *testing.B) {
		oneCore(b, big, func() interface {
			io.Writer
			Sum([]byte) []byte
		} {
			return blake3.New(32, nil)
		})
	})
	run("files/blake3/1-file", build(big, Options{HashType: HashBLAKE3}))
	run("files/blake2b/4-files", build(four, Options{HashType: HashBLAKE2b}))
}
