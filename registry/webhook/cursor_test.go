package webhook

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFileCursors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cursors") // created on first Save
	c := FileCursors(dir)
	const id = "ep_0123abcd"
	if _, err := c.Load(id); !errors.Is(err, ErrNoCursor) {
		t.Fatalf("Load of a new endpoint = %v, want ErrNoCursor", err)
	}
	for _, seq := range []int64{0, 7, 1 << 62} {
		if err := c.Save(id, seq); err != nil {
			t.Fatal(err)
		}
		got, err := FileCursors(dir).Load(id)
		if err != nil || got != seq {
			t.Fatalf("Load after Save(%d) = %d, %v", seq, got, err)
		}
	}
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("cursor directory: %v, %v; want mode 0700", fi, err)
	}
	// No temporary files are left behind.
	names, err := os.ReadDir(dir)
	if err != nil || len(names) != 1 || names[0].Name() != id+".cursor" {
		t.Errorf("directory holds %v (%v), want only %s.cursor", names, err, id)
	}

	for _, bad := range []string{"", "../x", "a/b", "a.b", strings.Repeat("a", 129)} {
		if err := c.Save(bad, 1); err == nil {
			t.Errorf("Save accepted endpoint id %q", bad)
		}
		if _, err := c.Load(bad); err == nil || errors.Is(err, ErrNoCursor) {
			t.Errorf("Load accepted endpoint id %q (%v)", bad, err)
		}
	}
	if err := c.Save(id, -1); err == nil {
		t.Error("Save accepted a negative sequence number")
	}
	for _, content := range []string{"", "x\n", "-3\n", "+3\n", "3 4\n", strings.Repeat("9", 40)} {
		if err := os.WriteFile(filepath.Join(dir, id+".cursor"), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Load(id); err == nil || errors.Is(err, ErrNoCursor) {
			t.Errorf("Load of a cursor file holding %q = %v, want a damage error", content, err)
		}
	}
	// A Save that cannot write reports it.
	if err := FileCursors(filepath.Join(dir, id+".cursor", "sub")).Save(id, 1); err == nil {
		t.Error("Save under a file succeeded")
	}
}
