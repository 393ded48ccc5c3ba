package hf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	commitA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	commitB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// buildCache lays out a hub cache the way huggingface_hub does (relative
// links from snapshots into blobs), plus every kind of hostile entry.
func buildCache(t *testing.T) (hub, repoDir string) {
	hub = filepath.Join(t.TempDir(), "hub")
	repoDir = filepath.Join(hub, "models--org--model")
	blobs := filepath.Join(repoDir, "blobs")
	writeFile(t, blobs, "1111", []byte(`{"model_type":"x"}`))
	writeFile(t, blobs, "2222", []byte("weights-v1"))
	writeFile(t, blobs, "3333", []byte("weights-v2!"))
	writeFile(t, repoDir, "refs/main", []byte(commitB+"\n"))
	writeFile(t, repoDir, "refs/pr/1", []byte(commitA))
	writeFile(t, repoDir, ".no_exist/"+commitA+"/missing.bin", nil)
	writeFile(t, hub, "version.txt", []byte("1"))

	a := filepath.Join(repoDir, "snapshots", commitA)
	symlink(t, "../../blobs/1111", filepath.Join(a, "config.json"))
	symlink(t, "../../blobs/2222", filepath.Join(a, "model.bin"))
	b := filepath.Join(repoDir, "snapshots", commitB)
	symlink(t, "../../blobs/1111", filepath.Join(b, "config.json")) // shared blob
	symlink(t, "../../../blobs/3333", filepath.Join(b, "sub/model.bin"))
	symlink(t, "/etc/passwd", filepath.Join(b, "escape.bin"))
	symlink(t, "../../blobs/none", filepath.Join(b, "dangling.bin"))
	symlink(t, "loop2.bin", filepath.Join(b, "loop1.bin"))
	symlink(t, "loop1.bin", filepath.Join(b, "loop2.bin"))
	symlink(t, "/", filepath.Join(b, "root"))
	symlink(t, "../../blobs", filepath.Join(b, "blobsdir"))
	symlink(t, "../"+commitA+"/model.bin", filepath.Join(b, "chain.bin")) // link to a link into blobs: fine
	writeFile(t, b, "copied.txt", []byte("copy"))                         // a copy, as on Windows

	// A dataset whose whole snapshot folder is a link to /.
	ds := filepath.Join(hub, "datasets--org--data")
	writeFile(t, ds, "blobs/x", []byte("x"))
	symlink(t, "/", filepath.Join(ds, "snapshots", commitA))
	return hub, repoDir
}

func TestFindCache(t *testing.T) {
	hub, _ := buildCache(t)
	snaps, err := FindCache(hub)
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 3 {
		t.Fatalf("%d snapshots: %+v", len(snaps), snaps)
	}
	ds, a, b := snaps[0], snaps[1], snaps[2]
	if ds.Repo != "datasets/org/data" || len(ds.Files) != 1 || ds.Files[0].Path != "." ||
		ds.Files[0].Real != "" || !strings.Contains(ds.Files[0].Problem, "symbolic link") {
		t.Errorf("linked snapshot folder: %+v", ds)
	}
	if a.Repo != "org/model" || a.Revision != commitA || strings.Join(a.Refs, ",") != "pr/1" {
		t.Errorf("snapshot A: %+v", a)
	}
	if b.Revision != commitB || strings.Join(b.Refs, ",") != "main" {
		t.Errorf("snapshot B: %+v", b)
	}
	wantA := map[string]string{"config.json": "", "model.bin": ""}
	checkFiles(t, a, wantA)
	checkFiles(t, b, map[string]string{
		"config.json":   "",
		"sub/model.bin": "",
		"copied.txt":    "",
		"chain.bin":     "",
		"escape.bin":    "escapes",
		"dangling.bin":  "dangling",
		"loop1.bin":     "loop",
		"loop2.bin":     "loop",
		"root":          "link to a folder",
		"blobsdir":      "link to a folder",
	})
	for _, f := range b.Files {
		if f.Path == "sub/model.bin" && (f.Size != int64(len("weights-v2!")) || filepath.Base(f.Real) != "3333") {
			t.Errorf("sub/model.bin resolved to %+v", f)
		}
	}
}

