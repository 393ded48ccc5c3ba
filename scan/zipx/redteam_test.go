package zipx

import (
	"archive/zip"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestSymlinkCreators checks IsSymlink against what extractors do with a
// symlink mode in the high attribute bits, host by host (checked against
// unzip 6.0 and 7-Zip 26 extracting one archive per host value).
func TestSymlinkCreators(t *testing.T) {
	links := map[uint8]bool{0: true, 2: true, 3: true, 5: true, 11: true, 16: true, 19: true, 30: true}
	for host := range 256 {
		for _, mode := range []uint32{0o120777, 0o120644, 0o100644} {
			e := Entry{Name: "link", CreatorOS: uint8(host), ExternalAttrs: mode << 16}
			want := links[uint8(host)] && mode&0o170000 == 0o120000
			if got := e.IsSymlink(); got != want {
				t.Errorf("host %d mode %o: IsSymlink = %v, want %v", host, mode, got, want)
			}
		}
	}
	// FAT directories: unzip makes a link only when the owner bits agree
	// with the MS-DOS bits (r, w unless read-only, x for a directory);
	// 7-Zip never. NTFS directories are never links.
	for _, c := range []struct {
		host  uint8
		attrs uint32
		want  bool
	}{
		{0, 0o120777<<16 | msdosDir, true},
		{0, 0o120644<<16 | msdosDir, false},
		{0, 0o120577<<16 | msdosDir | msdosReadOnly, true},
		{0, 0o120777<<16 | msdosDir | msdosReadOnly, false},
		{11, 0o120777<<16 | msdosDir, false},
		{11, 0o120777<<16 | msdosReadOnly, true},
	} {
		e := Entry{Name: "link", CreatorOS: c.host, ExternalAttrs: c.attrs}
		if got := e.IsSymlink(); got != c.want {
			t.Errorf("host %d attrs %08x: IsSymlink = %v, want %v", c.host, c.attrs, got, c.want)
		}
	}
}

// TestSymlinkRepros: the red-team archives, one symlink member each, made
// by Unix, Atari, BeOS and OS X hosts.
func TestSymlinkRepros(t *testing.T) {
	for _, f := range []string{"symlink_os3.zip", "symlink_os5.zip", "symlink_os16.zip", "symlink_os19.zip"} {
		a := open(t, readTestdata(t, "redteam/"+f), Limits{})
		if len(a.Entries) != 1 || !a.Entries[0].IsSymlink() {
			t.Errorf("%s: %+v is not seen as a symbolic link", f, a.Entries)
		}
	}
	// Built with archive/zip: a Unix regular file is not a link.
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	fh := &zip.FileHeader{Name: "f", CreatorVersion: 19 << 8, ExternalAttrs: 0o100644 << 16}
	if _, err := w.CreateHeader(fh); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if a := open(t, buf.Bytes(), Limits{}); a.Entries[0].IsSymlink() {
		t.Error("a regular OS X file is seen as a link")
	}
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHiddenMemberRepro: a member whose local header sits between the last
// listed member and the central directory. Java's ZipInputStream extracts it.
func TestHiddenMemberRepro(t *testing.T) {
	a := open(t, readTestdata(t, "redteam/hidden_local.zip"), Limits{})
	wantAnomaly(t, a, KindHiddenMember)
	if hasAnomaly(a, KindUnreferencedData) {
		t.Errorf("the hidden member's bytes are still unreferenced: %v", a.Anomalies())
	}
	e := find(t, a, "evil.pkl")
	if e.Listed || e.LocalName != "evil.pkl" {
		t.Errorf("hidden entry %+v", e)
	}
	got, err := readEntry(a, e)
	if err != nil || !bytes.HasPrefix(got, []byte("\x80\x02cposix\nsystem\n")) {
		t.Errorf("hidden member reads %q, %v", got, err)
	}
	if !find(t, a, "readme.txt").Listed {
		t.Error("listed member not marked Listed")
	}
}

// localPart is the local headers and data of an archive: what a streaming
// reader reads before the central directory.
func localPart(b []byte) []byte { return b[:sigs(b, sigCentral)[0]] }

// insertBeforeCentral puts chunk between the members and the central
// directory, fixing the end record's offset.
func insertBeforeCentral(b, chunk []byte) []byte {
	c := sigs(b, sigCentral)[0]
	out := append(append(append([]byte{}, b[:c]...), chunk...), b[c:]...)
	end := sigs(out, sigEnd)[0]
	put32(out, end+16, uint32(c+len(chunk)))
	return out
}

func TestHiddenMembersInGaps(t *testing.T) {
	// archive/zip writes data descriptors: the hidden members follow one,
	// and their own sizes are found by inflating (deflate) or by finding
	// their descriptors (stored).
	hidden := localPart(build(t,
		member{name: "h1.pkl", data: pickle, method: zip.Deflate},
		member{name: "h2.pkl", data: pickle, method: zip.Store}))
	b := insertBeforeCentral(torchLike(t), hidden)
	a := open(t, b, Limits{})
	wantAnomaly(t, a, KindHiddenMember)
	if len(a.Entries) != 5 {
		t.Fatalf("%d members, want 5: %+v", len(a.Entries), a.Entries)
	}
	for _, name := range []string{"h1.pkl", "h2.pkl"} {
		if got := mustRead(t, a, name); !bytes.Equal(got, pickle) {
			t.Errorf("%s = %q", name, got)
		}
		if find(t, a, name).Listed {
			t.Errorf("%s marked Listed", name)
		}
	}
	if hasAnomaly(a, KindUnreferencedData) || hasAnomaly(a, KindOverlappingEntries) {
		t.Errorf("gap misread: %v", a.Anomalies())
	}

	// Junk first: streaming readers stop there, so it is only unreferenced.
	b = insertBeforeCentral(torchLike(t), append([]byte("junkjunk"), hidden...))
	a = open(t, b, Limits{})
	if hasAnomaly(a, KindHiddenMember) || len(a.Entries) != 3 {
		t.Errorf("junk-led gap: %d members, %v", len(a.Entries), a.Anomalies())
	}
	wantAnomaly(t, a, KindUnreferencedData)

	// Prepended to the archive: streaming readers start at byte 0.
	b = append(bytes.Clone(hidden), torchLike(t)...)
	a = open(t, b, Limits{})
	wantAnomaly(t, a, KindHiddenMember)
	if got := mustRead(t, a, "h2.pkl"); !bytes.Equal(got, pickle) {
		t.Errorf("prepended h2.pkl = %q", got)
	}
	if len(a.Entries) != 5 || hasAnomaly(a, KindOverlappingEntries) {
		t.Errorf("prepended: %d members, %v", len(a.Entries), a.Anomalies())
	}

	// A hidden member with a listed name is also a duplicate.
	b = insertBeforeCentral(torchLike(t), localPart(build(t, member{name: "archive/data.pkl", data: []byte("x")})))
	a = open(t, b, Limits{})
	wantAnomaly(t, a, KindHiddenMember)
	wantAnomaly(t, a, KindDuplicateName)
}

func TestHiddenMembersCountAgainstMaxEntries(t *testing.T) {
	var ms []member
	for range 5 {
		ms = append(ms, member{name: "h", data: []byte("x")})
	}
	b := insertBeforeCentral(torchLike(t), localPart(build(t, ms...)))
	if _, err := Open(bytes.NewReader(b), int64(len(b)), Limits{MaxEntries: 6}); !errors.Is(err, ErrLimit) {
		t.Errorf("8 members under a limit of 6: %v", err)
	}
	if _, err := Open(bytes.NewReader(b), int64(len(b)), Limits{MaxEntries: 8}); err != nil {
		t.Errorf("8 members under a limit of 8: %v", err)
	}
}

// TestBenignHasNoHiddenMembers: ordinary archives gain no entries.
func TestBenignHasNoHiddenMembers(t *testing.T) {
	for _, b := range [][]byte{torchLike(t), build(t, member{name: "a", data: tensor, method: zip.Deflate}), build(t)} {
		a := open(t, b, Limits{})
		wantNoAnomalies(t, a)
		for _, e := range a.Entries {
			if !e.Listed {
				t.Errorf("unlisted member %q", e.Name)
			}
		}
	}
}
