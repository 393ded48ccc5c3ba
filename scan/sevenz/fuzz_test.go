package sevenz

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpen opens arbitrary bytes as a 7z archive and reads every member
// fully under small limits. It must never panic, hang or exhaust memory.
func FuzzOpen(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.7z")
	more, _ := filepath.Glob("testdata/picklescan/*.7z")
	for _, p := range append(seeds, more...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add(archive([]byte{idHeader, idFilesInfo, 1, idName, 5, 0, 'a', 0, 0, 0, idEnd, idEnd}))
	lim := Limits{MaxEntries: 64, MaxEntryBytes: 1 << 20, MaxDictionary: 1 << 20}
	f.Fuzz(func(t *testing.T, b []byte) {
		openAll(t, b, lim)
		// Most mutations break a CRC and stop at the first check; with the
		// CRCs mended, they reach the header parser and the library.
		openAll(t, mendCRCs(b), lim)
	})
}

func openAll(t *testing.T, b []byte, lim Limits) {
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
			t.Fatalf("%s: read %d bytes past the limit", a.Entries[i].Name, n)
		}
	}
}

// mendCRCs returns a copy of b with the signature header's CRC, and the
// archive header's when it lies within b, made right.
func mendCRCs(b []byte) []byte {
	if len(b) < lenSignatureHeader || !IsSevenZip(b) {
		return b
	}
	b = bytes.Clone(b)
	off, n := binary.LittleEndian.Uint64(b[12:]), binary.LittleEndian.Uint64(b[20:])
	room := uint64(len(b) - lenSignatureHeader)
	if off <= room && n <= room-off {
		start := lenSignatureHeader + off
		binary.LittleEndian.PutUint32(b[28:], crc32.ChecksumIEEE(b[start:start+n]))
	}
	binary.LittleEndian.PutUint32(b[8:], crc32.ChecksumIEEE(b[12:32]))
	return b
}

// TestByteMutations sets each byte of small fixtures to a few telling values,
// mends the CRCs, and opens and reads the result: a deterministic sweep of
// what the fuzzer finds slowly.
func TestByteMutations(t *testing.T) {
	lim := Limits{MaxEntries: 64, MaxEntryBytes: 1 << 20, MaxDictionary: 1 << 20}
	for _, name := range []string{"copy_plainheader.7z", "lzma_plainheader.7z", "bcj2_plainheader.7z"} {
		t.Run(name, func(t *testing.T) {
			orig := load(t, name)
			for i := range orig {
				for _, v := range []byte{0x00, 0x80, 0xff, orig[i] + 1} {
					b := bytes.Clone(orig)
					b[i] = v
					openAll(t, mendCRCs(b), lim)
				}
			}
		})
	}
}
