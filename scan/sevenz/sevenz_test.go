package sevenz

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var pickle = []byte("\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x94.")

func load(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func openBytes(b []byte, lim Limits) (*Archive, error) {
	return Open(bytes.NewReader(b), int64(len(b)), lim)
}

func mustOpen(t testing.TB, name string, lim Limits) *Archive {
	t.Helper()
	a, err := openBytes(load(t, name), lim)
	if err != nil {
		t.Fatalf("Open %s: %v", name, err)
	}
	return a
}

func entry(t testing.TB, a *Archive, name string) *Entry {
	t.Helper()
	for i := range a.Entries {
		if a.Entries[i].Name == name {
			return &a.Entries[i]
		}
	}
	t.Fatalf("no member %q in %+v", name, a.Entries)
	return nil
}

func read(a *Archive, e *Entry) ([]byte, error) {
	r, err := a.Open(e)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

func wantErr(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error %v, want %v", err, target)
	}
}

func TestIsSevenZip(t *testing.T) {
	if !IsSevenZip(load(t, "plain.7z")) || IsSevenZip([]byte("PK\x03\x04")) || IsSevenZip(nil) {
		t.Error("IsSevenZip misjudges")
	}
}

func TestReadMembers(t *testing.T) {
	blob := bytes.Repeat(func() []byte {
		b := make([]byte, 256)
		for i := range b {
			b[i] = byte(i)
		}
		return b
	}(), 40)
	for _, name := range []string{"plain.7z", "lzma_plainheader.7z", "bzip2.7z", "copy.7z", "copy_plainheader.7z", "bcj2_plainheader.7z"} {
		t.Run(name, func(t *testing.T) {
			a := mustOpen(t, name, Limits{})
			got, err := read(a, entry(t, a, "data.pkl"))
			if err != nil || !bytes.Equal(got, pickle) {
				t.Errorf("data.pkl = %q, %v", got, err)
			}
			for i := range a.Entries {
				e := &a.Entries[i]
				got, err := read(a, e)
				if err != nil || uint64(len(got)) != e.Size {
					t.Errorf("%s: %d bytes of %d, %v", e.Name, len(got), e.Size, err)
				}
				if e.Name == "dir/blob.bin" && !bytes.Equal(got, blob) {
					t.Errorf("blob.bin differs")
				}
			}
		})
	}
}

func TestListing(t *testing.T) {
	a := mustOpen(t, "plain.7z", Limits{})
	if d := entry(t, a, "dir/"); !d.IsDir || d.Folder != -1 {
		t.Errorf("dir/: %+v", d)
	}
	if e := entry(t, a, "empty.txt"); e.IsDir || e.Size != 0 || e.Folder != -1 {
		t.Errorf("empty.txt: %+v", e)
	}
	if e := entry(t, a, "dir/blob.bin"); e.Size != 10240 || e.Methods != "LZMA2" || e.Encrypted {
		t.Errorf("blob.bin: %+v", e)
	}
}

func TestEncryptedHeader(t *testing.T) {
	_, err := openBytes(load(t, "encrypted_header.7z"), Limits{})
	wantErr(t, err, ErrEncrypted)
}

func TestEncryptedData(t *testing.T) {
	a := mustOpen(t, "encrypted_data.7z", Limits{})
	if len(a.Entries) != 2 {
		t.Fatalf("%d members, want 2", len(a.Entries))
	}
	for i := range a.Entries {
		e := &a.Entries[i]
		if !e.Encrypted || !strings.Contains(e.Methods, "AES") {
			t.Errorf("%s: %+v", e.Name, e)
		}
		_, err := read(a, e)
		wantErr(t, err, ErrEncrypted)
	}
}

func TestLimits(t *testing.T) {
	b := load(t, "plain.7z")
	_, err := openBytes(b, Limits{MaxEntries: 2})
	wantErr(t, err, ErrLimit)
	// The header itself is LZMA-packed.
	_, err = openBytes(b, Limits{MaxDictionary: 1})
	wantErr(t, err, ErrLimit)

	a := mustOpen(t, "plain.7z", Limits{MaxEntryBytes: 1000})
	got, err := read(a, entry(t, a, "dir/blob.bin"))
	wantErr(t, err, ErrLimit)
	if len(got) != 1000 {
		t.Errorf("%d bytes before the limit, want 1000", len(got))
	}
	// In the solid block, readme.txt comes after the 10 KiB blob.
	_, err = read(a, entry(t, a, "dir/readme.txt"))
	wantErr(t, err, ErrLimit)
}

func TestNotSevenZip(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("PK\x03\x04 not 7z at all, just some bytes"), load(t, "plain.7z")[:40]} {
		_, err := openBytes(b, Limits{})
		wantErr(t, err, ErrFormat)
	}
}

