//go:build unix

package hf

import (
	"path/filepath"
	"syscall"
	"testing"
)

// TestFindCacheSpecialFiles: a FIFO, whether linked from the snapshot into
// blobs/ or placed in the snapshot, is listed as unsafe (reading one would
// block the scan).
func TestFindCacheSpecialFiles(t *testing.T) {
	repoDir := filepath.Join(t.TempDir(), "models--org--fifo")
	writeFile(t, repoDir, "blobs/ok", []byte("ok"))
	snap := filepath.Join(repoDir, "snapshots", commitA)
	writeFile(t, snap, "placeholder", nil)
	for _, p := range []string{filepath.Join(repoDir, "blobs", "pipe"), filepath.Join(snap, "pipe-in-snapshot")} {
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Skip("mkfifo:", err)
		}
	}
	symlink(t, "../../blobs/pipe", filepath.Join(snap, "pipe.bin"))
	snaps, err := FindCache(repoDir)
	if err != nil || len(snaps) != 1 {
		t.Fatalf("%+v, %v", snaps, err)
	}
	checkFiles(t, snaps[0], map[string]string{
		"placeholder":      "",
		"pipe.bin":         "not a regular file",
		"pipe-in-snapshot": "not a regular file",
	})
}
