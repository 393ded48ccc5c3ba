package zipx

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// methodsManifest is testdata/methods/manifest.json, written by
// testdata/gen_methods.py: each member as Python's zipfile reads it.
type methodsManifest map[string]map[string]struct {
	Method uint16
	Flags  uint16
	Size   int64
	SHA256 string
}

func readMethodsManifest(t *testing.T) methodsManifest {
	t.Helper()
	b, err := os.ReadFile("testdata/methods/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var m methodsManifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func openFile(t *testing.T, path string, lim Limits) *Archive {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return open(t, b, lim)
}

// TestPythonMethods reads the bzip2 and LZMA archives Python's zipfile
// wrote, with and without data descriptors, and checks every member
// against what zipfile itself reads; the archives must raise no anomaly.
func TestPythonMethods(t *testing.T) {
	for file, members := range readMethodsManifest(t) {
		if bytes.Contains([]byte(file), []byte("bomb")) {
			continue
		}
		t.Run(file, func(t *testing.T) {
			a := openFile(t, filepath.Join("testdata/methods", file), Limits{})
			if len(a.Entries) != len(members) {
				t.Fatalf("%d members, want %d", len(a.Entries), len(members))
			}
			for i := range a.Entries {
				e := &a.Entries[i]
				want, ok := members[e.Name]
				if !ok {
					t.Fatalf("unexpected member %q", e.Name)
				}
				if e.Method != want.Method || e.Flags != want.Flags {
					t.Errorf("%s: method %d flags %#x, want %d %#x", e.Name, e.Method, e.Flags, want.Method, want.Flags)
				}
				got := mustRead(t, a, e.Name)
				sum := sha256.Sum256(got)
				if int64(len(got)) != want.Size || hex.EncodeToString(sum[:]) != want.SHA256 {
					t.Errorf("%s: read %d bytes (sha256 %x), zipfile reads %d (%s)", e.Name, len(got), sum, want.Size, want.SHA256)
				}
			}
			wantNoAnomalies(t, a)
		})
	}
}

// TestMethodBombs: 32 MiB of zeros from about 100 bytes (bzip2) or 5 KB
// (LZMA) trips the ratio limit; with a loose ratio, MaxEntryBytes.
func TestMethodBombs(t *testing.T) {
	for _, file := range []string{"bzip2_bomb.zip", "lzma_bomb.zip"} {
		t.Run(file, func(t *testing.T) {
			path := filepath.Join("testdata/methods", file)
			a := openFile(t, path, Limits{})
			_, err := readEntry(a, &a.Entries[0])
			wantErr(t, err, ErrRatio)
			wantErr(t, err, ErrLimit)

			a = openFile(t, path, Limits{MaxEntryBytes: 1 << 20, MaxRatio: 1 << 40})
			_, err = readEntry(a, &a.Entries[0])
			wantErr(t, err, ErrLimit)
			if errors.Is(err, ErrRatio) {
				t.Errorf("MaxEntryBytes reported as a ratio: %v", err)
			}
		})
	}
}

// rawMember returns the compressed data of the member called name in a
// fixture, and its entry.
func rawMember(t *testing.T, file, name string) ([]byte, Entry) {
	t.Helper()
	a := openFile(t, filepath.Join("testdata/methods", file), Limits{})
	e := find(t, a, name)
	raw := make([]byte, e.CompressedSize)
	if err := a.readAt(raw, e.DataOffset); err != nil {
		t.Fatal(err)
	}
	return raw, *e
}

// rawArchive puts raw data in a one-member archive with e's method, flags,
// CRC and uncompressed size, and returns the opened archive.
func rawArchive(t *testing.T, e Entry, raw []byte) *Archive {
	t.Helper()
	fh := zip.FileHeader{Name: e.Name, Method: e.Method, Flags: e.Flags, CRC32: e.CRC32,
		CompressedSize64: uint64(len(raw)), UncompressedSize64: e.UncompressedSize}
	return open(t, buildRaw(t, fh, raw), Limits{})
}

// TestMethodTruncated: a member whose compressed data stops early, with
// headers that agree, fails with io.ErrUnexpectedEOF; so does one whose
// data the file cuts short.
func TestMethodTruncated(t *testing.T) {
	for _, file := range []string{"bzip2.zip", "lzma.zip"} {
		raw, e := rawMember(t, file, "counting.bin")
		cuts := []int{len(raw) / 2, len(raw) - 1, 3}
		if e.Method == methodLZMA {
			cuts = append(cuts, 9, 11) // inside the prefix, the range coder's start
		}
		for _, n := range cuts {
			a := rawArchive(t, e, raw[:n])
			_, err := readEntry(a, &a.Entries[0])
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("%s cut to %d of %d bytes: error %v, want io.ErrUnexpectedEOF", file, n, len(raw), err)
			}
		}
		b, err := os.ReadFile(filepath.Join("testdata/methods", file))
		if err != nil {
			t.Fatal(err)
		}
		b = b[:e.DataOffset+int64(len(raw)/2)]
		a, err := Open(bytes.NewReader(b), int64(len(b)), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = readEntry(a, find(t, a, "counting.bin"))
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%s cut inside counting.bin: error %v, want io.ErrUnexpectedEOF", file, err)
		}
	}
}