// archive wraps a raw header in a signature header, with correct CRCs.
func archive(hdr []byte) []byte {
	b := make([]byte, lenSignatureHeader, lenSignatureHeader+len(hdr))
	copy(b, signature)
	b[6], b[7] = 0, 4
	binary.LittleEndian.PutUint64(b[12:], 0)
	binary.LittleEndian.PutUint64(b[20:], uint64(len(hdr)))
	binary.LittleEndian.PutUint32(b[28:], crc32.ChecksumIEEE(hdr))
	binary.LittleEndian.PutUint32(b[8:], crc32.ChecksumIEEE(b[12:32]))
	return append(b, hdr...)
}

// TestHostileHeaders feeds headers whose counts would make the library
// allocate without bound; each must fail cleanly, and fast.
func TestHostileHeaders(t *testing.T) {
	huge := []byte{0xff, 0, 0, 0, 0, 0, 0, 0x10, 0} // 7z number 2^52
	cases := map[string]struct {
		hdr  []byte
		want error
	}{
		"many members":      {cat([]byte{idHeader, idFilesInfo}, huge, []byte{idEnd, idEnd}), ErrLimit},
		"many folders":      {cat([]byte{idHeader, idMainStreamsInfo, idUnpackInfo, idFolder}, huge), ErrLimit},
		"many pack streams": {cat([]byte{idHeader, idMainStreamsInfo, idPackInfo, 0}, huge), ErrLimit},
		"many coders":       {cat([]byte{idHeader, idMainStreamsInfo, idUnpackInfo, idFolder, 1, 0}, huge), ErrLimit},
		"no coders":         {[]byte{idHeader, idMainStreamsInfo, idUnpackInfo, idFolder, 1, 0, 0}, ErrFormat},
		"big properties": {cat([]byte{idHeader, idMainStreamsInfo, idUnpackInfo, idFolder, 1, 0, 1, 0x21, 0x21},
			huge), ErrFormat},
		"huge LZMA dictionary": {cat([]byte{idHeader, idMainStreamsInfo, idUnpackInfo, idFolder, 1, 0,
			1, 0x23, 3, 1, 1, 5, 0x5d, 0xff, 0xff, 0xff, 0xff, idCodersUnpackSize}, huge,
			[]byte{idEnd, idEnd, idEnd}), nil},
		"empty":     {[]byte{}, nil}, // an empty archive
		"garbage":   {[]byte{0x42, 1, 2, 3}, ErrFormat},
		"truncated": {[]byte{idHeader, idMainStreamsInfo, idPackInfo}, ErrFormat},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			a, err := openBytes(archive(c.hdr), Limits{})
			if c.want != nil {
				wantErr(t, err, c.want)
				return
			}
			// A folder that cannot be read within limits still lists.
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if len(a.Entries) != 0 {
				t.Errorf("%d members", len(a.Entries))
			}
		})
	}
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestDictionaryLimitPerFolder(t *testing.T) {
	a := mustOpen(t, "lzma_plainheader.7z", Limits{})
	// Re-vet with a tiny limit: every folder must refuse.
	h, err := checkHeader(bytes.NewReader(load(t, "lzma_plainheader.7z")), int64(len(load(t, "lzma_plainheader.7z"))), Limits{MaxEntries: 100, MaxDictionary: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range h.folders {
		wantErr(t, f.err, ErrLimit)
	}
	if len(a.Entries) == 0 {
		t.Error("no members")
	}
}

func TestGuard(t *testing.T) {
	err := guard(func() error { panic("index out of range") })
	wantErr(t, err, errPanic)
	wantErr(t, translate("reading", err), ErrFormat)
}

func TestSharedCorpus(t *testing.T) {
	p := "../../../shared/corpora/picklescan/data/malicious1.7z"
	b, err := os.ReadFile(p)
	if err != nil {
		t.Skip("picklescan corpus not present")
	}
	a, err := openBytes(b, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := read(a, entry(t, a, "data.pkl"))
	if err != nil || len(got) == 0 || got[0] != 0x80 {
		t.Errorf("data.pkl = %q, %v; want a pickle", got, err)
	}
}
