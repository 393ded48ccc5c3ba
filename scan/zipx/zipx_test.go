package zipx

import (
	"archive/zip"
	"bytes"
	"hash/crc32"
	"strings"
	"testing"
)

var (
	pickle = []byte("\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x94.")
	tensor = bytes.Repeat([]byte{0, 0, 0x80, 0x3f}, 1000)
)

func torchLike(t testing.TB) []byte {
	return build(t,
		member{name: "archive/data.pkl", data: pickle, method: zip.Store},
		member{name: "archive/data/0", data: tensor, method: zip.Deflate},
		member{name: "archive/version", data: []byte("3\n"), method: zip.Store},
	)
}

func TestOpenReadsEveryMember(t *testing.T) {
	a := open(t, torchLike(t), Limits{})
	if len(a.Entries) != 3 {
		t.Fatalf("%d members, want 3", len(a.Entries))
	}
	if got := mustRead(t, a, "archive/data.pkl"); !bytes.Equal(got, pickle) {
		t.Errorf("data.pkl = %q", got)
	}
	if got := mustRead(t, a, "archive/data/0"); !bytes.Equal(got, tensor) {
		t.Errorf("data/0: %d bytes, want %d", len(got), len(tensor))
	}
	e := find(t, a, "archive/data/0")
	if e.Method != methodDeflate || e.Flags&flagDescriptor == 0 || !e.Listed || e.LocalName != e.Name {
		t.Errorf("unexpected entry %+v", e)
	}
	wantNoAnomalies(t, a)
}

func TestIsZip(t *testing.T) {
	if !IsZip(torchLike(t)) || IsZip([]byte("\x80\x02}q")) || IsZip(nil) {
		t.Error("IsZip misjudges")
	}
}

func TestNotZip(t *testing.T) {
	b := []byte("\x80\x02}q\x00.not a zip at all")
	_, err := Open(bytes.NewReader(b), int64(len(b)), Limits{})
	wantErr(t, err, ErrNotZip)
	_, err = Open(bytes.NewReader(nil), 0, Limits{})
	wantErr(t, err, ErrNotZip)
}

func TestEmptyArchive(t *testing.T) {
	a := open(t, build(t), Limits{})
	if len(a.Entries) != 0 {
		t.Errorf("%d members in an empty archive", len(a.Entries))
	}
	wantNoAnomalies(t, a)
}

func TestUnusualFlagBitsStillRead(t *testing.T) {
	b := torchLike(t)
	setFlags(b, 0x20)
	a := open(t, b, Limits{})
	wantAnomaly(t, a, KindFlagBits)
	if got := mustRead(t, a, "archive/data.pkl"); !bytes.Equal(got, pickle) {
		t.Errorf("data.pkl = %q", got)
	}
}

func TestEncryptedFlagButPlainData(t *testing.T) {
	for _, bit := range []uint16{flagEncrypted, flagStrong} {
		b := torchLike(t)
		setFlags(b, bit)
		a := open(t, b, Limits{})
		if got := mustRead(t, a, "archive/data.pkl"); !bytes.Equal(got, pickle) {
			t.Errorf("flag 0x%x: stored data.pkl = %q", bit, got)
		}
		if got := mustRead(t, a, "archive/data/0"); !bytes.Equal(got, tensor) {
			t.Errorf("flag 0x%x: deflated data/0 differs", bit)
		}
		wantAnomaly(t, a, KindEncryptedButPlain)
		if !find(t, a, "archive/data.pkl").Encrypted {
			t.Error("Encrypted not set")
		}
	}
}

func TestEncryptedData(t *testing.T) {
	// Traditional PKWARE encryption: 12 header bytes, then ciphertext; the
	// CRC is that of the plaintext, so the plain reading cannot match.
	plain := []byte("secret weights")
	cipher := append(bytes.Repeat([]byte{0xa5}, 12), []byte("\x13\x9f\x00ciphertext!")...)
	fh := zip.FileHeader{Name: "w.bin", Method: zip.Store, Flags: flagEncrypted,
		CRC32: crc32.ChecksumIEEE(plain), CompressedSize64: uint64(len(cipher)), UncompressedSize64: uint64(len(plain))}
	a := open(t, buildRaw(t, fh, cipher), Limits{})
	_, err := readEntry(a, &a.Entries[0])
	wantErr(t, err, ErrEncrypted)

	fh.Method, fh.Flags = methodAES, flagEncrypted
	a = open(t, buildRaw(t, fh, cipher), Limits{})
	_, err = readEntry(a, &a.Entries[0])
	wantErr(t, err, ErrEncrypted)
}

func TestUnsupportedMethod(t *testing.T) {
	fh := zip.FileHeader{Name: "x.ppmd", Method: 98, CompressedSize64: 4, UncompressedSize64: 9}
	a := open(t, buildRaw(t, fh, []byte("PPMd")), Limits{})
	_, err := readEntry(a, &a.Entries[0])
	wantErr(t, err, ErrUnsupportedMethod)
}