// TestLZMAWithoutEOSFlag: with general-purpose bit 1 clear the declared
// size bounds the stream; Python's stream (which has the marker anyway)
// still reads, and a wrong declared size is an error.
func TestLZMAWithoutEOSFlag(t *testing.T) {
	raw, e := rawMember(t, "lzma.zip", "text.txt")
	want := bytes.Repeat([]byte("modelward bzip2 and LZMA zip members\n"), 500)
	e.Flags &^= flagLZMAEOS
	a := rawArchive(t, e, raw)
	if got := mustRead(t, a, e.Name); !bytes.Equal(got, want) {
		t.Errorf("read %d bytes, want %d", len(got), len(want))
	}
	wantNoAnomalies(t, a)

	e.UncompressedSize -= 100
	a = rawArchive(t, e, raw)
	if _, err := readEntry(a, &a.Entries[0]); err == nil {
		t.Error("a stream longer than its declared size read without error")
	}
}

// TestLZMADictionary: the header's dictionary size is lowered to what the
// member can produce, so 4 GiB asked by a small member costs little; a
// member that could still use more than maxLZMADict is refused.
func TestLZMADictionary(t *testing.T) {
	raw, e := rawMember(t, "lzma.zip", "counting.bin")
	binary.LittleEndian.PutUint32(raw[5:], 0xffffffff)
	a := rawArchive(t, e, raw)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	got := mustRead(t, a, e.Name)
	runtime.ReadMemStats(&after)
	if int64(len(got)) != int64(e.UncompressedSize) || crc32.ChecksumIEEE(got) != e.CRC32 {
		t.Errorf("read %d bytes with CRC %08x, want %d with %08x", len(got), crc32.ChecksumIEEE(got), e.UncompressedSize, e.CRC32)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 16<<20 {
		t.Errorf("reading a %d-byte member with a 4 GiB dictionary allocated %d bytes", len(got), n)
	}
	wantNoAnomalies(t, a)

	// 64 KB of data declaring 1 GiB: the reader would take up to 128 MB,
	// so a 4 GiB (or a 100 MiB) dictionary cannot be lowered below 64 MiB.
	for _, dict := range []uint32{0xffffffff, 100 << 20} {
		huge := make([]byte, 64<<10)
		copy(huge, []byte{0x09, 0x14, 0x05, 0x00, 0x5d})
		binary.LittleEndian.PutUint32(huge[5:], dict)
		e := Entry{Name: "huge", Method: methodLZMA, Flags: flagLZMAEOS, UncompressedSize: 1 << 30}
		a = rawArchive(t, e, huge)
		_, err := readEntry(a, &a.Entries[0])
		wantErr(t, err, ErrLimit)
		if errors.Is(err, ErrRatio) {
			t.Errorf("dictionary %d: refusal reported as a ratio: %v", dict, err)
		}
	}

	// A properties size other than 5 is corrupt data, not a panic.
	bad := bytes.Clone(raw)
	bad[2] = 6
	a = rawArchive(t, e, bad)
	if _, err := readEntry(a, &a.Entries[0]); err == nil || errors.Is(err, ErrLimit) || errors.Is(err, ErrUnsupportedMethod) {
		t.Errorf("properties size 6: error %v, want a read error", err)
	}
}