// checkFiles compares a snapshot's files with want: path to "" for a safe
// file (Real set, readable) or a word its Problem must contain.
func checkFiles(t *testing.T, s Snapshot, want map[string]string) {
	t.Helper()
	if len(s.Files) != len(want) {
		t.Errorf("%s: %d files, want %d: %+v", s.Revision[:4], len(s.Files), len(want), s.Files)
	}
	for _, f := range s.Files {
		problem, ok := want[f.Path]
		switch {
		case !ok:
			t.Errorf("unexpected %+v", f)
		case problem == "" && (f.Real == "" || f.Problem != ""):
			t.Errorf("%s should be safe: %+v", f.Path, f)
		case problem == "":
			if data, err := os.ReadFile(f.Real); err != nil || int64(len(data)) != f.Size {
				t.Errorf("%s: Real %q unreadable or wrong size: %v", f.Path, f.Real, err)
			}
		case f.Real != "" || !strings.Contains(f.Problem, problem):
			t.Errorf("%s: want problem %q, got %+v", f.Path, problem, f)
		}
	}
}

func TestFindCacheRoots(t *testing.T) {
	hub, repoDir := buildCache(t)
	for _, tt := range []struct {
		root  string
		snaps int
	}{
		{filepath.Dir(hub), 3}, // the folder holding hub/ (HF_HOME)
		{repoDir, 2},
		{filepath.Join(repoDir, "snapshots"), 2},
		{filepath.Join(repoDir, "snapshots", commitA), 1},
	} {
		snaps, err := FindCache(tt.root)
		if err != nil || len(snaps) != tt.snaps {
			t.Errorf("FindCache(%s) = %d snapshots, %v; want %d", tt.root, len(snaps), err, tt.snaps)
		}
	}
	one, _ := FindCache(filepath.Join(repoDir, "snapshots", commitA))
	if len(one) == 1 {
		checkFiles(t, one[0], map[string]string{"config.json": "", "model.bin": ""})
	}
}

func TestFindCachePlainFolder(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "model.safetensors", []byte("x"))
	writeFile(t, dir, "models--fake/readme", []byte("no snapshots folder"))
	snaps, err := FindCache(dir)
	if err != nil || snaps != nil {
		t.Errorf("plain folder: %+v, %v", snaps, err)
	}
	if _, err := FindCache(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing root gave no error")
	}
}

// TestFindCacheLinkedBlobs: if blobs/ is itself a link, nothing behind it
// counts as inside the repository.
func TestFindCacheLinkedBlobs(t *testing.T) {
	outside := t.TempDir()
	writeFile(t, outside, "secret", []byte("s"))
	repoDir := filepath.Join(t.TempDir(), "models--org--m")
	symlink(t, outside, filepath.Join(repoDir, "blobs"))
	symlink(t, "../../blobs/secret", filepath.Join(repoDir, "snapshots", commitA, "f.bin"))
	snaps, err := FindCache(repoDir)
	if err != nil || len(snaps) != 1 {
		t.Fatalf("%+v, %v", snaps, err)
	}
	for _, f := range snaps[0].Files {
		if f.Real != "" || f.Problem == "" {
			t.Errorf("file behind a linked blobs/ accepted: %+v", f)
		}
	}
}

func TestFindCacheDepthLimit(t *testing.T) {
	repoDir := filepath.Join(t.TempDir(), "models--org--deep")
	if err := os.MkdirAll(filepath.Join(repoDir, "blobs"), 0o755); err != nil {
		t.Fatal(err)
	}
	deep := filepath.Join(repoDir, "snapshots", commitA, strings.Repeat("d/", maxCacheDepth+2))
	writeFile(t, deep, "f", []byte("x"))
	snaps, err := FindCache(repoDir)
	if err != nil || len(snaps) != 1 || len(snaps[0].Files) != 1 || !snaps[0].Files[0].Limit {
		t.Errorf("deep snapshot: %+v, %v", snaps, err)
	}
}
