package zipx

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// member is one file to put in a test archive.
type member struct {
	name   string
	data   []byte
	method uint16
}

// build writes members with archive/zip, which uses data descriptors
// (flag 0x8) for every member, as PyTorch does.
func build(t testing.TB, members ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	w.RegisterCompressor(methodZstd, func(w io.Writer) (io.WriteCloser, error) { return zstd.NewWriter(w) })
	for _, m := range members {
		f, err := w.CreateHeader(&zip.FileHeader{Name: m.name, Method: m.method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(m.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// buildRaw writes one member whose header fields and bytes are given as is,
// without a data descriptor.
func buildRaw(t testing.TB, fh zip.FileHeader, raw []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	f, err := w.CreateRaw(&fh)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func open(t testing.TB, b []byte, lim Limits) *Archive {
	t.Helper()
	a, err := Open(bytes.NewReader(b), int64(len(b)), lim)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return a
}

// readEntry reads a member fully.
func readEntry(a *Archive, e *Entry) ([]byte, error) {
	r, err := a.Open(e)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// mustRead reads the member called name and fails the test on error.
func mustRead(t testing.TB, a *Archive, name string) []byte {
	t.Helper()
	e := find(t, a, name)
	b, err := readEntry(a, e)
	if err != nil {
		t.Fatalf("reading %s: %v", name, err)
	}
	return b
}

func find(t testing.TB, a *Archive, name string) *Entry {
	t.Helper()
	for i := range a.Entries {
		if a.Entries[i].Name == name {
			return &a.Entries[i]
		}
	}
	t.Fatalf("no member %q among %d", name, len(a.Entries))
	return nil
}

func hasAnomaly(a *Archive, kind AnomalyKind) bool {
	for _, an := range a.Anomalies() {
		if an.Kind == kind {
			return true
		}
	}
	return false
}

func wantAnomaly(t testing.TB, a *Archive, kind AnomalyKind) {
	t.Helper()
	if !hasAnomaly(a, kind) {
		t.Errorf("no %s anomaly; got %v", kind, a.Anomalies())
	}
}

func wantNoAnomalies(t testing.TB, a *Archive) {
	t.Helper()
	if an := a.Anomalies(); len(an) > 0 {
		t.Errorf("unexpected anomalies: %v", an)
	}
}

func wantErr(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error %v, want %v", err, target)
	}
}

// sigs returns the offsets of every occurrence of a record signature.
func sigs(b []byte, sig uint32) []int {
	var s [4]byte
	binary.LittleEndian.PutUint32(s[:], sig)
	var out []int
	for i := 0; ; i++ {
		j := bytes.Index(b[i:], s[:])
		if j < 0 {
			return out
		}
		i += j
		out = append(out, i)
	}
}

func put16(b []byte, off int, v uint16) { binary.LittleEndian.PutUint16(b[off:], v) }
func put32(b []byte, off int, v uint32) { binary.LittleEndian.PutUint32(b[off:], v) }

// setFlags sets flag bits in every local and central header.
func setFlags(b []byte, bits uint16) {
	for _, o := range sigs(b, sigLocal) {
		put16(b, o+6, binary.LittleEndian.Uint16(b[o+6:])|bits)
	}
	for _, o := range sigs(b, sigCentral) {
		put16(b, o+8, binary.LittleEndian.Uint16(b[o+8:])|bits)
	}
}

// zeroPrefix is an io.ReaderAt that shows n zero bytes followed by tail,
// to test offsets past 4 GiB without a file that big.
type zeroPrefix struct {
	n    int64
	tail []byte
}

func (z zeroPrefix) size() int64 { return z.n + int64(len(z.tail)) }

func (z zeroPrefix) ReadAt(p []byte, off int64) (int, error) {
	read := 0
	for read < len(p) {
		o := off + int64(read)
		switch {
		case o >= z.size():
			return read, io.EOF
		case o < z.n:
			k := min(int64(len(p)-read), z.n-o)
			clear(p[read : read+int(k)])
			read += int(k)
		default:
			read += copy(p[read:], z.tail[o-z.n:])
		}
	}
	return read, nil
}
