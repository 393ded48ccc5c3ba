package telemetry

import (
	"errors"
	"io/fs"
	"os"
	"strconv"
	"testing"
)

// allFiles lists path's rotated files, oldest first, then path.
func allFiles(t testing.TB, path string) []string {
	var out []string
	for i := 1; ; i++ {
		p := path + "." + strconv.Itoa(i)
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			break
		}
		out = append([]string{p}, out...)
	}
	return append(out, path)
}

func TestRotationKeepsExactlyKeep(t *testing.T) {
	path := tempPath(t)
	const maxBytes, keep, n = 1000, 3, 200
	f := mustOpen(t, FileConfig{Path: path, MaxBytes: maxBytes, Keep: keep, Buffer: n})
	for i := range n {
		f.Write(rec(i))
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	files := allFiles(t, path)
	if len(files) != keep+1 {
		t.Fatalf("files %v, want %d", files, keep+1)
	}
	// The records kept are the newest ones, in order, with no gap: no
	// record was lost or split between the files that remain.
	var rows []int
	for _, p := range files {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > maxBytes || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %d bytes, mode %v", p, fi.Size(), fi.Mode().Perm())
		}
		for _, r := range readAll(t, p) {
			rows = append(rows, r.Row)
		}
	}
	for i, row := range rows {
		if row != n-len(rows)+i {
			t.Fatalf("rows %v: not the last %d in order", rows, len(rows))
		}
	}
	s := f.Stats()
	if s.Written != n || s.Errors != 0 || s.Rotations < keep+1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestRotationLosesNothingWithinKeep(t *testing.T) {
	path := tempPath(t)
	const n = 300
	f := mustOpen(t, FileConfig{Path: path, MaxBytes: 2000, Keep: 1000, Buffer: n})
	for i := range n {
		f.Write(rec(i))
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	next := 0
	for _, p := range allFiles(t, path) {
		for _, r := range readAll(t, p) {
			if r.Row != next {
				t.Fatalf("%s: row %d, want %d", p, r.Row, next)
			}
			next++
		}
	}
	if next != n {
		t.Fatalf("read %d of %d", next, n)
	}
}

func TestRotationOfOverlongRecord(t *testing.T) {
	// A record larger than MaxBytes still gets written, alone in its file.
	path := tempPath(t)
	f := mustOpen(t, FileConfig{Path: path, MaxBytes: 10, Keep: 2})
	f.Write(rec(0))
	f.Write(rec(1))
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if a, b := readAll(t, path+".1"), readAll(t, path); len(a) != 1 || len(b) != 1 || b[0].Row != 1 {
		t.Fatalf("got %v and %v", a, b)
	}
}

func TestRotationRenameFailureIsCounted(t *testing.T) {
	path := tempPath(t)
	// Path.1 is a non-empty directory: renaming Path onto it fails.
	if err := os.MkdirAll(path+".1/x", 0o700); err != nil {
		t.Fatal(err)
	}
	f := mustOpen(t, FileConfig{Path: path, MaxBytes: 10, Keep: 1})
	for i := range 3 {
		f.Write(rec(i))
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	s := f.Stats()
	if s.Errors != 2 || s.Rotations != 0 || s.Written != 3 {
		t.Fatalf("stats %+v", s)
	}
	if got := readAll(t, path); len(got) != 3 {
		t.Fatalf("read %d records, want 3 in the unrotated file", len(got))
	}
}

func TestDirectoryGoneIsCounted(t *testing.T) {
	dir := t.TempDir() + "/logs"
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	calls := 0
	hook := func() {
		if calls++; calls == 2 {
			if err := os.RemoveAll(dir); err != nil {
				t.Error(err)
			}
		}
	}
	f, err := openFile(FileConfig{Path: dir + "/p.jsonl", MaxBytes: 10}, hook)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(rec(0))
	f.Write(rec(1)) // rotation, then no directory to open the new file in
	if err := f.Close(); err == nil {
		t.Fatal("Close hid that the file could not be reopened")
	}
	if s := f.Stats(); s.Written != 1 || s.Errors != 1 {
		t.Fatalf("stats %+v", s)
	}
}
