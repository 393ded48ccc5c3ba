package zipx

import (
	"archive/zip"
	"bytes"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"testing"
)

const bigMember = 1 << 30

// writeLargeZip writes a zip holding a 1 GiB stored member of zeros followed
// by a small pickle. The big member is a hole in a sparse file, so the
// fixture costs neither disk space nor much time.
func writeLargeZip(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := zip.NewWriter(holeWriter{f})
	big, err := w.CreateRaw(&zip.FileHeader{Name: "archive/data/0", Method: zip.Store,
		CRC32: zerosCRC(bigMember), CompressedSize64: bigMember, UncompressedSize64: bigMember})
	if err != nil {
		return err
	}
	if _, err := io.CopyN(big, zeroReader{}, bigMember); err != nil {
		return err
	}
	small, err := w.Create("archive/data.pkl")
	if err != nil {
		return err
	}
	if _, err := small.Write(bytes.Repeat(pickle, 1000)); err != nil {
		return err
	}
	return w.Close()
}

// holeWriter turns large all-zero writes into seeks, leaving holes.
type holeWriter struct{ f *os.File }

func (h holeWriter) Write(p []byte) (int, error) {
	if len(p) >= 64<<10 && allZero(p) {
		if _, err := h.f.Seek(int64(len(p)), io.SeekCurrent); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return h.f.Write(p)
}

func allZero(p []byte) bool {
	for _, c := range p {
		if c != 0 {
			return false
		}
	}
	return true
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func zerosCRC(n int64) uint32 {
	buf := make([]byte, 1<<20)
	var crc uint32
	for ; n > 0; n -= int64(len(buf)) {
		crc = crc32.Update(crc, crc32.IEEETable, buf[:min(n, int64(len(buf)))])
	}
	return crc
}

// BenchmarkOpenLarge opens a 1 GiB archive and reads its small pickle
// member: the cost must not depend on the big member.
func BenchmarkOpenLarge(b *testing.B) {
	path := filepath.Join(b.TempDir(), "large.zip")
	if err := writeLargeZip(path); err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		a, err := Open(f, st.Size(), Limits{})
		if err != nil {
			b.Fatal(err)
		}
		data := a.Entries[1]
		r, err := a.Open(&data)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, r)
		r.Close()
		if err != nil || n != int64(len(pickle)*1000) {
			b.Fatalf("read %d bytes: %v", n, err)
		}
	}
	a, err := Open(f, st.Size(), Limits{})
	if err != nil || len(a.Anomalies()) != 0 {
		b.Errorf("benchmark archive: %v, anomalies %v", err, a.Anomalies())
	}
}
