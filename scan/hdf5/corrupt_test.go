package hdf5

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// summary renders what a walk found, to compare two walks.
func summary(f *File) string {
	return fmt.Sprintf("%+v %+v", f.Objects, f.Links)
}

// A truncated file must give an error, problems, or exactly the full result
// (when the cut only removed bytes the walk never reads).
func TestTruncated(t *testing.T) {
	for _, p := range fixtures(t) {
		b := mustRead(t, p)
		full, err := openBytes(t, b, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < 100; i++ {
			cut := len(b) * i / 100
			f, err := openBytes(t, b[:cut], Limits{})
			if err == nil && len(f.Problems) == 0 && summary(f) != summary(full) {
				t.Errorf("%s cut at %d: silently different result", p, cut)
			}
		}
	}
}

// Random overwrites must never panic and must keep results within limits.
func TestCorruptBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	lim := Limits{MaxObjects: 500}
	for _, p := range fixtures(t) {
		orig := mustRead(t, p)
		for range 300 {
			b := append([]byte(nil), orig...)
			for range 1 + rng.IntN(4) {
				at := rng.IntN(len(b))
				for k := 0; k < 1+rng.IntN(8) && at+k < len(b); k++ {
					b[at+k] = []byte{0xFF, 0, byte(rng.Uint32())}[rng.IntN(3)]
				}
			}
			f, err := openBytes(t, b, lim)
			if err == nil && (len(f.Objects) == 0 || len(f.Objects) > lim.MaxObjects || f.Objects[0].Path != "/") {
				t.Fatalf("%s: %d objects", p, len(f.Objects))
			}
		}
	}
}

// rootV1 returns the root object header address of a version 0 superblock
// with 8-byte offsets (the h5py default).
func rootV1(t *testing.T, b []byte) int {
	t.Helper()
	if b[8] != 0 || b[13] != 8 {
		t.Fatal("fixture does not have a version 0 superblock with 8-byte offsets")
	}
	return int(binary.LittleEndian.Uint64(b[64:]))
}

// findMessageV1 returns the offset of the first message of type typ in the
// first chunk of the version 1 object header at addr.
func findMessageV1(t *testing.T, b []byte, addr int, typ uint16) int {
	t.Helper()
	end := addr + 16 + int(binary.LittleEndian.Uint32(b[addr+8:]))
	for at := addr + 16; at+8 <= end; {
		if binary.LittleEndian.Uint16(b[at:]) == typ {
			return at
		}
		at += 8 + pad8(int(binary.LittleEndian.Uint16(b[at+2:])))
	}
	t.Fatalf("no message of type %#x", typ)
	return 0
}

func hasProblem(f *File, sub string) bool {
	for _, p := range f.Problems {
		if strings.Contains(p, sub) {
			return true
		}
	}
	return false
}

// A continuation message pointing back at the first chunk is a loop.
func TestContinuationLoop(t *testing.T) {
	b := mustRead(t, "testdata/keras2.h5")
	root := rootV1(t, b)
	at := findMessageV1(t, b, root, msgContinuation)
	binary.LittleEndian.PutUint64(b[at+8:], uint64(root+16))
	binary.LittleEndian.PutUint64(b[at+16:], uint64(binary.LittleEndian.Uint32(b[root+8:])))
	f, err := openBytes(t, b, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !hasProblem(f, "loop") {
		t.Errorf("no loop problem: %q", f.Problems)
	}
}

// Huge declared lengths give problems without huge allocations.
func TestHugeLengths(t *testing.T) {
	cases := map[string]func(b []byte){
		"object header chunk of": func(b []byte) {
			binary.LittleEndian.PutUint32(b[rootV1(t, b)+8:], 0xFFFFFFF0)
		},
		"declares 4611686018427387904 bytes": func(b []byte) {
			at := strings.Index(string(b), "GCOL")
			binary.LittleEndian.PutUint64(b[at+8:], 1<<62)
		},
		"element count overflows": func(b []byte) {
			body := strings.Index(string(b), "layer_names\x00") - 8 // a v1 Attribute message
			name := pad8(int(binary.LittleEndian.Uint16(b[body+2:])))
			dt := pad8(int(binary.LittleEndian.Uint16(b[body+4:])))
			binary.LittleEndian.PutUint64(b[body+8+name+dt+8:], 1<<61)
		},
		"limit: object /model_weights: attribute \"layer_names\" holds 1099511627776 elements": func(b []byte) {
			body := strings.Index(string(b), "layer_names\x00") - 8
			name := pad8(int(binary.LittleEndian.Uint16(b[body+2:])))
			dt := pad8(int(binary.LittleEndian.Uint16(b[body+4:])))
			binary.LittleEndian.PutUint64(b[body+8+name+dt+8:], 1<<40)
		},
	}
	for name, patch := range cases {
		t.Run(name, func(t *testing.T) {
			b := mustRead(t, "testdata/keras3_legacy.h5")
			patch(b)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			f, err := openBytes(t, b, Limits{})
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatal(err)
			}
			if !hasProblem(f, name) {
				t.Errorf("problems %q lack %q", f.Problems, name)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
				t.Errorf("allocated %d bytes", grew)
			}
		})
	}
}

// The read budget stops a walk whose structures make it reread the file.
func TestReadBudget(t *testing.T) {
	b := mustRead(t, "testdata/oldstyle.h5")
	rd := &reader{r: strings.NewReader(string(b)), size: int64(len(b)), budget: 4096}
	sb, err := findSuperblock(rd)
	if err != nil {
		t.Fatal(err)
	}
	w := newWalker(rd, Limits{}.withDefaults())
	w.walkRoot(sb.root)
	if !hasLimit(w.file) || !hasProblem(w.file, "read budget") {
		t.Errorf("problems %q", w.file.Problems)
	}
}
