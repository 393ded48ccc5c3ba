package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func open(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPutOpenVerify(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	data := bytes.Repeat([]byte("weights "), 100_000)
	d, n, err := s.Put(ctx, bytes.NewReader(data), 0)
	if err != nil || n != int64(len(data)) {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if d != hex.EncodeToString(sum[:]) || !s.Has(d) {
		t.Fatalf("digest %s", d)
	}
	// Storing the same content again keeps one blob.
	if d2, _, err := s.Put(ctx, bytes.NewReader(data), 0); err != nil || d2 != d {
		t.Fatal(err)
	}
	f, err := s.Open(d)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(f)
	f.Close()
	if !bytes.Equal(got, data) {
		t.Fatal("content differs")
	}
	if err := s.Verify(ctx, d); err != nil {
		t.Fatal(err)
	}
	// Tampering on disk is found.
	if err := os.Chmod(s.Path(d), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.Path(d), append(data[:len(data)-1], 'X'), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(ctx, d); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("tampered blob: %v", err)
	}
	// Leftover temporary files: none.
	if left, _ := os.ReadDir(filepath.Join(s.root, "tmp")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestPutLimitAndBadDigests(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	if _, _, err := s.Put(ctx, strings.NewReader("0123456789"), 5); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over the limit: %v", err)
	}
	if _, _, err := s.Put(ctx, strings.NewReader("01234"), 5); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	for _, d := range []string{"", "../../etc/passwd", strings.Repeat("A", 64), strings.Repeat("a", 63)} {
		if _, err := s.Open(d); !errors.Is(err, ErrNotFound) {
			t.Errorf("%q: %v", d, err)
		}
		if s.Has(d) || s.Link(d, filepath.Join(t.TempDir(), "x")) == nil {
			t.Errorf("%q accepted", d)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := s.Put(cctx, strings.NewReader("x"), 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestConcurrentPutsOfOneBlob(t *testing.T) {
	s := open(t)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := s.Put(context.Background(), strings.NewReader("same content"), 0)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestLinkLaysOutAModel(t *testing.T) {
	s := open(t)
	d, _, err := s.Put(context.Background(), strings.NewReader("config"), 0)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "model", "sub", "config.json")
	if err := s.Link(d, dst); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "config" {
		t.Fatalf("linked content %q", b)
	}
}

func TestSafeRelPath(t *testing.T) {
	for p, want := range map[string]bool{
		"a": true, "a/b.bin": true, "d0/d1/f": true,
		"": false, "/etc/passwd": false, "../x": false, "a/../b": false, "a//b": false, "./a": false,
		"a\\b": false, "a\x00": false, "a/": false,
	} {
		if SafeRelPath(p) != want {
			t.Errorf("%q: want %v", p, want)
		}
	}
}

// An archive opens with its key, holds the files, shows none of their
// bytes, and is unreadable once the key is destroyed.
func TestArchiveAndCryptoShred(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	secret := []byte("TOP-SECRET-WEIGHTS-" + strings.Repeat("w", 5000))
	d1, _, _ := s.Put(ctx, bytes.NewReader(secret), 0)
	d2, _, _ := s.Put(ctx, strings.NewReader(`{"model_type":"bert"}`), 0)
	keyID, err := s.Archive(ctx, []Entry{{"weights.bin", d1}, {"cfg/config.json", d2}})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(s.archivePath(keyID))
	if err != nil || bytes.Contains(raw, []byte("TOP-SECRET")) || !bytes.HasPrefix(raw, []byte("age-encryption.org/v1")) {
		t.Fatalf("archive is not encrypted (%v)", err)
	}
	if st, _ := os.Stat(s.keyPath(keyID)); st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", st.Mode())
	}
	got := map[string][]byte{}
	err = s.OpenArchive(ctx, keyID, func(p string, r io.Reader) error {
		b, err := io.ReadAll(r)
		got[p] = b
		return err
	})
	if err != nil || !bytes.Equal(got["weights.bin"], secret) || string(got["cfg/config.json"]) != `{"model_type":"bert"}` {
		t.Fatalf("archive content: %v %v", err, len(got))
	}
	if err := s.DestroyKey(keyID); err != nil {
		t.Fatal(err)
	}
	if err := s.OpenArchive(ctx, keyID, func(string, io.Reader) error { return nil }); !errors.Is(err, ErrKeyDestroyed) {
		t.Fatalf("after destruction: %v", err)
	}
	// The archive is still there, and no other key opens it.
	if _, err := os.Stat(s.archivePath(keyID)); err != nil {
		t.Fatal(err)
	}
	other, err := s.Archive(ctx, []Entry{{"x", d2}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(s.archivePath(keyID), s.archivePath(other)); err != nil {
		t.Fatal(err)
	}
	if err := s.OpenArchive(ctx, other, func(string, io.Reader) error { return nil }); err == nil {
		t.Fatal("another archive's key opened the shredded archive")
	}
	if err := s.DestroyKey(keyID); err != nil {
		t.Fatalf("destroying twice: %v", err)
	}
}

// A batch's blobs are in place, intact, once Wait returns; an upload that
// fails reports its error from Put and leaves nothing behind.
func TestBatch(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	b := s.Batch()
	var ds []string
	for i := range 10 {
		d, _, err := b.Put(ctx, strings.NewReader(strings.Repeat("x", i*100_000+1)), 0)
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	if err := b.Wait(); err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if err := s.Verify(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := b.Put(ctx, strings.NewReader("too long"), 3); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("limit: %v", err)
	}
	if left, _ := os.ReadDir(filepath.Join(s.root, "tmp")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

// A crash leaves uploads in tmp/: the next Open removes those older than a
// day and keeps recent ones, which another server sharing the folder may
// still be writing.
func TestOpenSweepsStaleTemporaries(t *testing.T) {
	root := t.TempDir()
	s, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(root, "tmp", "put-stale")
	fresh := filepath.Join(root, "tmp", "put-fresh")
	staleDir, err := s.TempDir("check-*")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{stale, fresh, filepath.Join(staleDir, "model.bin")} {
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-25 * time.Hour)
	for _, p := range []string{stale, staleDir} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Open(root); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{stale: false, staleDir: false, fresh: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s: exists=%v, want %v", filepath.Base(p), err == nil, want)
		}
	}
}

// Link into the store's own temporary folder is a hard link, whatever
// file system the system's temporary folder is on.
func TestTempDirLinksWithoutCopying(t *testing.T) {
	s := open(t)
	d, _, err := s.Put(context.Background(), strings.NewReader("weights"), 0)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := s.TempDir("check-*")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	dst := filepath.Join(dir, "model", "w.bin")
	if err := s.Link(d, dst); err != nil {
		t.Fatal(err)
	}
	a, _ := os.Stat(s.Path(d))
	b, _ := os.Stat(dst)
	if !os.SameFile(a, b) {
		t.Fatal("the blob was copied, not linked")
	}
}