func TestZstd(t *testing.T) {
	a := open(t, build(t, member{name: "z", data: tensor, method: methodZstd}), Limits{})
	if got := mustRead(t, a, "z"); !bytes.Equal(got, tensor) {
		t.Error("zstd member differs")
	}
	wantNoAnomalies(t, a)
}

func TestBadCRCIsAnAnomalyNotAnError(t *testing.T) {
	fh := zip.FileHeader{Name: "data.pkl", Method: zip.Store, CRC32: 0xdeadbeef,
		CompressedSize64: uint64(len(pickle)), UncompressedSize64: uint64(len(pickle))}
	a := open(t, buildRaw(t, fh, pickle), Limits{})
	if got := mustRead(t, a, "data.pkl"); !bytes.Equal(got, pickle) {
		t.Errorf("data.pkl = %q", got)
	}
	wantAnomaly(t, a, KindBadCRC)
}

func TestNameMismatchUsesCentralName(t *testing.T) {
	b := torchLike(t)
	l := sigs(b, sigLocal)[0]
	copy(b[l+lenLocal:], "archive/datap.kl") // same length as archive/data.pkl
	a := open(t, b, Limits{})
	e := find(t, a, "archive/data.pkl")
	if e.LocalName != "archive/datap.kl" {
		t.Errorf("LocalName = %q", e.LocalName)
	}
	wantAnomaly(t, a, KindNameMismatch)
	if got := mustRead(t, a, "archive/data.pkl"); !bytes.Equal(got, pickle) {
		t.Errorf("data.pkl = %q", got)
	}
}

func TestNoCentralDirectoryWalksLocalHeaders(t *testing.T) {
	full := torchLike(t)
	for name, b := range map[string][]byte{
		"stripped":  full[:sigs(full, sigCentral)[0]],
		"corrupted": corruptCentral(full),
	} {
		t.Run(name, func(t *testing.T) {
			a := open(t, b, Limits{})
			wantAnomaly(t, a, KindNoCentralDirectory)
			if len(a.Entries) != 3 {
				t.Fatalf("%d members, want 3: %+v", len(a.Entries), a.Entries)
			}
			if got := mustRead(t, a, "archive/data.pkl"); !bytes.Equal(got, pickle) {
				t.Errorf("data.pkl = %q", got)
			}
			if got := mustRead(t, a, "archive/data/0"); !bytes.Equal(got, tensor) {
				t.Errorf("data/0 differs")
			}
			if got := mustRead(t, a, "archive/version"); string(got) != "3\n" {
				t.Errorf("version = %q", got)
			}
			if a.Entries[0].Listed {
				t.Error("walked member marked Listed")
			}
			if hasAnomaly(a, KindBadCRC) || hasAnomaly(a, KindUnreferencedData) {
				t.Errorf("descriptors misread: %v", a.Anomalies())
			}
		})
	}
}

// corruptCentral points the end record at a place with no central directory.
func corruptCentral(b []byte) []byte {
	b = bytes.Clone(b)
	end := sigs(b, sigEnd)[0]
	put32(b, end+16, 7)
	put32(b, end+12, 5)
	return b
}

func TestTruncatedMemberStillReadable(t *testing.T) {
	fh := zip.FileHeader{Name: "data.pkl", Method: zip.Store, CRC32: crc32.ChecksumIEEE(pickle),
		CompressedSize64: uint64(len(pickle)), UncompressedSize64: uint64(len(pickle))}
	b := buildRaw(t, fh, pickle)
	b = b[:lenLocal+len("data.pkl")+10]
	a := open(t, b, Limits{})
	wantAnomaly(t, a, KindNoCentralDirectory)
	wantAnomaly(t, a, KindTruncatedEntry)
	got, err := readEntry(a, &a.Entries[0])
	if !bytes.Equal(got, pickle[:10]) || err == nil {
		t.Errorf("got %q, %v; want the first 10 bytes and an error", got, err)
	}
}

func TestOffsetOutsideFileSkipsMember(t *testing.T) {
	b := torchLike(t)
	c := sigs(b, sigCentral)[1]
	put32(b, c+42, 0x7fffff00)
	a := open(t, b, Limits{})
	wantAnomaly(t, a, KindBadOffset)
	// Its local header is still there, between the others: streaming
	// readers extract it, so it comes back as a hidden member.
	wantAnomaly(t, a, KindHiddenMember)
	if len(a.Entries) != 3 || a.Entries[2].Listed || a.Entries[2].Name != "archive/data/0" {
		t.Errorf("%d members, want 2 listed and archive/data/0 hidden: %+v", len(a.Entries), a.Entries)
	}
}

func TestOverlapAndDuplicate(t *testing.T) {
	b := torchLike(t)
	cs := sigs(b, sigCentral)
	// Point the second and third central entries at the first local header:
	// three names, one set of bytes.
	put32(b, cs[1]+42, 0)
	put32(b, cs[2]+42, 0)
	a := open(t, b, Limits{})
	wantAnomaly(t, a, KindOverlappingEntries)
	wantAnomaly(t, a, KindNameMismatch)
	// The two local headers no entry points at any more are hidden members.
	wantAnomaly(t, a, KindHiddenMember)
	if len(a.Entries) != 5 {
		t.Errorf("%d members, want 3 listed and 2 hidden", len(a.Entries))
	}

	dup := build(t, member{name: "a", data: []byte("1")}, member{name: "a", data: []byte("2")})
	wantAnomaly(t, open(t, dup, Limits{}), KindDuplicateName)
}

