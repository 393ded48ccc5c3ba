package zipx

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpen opens arbitrary bytes as an archive and reads every member fully
// under small limits. It must never panic or hang.
func FuzzOpen(f *testing.F) {
	f.Add(torchLike(f))
	f.Add(build(f, member{name: "z", data: tensor, method: methodZstd}))
	full := torchLike(f)
	f.Add(full[:sigs(full, sigCentral)[0]])
	flagged := bytes.Clone(full)
	setFlags(flagged, flagEncrypted|0x20)
	f.Add(flagged)
	f.Add(buildRaw(f, zip.FileHeader{Name: "e", Method: zip.Store, Flags: flagEncrypted, CompressedSize64: 14, UncompressedSize64: 2}, []byte("0123456789abcd")))
	seeds, _ := filepath.Glob("testdata/picklescan/*")
	redteam, _ := filepath.Glob("testdata/redteam/*")
	methods, _ := filepath.Glob("testdata/methods/*.zip")
	seeds = append(append(seeds, redteam...), methods...)
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil && IsZip(b) {
			f.Add(b)
		}
	}
	lim := Limits{MaxEntries: 64, MaxEntryBytes: 1 << 20, MaxRatio: 100}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := Open(bytes.NewReader(b), int64(len(b)), lim)
		if err != nil {
			return
		}
		for i := range a.Entries {
			r, err := a.Open(&a.Entries[i])
			if err != nil {
				continue
			}
			n, _ := io.Copy(io.Discard, r)
			r.Close()
			if n > lim.MaxEntryBytes {
				t.Fatalf("%s: read %d bytes past the %d-byte limit", a.Entries[i].Name, n, lim.MaxEntryBytes)
			}
		}
		_ = a.Anomalies()
	})
}

// TestByteMutations sets each byte of small archives to a few telling
// values, then opens and reads the result: a deterministic sweep of what the
// fuzzer finds slowly.
func TestByteMutations(t *testing.T) {
	lim := Limits{MaxEntries: 64, MaxEntryBytes: 1 << 20, MaxRatio: 100}
	full := torchLike(t)
	for _, orig := range [][]byte{full, full[:sigs(full, sigCentral)[0]]} {
		for i := range orig {
			for _, v := range []byte{0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, orig[i] + 1, orig[i] - 1} {
				b := bytes.Clone(orig)
				b[i] = v
				a, err := Open(bytes.NewReader(b), int64(len(b)), lim)
				if err != nil {
					continue
				}
				for j := range a.Entries {
					if r, err := a.Open(&a.Entries[j]); err == nil {
						io.Copy(io.Discard, r)
						r.Close()
					}
				}
			}
		}
	}
}