func TestLeadingAndTrailingBytes(t *testing.T) {
	b := torchLike(t)
	a := open(t, append(bytes.Clone(b), "junk"...), Limits{})
	wantAnomaly(t, a, KindTrailingData)

	a = open(t, append([]byte("#!/bin/sh\nexit 0\n"), b...), Limits{})
	wantAnomaly(t, a, KindDataBeforeFirstEntry)
	if got := mustRead(t, a, "archive/data.pkl"); !bytes.Equal(got, pickle) {
		t.Errorf("data.pkl after a prefix = %q", got)
	}
}

func TestUnsafeName(t *testing.T) {
	a := open(t, build(t, member{name: "../../etc/cron.d/x", data: []byte("1")}), Limits{})
	wantAnomaly(t, a, KindUnsafeName)
}

func TestEntryLimit(t *testing.T) {
	b := torchLike(t)
	_, err := Open(bytes.NewReader(b), int64(len(b)), Limits{MaxEntries: 2})
	wantErr(t, err, ErrLimit)
	_, err = Open(bytes.NewReader(b[:sigs(b, sigCentral)[0]]), int64(sigs(b, sigCentral)[0]), Limits{MaxEntries: 2})
	wantErr(t, err, ErrLimit)
}

func TestByteLimits(t *testing.T) {
	zeros := make([]byte, 4<<20)
	b := build(t, member{name: "bomb", data: zeros, method: zip.Deflate}, member{name: "big", data: zeros})
	a := open(t, b, Limits{MaxEntryBytes: 1 << 20})
	for _, name := range []string{"bomb", "big"} {
		got, err := readEntry(a, find(t, a, name))
		wantErr(t, err, ErrLimit)
		if len(got) != 1<<20 {
			t.Errorf("%s: %d bytes before the limit, want %d", name, len(got), 1<<20)
		}
	}
	a = open(t, b, Limits{MaxRatio: 100})
	_, err := readEntry(a, find(t, a, "bomb"))
	wantErr(t, err, ErrLimit)
	if !strings.Contains(err.Error(), "ratio") {
		t.Errorf("error does not explain the ratio: %v", err)
	}
	// Exactly at the bound is fine.
	a = open(t, b, Limits{MaxEntryBytes: 4 << 20})
	if got := mustRead(t, a, "bomb"); len(got) != 4<<20 {
		t.Errorf("bomb: %d bytes", len(got))
	}
}

func TestZip64Offsets(t *testing.T) {
	// archive/zip writes zip64 records once offsets pass 4 GiB; SetOffset
	// pretends 5 GiB precede the archive, and zeroPrefix supplies them.
	const prefix = 5 << 30
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	w.SetOffset(prefix)
	f, _ := w.Create("archive/data.pkl")
	f.Write(pickle)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	z := zeroPrefix{n: prefix, tail: buf.Bytes()}
	a, err := Open(z, z.size(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	e := find(t, a, "archive/data.pkl")
	if !e.Zip64 || e.HeaderOffset != prefix {
		t.Errorf("entry %+v: want zip64 with header at %d", e, prefix)
	}
	if got := mustRead(t, a, "archive/data.pkl"); !bytes.Equal(got, pickle) {
		t.Errorf("data.pkl = %q", got)
	}
	wantAnomaly(t, a, KindDataBeforeFirstEntry)
}

func TestConcurrentReads(t *testing.T) {
	b := torchLike(t)
	setFlags(b, flagEncrypted)
	a := open(t, b, Limits{})
	done := make(chan error)
	for range 8 {
		go func() {
			_, err := readEntry(a, find(t, a, "archive/data/0"))
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func TestZip64Sizes(t *testing.T) {
	// Sizes past 4 GiB go to the zip64 extra field. The data written is
	// short, so the member is also truncated: what exists stays readable.
	const big = 5 << 30
	fh := zip.FileHeader{Name: "archive/data/0", Method: zip.Store, CompressedSize64: big, UncompressedSize64: big}
	a := open(t, buildRaw(t, fh, tensor), Limits{})
	e := &a.Entries[0]
	if !e.Zip64 || e.CompressedSize != big || e.UncompressedSize != big {
		t.Errorf("entry %+v: want zip64 sizes of %d", e, int64(big))
	}
	wantAnomaly(t, a, KindTruncatedEntry)
	wantAnomaly(t, a, KindOverlappingEntries) // the declared data covers the central directory
	got, err := readEntry(a, e)
	if err == nil || !bytes.HasPrefix(got, tensor) {
		t.Errorf("read %d bytes, %v; want the data present and an error", len(got), err)
	}
}
