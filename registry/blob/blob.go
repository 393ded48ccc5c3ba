// Package blob is the registry's artifact store: a local folder where every
// blob is named by the SHA-256 of its content, so a stored model file can
// be checked at any time by hashing it again, and identical files are kept
// once. It also holds the encrypted archives of retired versions and the
// keys that open them (archive.go).
//
// Layout under the root: sha256/ab/abcdef... (blobs), tmp/ (uploads in
// progress), archive/ (encrypted archives) and keys/ (archive keys).
// Writes go to tmp/, are synced, then renamed into place, so a crash never
// leaves a partial blob under its digest.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Errors, wrapped by the functions below; test with errors.Is.
var (
	ErrNotFound = errors.New("blob not found")
	// ErrCorrupt: a blob's content no longer hashes to its name.
	ErrCorrupt = errors.New("blob content does not match its digest")
	// ErrTooLarge: an upload exceeded its limit.
	ErrTooLarge = errors.New("blob exceeds the size limit")
)

// Store is a content-addressed folder. It is safe for concurrent use.
type Store struct {
	root string
}

// Open creates (if needed) and opens the store at root.
func Open(root string) (*Store, error) {
	for _, d := range []string{"sha256", "tmp", "archive", "keys"} {
		mode := os.FileMode(0o755)
		if d == "keys" {
			mode = 0o700
		}
		if err := os.MkdirAll(filepath.Join(root, d), mode); err != nil {
			return nil, fmt.Errorf("blob store: %w", err)
		}
	}
	s := &Store{root: root}
	s.sweepTmp(time.Now().Add(-staleTmpAge))
	return s, nil
}

// staleTmpAge is how old an entry of tmp/ must be before Open removes it:
// old enough that no upload or check still uses it (several servers may
// share the folder), so only what a crash left behind goes.
const staleTmpAge = 24 * time.Hour

// sweepTmp removes the entries of tmp/ last changed before cutoff. It is
// best effort: what it cannot remove now, a later start will.
func (s *Store) sweepTmp(cutoff time.Time) {
	dir := filepath.Join(s.root, "tmp")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.ModTime().Before(cutoff) {
			_ = os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

// TempDir creates a private folder inside the store, on its file system,
// so that Link into it always makes hard links: a model laid out there for
// a check costs no copy, wherever the system's temporary folder is. The
// caller removes it.
func (s *Store) TempDir(pattern string) (string, error) {
	d, err := os.MkdirTemp(filepath.Join(s.root, "tmp"), pattern)
	if err != nil {
		return "", fmt.Errorf("blob store: %w", err)
	}
	return d, nil
}

// ValidDigest reports whether d is a lowercase hex SHA-256, the only names
// blobs have (so a digest from a request can never climb out of the store).
func ValidDigest(d string) bool { return isHex(d, 2*sha256.Size) }

// isHex reports whether s is n lowercase hex digits.
func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Path is where the blob with digest d lives.
func (s *Store) Path(d string) string {
	return filepath.Join(s.root, "sha256", d[:2], d)
}

// Put stores what r yields, at most limit bytes (0: no limit), and returns
// its digest and size once it is durable. The content is hashed as it is
// written; nothing is held in memory beyond a few copy buffers.
func (s *Store) Put(ctx context.Context, r io.Reader, limit int64) (string, int64, error) {
	tmp, d, n, err := s.write(ctx, r, limit)
	if err != nil {
		return "", 0, err
	}
	if err := s.finish(tmp, d); err != nil {
		return "", 0, err
	}
	return d, n, nil
}

// write copies r into a new temporary file, hashing it; the file is left
// open and unsynced for finish.
func (s *Store) write(ctx context.Context, r io.Reader, limit int64) (*os.File, string, int64, error) {
	tmp, err := os.CreateTemp(filepath.Join(s.root, "tmp"), "put-*")
	if err != nil {
		return nil, "", 0, fmt.Errorf("blob store: %w", err)
	}
	src := r
	if limit > 0 {
		src = io.LimitReader(r, limit+1)
	}
	n, sum, err := copyHashing(tmp, ctxReader{ctx, src})
	if err == nil && limit > 0 && n > limit {
		err = fmt.Errorf("%w (%d bytes)", ErrTooLarge, limit)
	}
	if err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, "", 0, fmt.Errorf("blob store: %w", err)
	}
	return tmp, hex.EncodeToString(sum), n, nil
}

// finish makes a written temporary file durable and moves it to its
// content address; the blob exists only from then on.
func (s *Store) finish(tmp *os.File, d string) error {
	defer os.Remove(tmp.Name()) // a no-op once renamed
	err := tmp.Sync()
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("blob store: %w", err)
	}
	return s.commit(tmp.Name(), d)
}

// Batch stores several blobs whose durability is awaited together (the
// files of one push): each is synced and moved into place on a background
// goroutine while the next one streams in, so the disk flush overlaps the
// upload. A blob is at its address only after Wait returns nil.
type Batch struct {
	s   *Store
	wg  sync.WaitGroup
	sem chan struct{}
	mu  sync.Mutex
	err error
}

// Batch starts a batch.
func (s *Store) Batch() *Batch { return &Batch{s: s, sem: make(chan struct{}, 4)} }

// Put writes and hashes r like Store.Put and returns its digest at once;
// the blob becomes durable in the background.
func (b *Batch) Put(ctx context.Context, r io.Reader, limit int64) (string, int64, error) {
	tmp, d, n, err := b.s.write(ctx, r, limit)
	if err != nil {
		return "", 0, err
	}
	b.sem <- struct{}{} // bounds open files and flushes in flight
	b.wg.Add(1)
	go func() {
		defer func() { <-b.sem; b.wg.Done() }()
		if err := b.s.finish(tmp, d); err != nil {
			b.mu.Lock()
			if b.err == nil {
				b.err = err
			}
			b.mu.Unlock()
		}
	}()
	return d, n, nil
}

// Wait waits for every blob of the batch to be durable and returns the
// first error.
func (b *Batch) Wait() error {
	b.wg.Wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// copyHashing copies src to dst and returns the SHA-256 of what it
// copied. Reading, writing and hashing are three stages of a pipeline, each
// on its own goroutine and a chunk apart, so a push costs the slowest of
// the three rather than their sum: on a loaded 2-core machine the reads
// (socket, multipart) and the writes (copies into the page cache) were
// each as long as the hash.
func copyHashing(dst io.Writer, src io.Reader) (int64, []byte, error) {
	const chunk, buffers = 1 << 20, 6
	free := make(chan []byte, buffers)
	for range buffers {
		free <- make([]byte, chunk)
	}
	toWrite, toHash := make(chan []byte, buffers), make(chan []byte, buffers)
	sum := make(chan []byte, 1)
	var werr error
	failed := make(chan struct{}) // closed by the writer on its first error
	go func() {
		h := sha256.New()
		for b := range toHash {
			h.Write(b)
			free <- b[:chunk]
		}
		sum <- h.Sum(nil)
	}()
	go func() {
		defer close(toHash)
		for b := range toWrite {
			if werr == nil {
				if _, werr = dst.Write(b); werr != nil {
					close(failed)
				}
			}
			toHash <- b
		}
	}()
	n, rerr := readChunks(src, free, toWrite, failed)
	close(toWrite)
	digest := <-sum // the writer has finished too: it closed toHash
	if werr != nil {
		return n, digest, werr
	}
	return n, digest, rerr
}

// readChunks is the pipeline's first stage: it fills free buffers from src
// and hands them on until EOF, a read error or the writer's failure.
func readChunks(src io.Reader, free <-chan []byte, out chan<- []byte, failed <-chan struct{}) (int64, error) {
	var n int64
	for {
		var b []byte
		select {
		case b = <-free:
		case <-failed:
			return n, nil
		}
		// Not io.ReadFull: it turns a source's own io.ErrUnexpectedEOF (a
		// truncated multipart part, a body short of its Content-Length)
		// into what looks like a clean end.
		m, err := 0, error(nil)
		for m < len(b) && err == nil {
			var k int
			k, err = src.Read(b[m:])
			m += k
		}
		if m > 0 {
			n += int64(m)
			out <- b[:m]
		}
		switch {
		case err == io.EOF:
			return n, nil
		case err != nil:
			return n, err
		}
	}
}

// commit moves a synced temporary file to its content address. An
// existing blob is kept (same content by construction).
func (s *Store) commit(tmp, d string) error {
	dst := s.Path(d)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("blob store: %w", err)
	}
	if _, err := os.Stat(dst); err == nil {
		return nil
	}
	if err := os.Chmod(tmp, 0o444); err != nil {
		return fmt.Errorf("blob store: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("blob store: %w", err)
	}
	return syncDir(filepath.Dir(dst))
}

// syncDir makes a rename durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("blob store: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("blob store: syncing %s: %w", dir, err)
	}
	return nil
}

// Open opens a blob for reading.
func (s *Store) Open(d string) (*os.File, error) {
	if !ValidDigest(d) {
		return nil, fmt.Errorf("%w: %q is not a SHA-256 digest", ErrNotFound, d)
	}
	f, err := os.Open(s.Path(d))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, d)
	}
	if err != nil {
		return nil, fmt.Errorf("blob store: %w", err)
	}
	return f, nil
}

// Has reports whether the blob exists.
func (s *Store) Has(d string) bool {
	if !ValidDigest(d) {
		return false
	}
	st, err := os.Stat(s.Path(d))
	return err == nil && st.Mode().IsRegular()
}

// Verify hashes the blob again and returns ErrCorrupt when its content no
// longer matches its name (the disk or someone changed it).
func (s *Store) Verify(ctx context.Context, d string) error {
	f, err := s.Open(d)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, f}); err != nil {
		return fmt.Errorf("blob store: reading %s: %w", d, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != d {
		return fmt.Errorf("%w: %s now hashes to %s", ErrCorrupt, d, got)
	}
	return nil
}

// Remove deletes a blob (for garbage collection of unreferenced blobs).
func (s *Store) Remove(d string) error {
	if !ValidDigest(d) {
		return fmt.Errorf("%w: %q is not a SHA-256 digest", ErrNotFound, d)
	}
	if err := os.Remove(s.Path(d)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob store: %w", err)
	}
	return nil
}

// Link makes the blob appear at path (a hard link when the file system
// allows, else a copy), creating parent folders: how a stored model is
// laid out again for verification or serving without copying its bytes.
func (s *Store) Link(d, path string) error {
	if !ValidDigest(d) {
		return fmt.Errorf("%w: %q is not a SHA-256 digest", ErrNotFound, d)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("blob store: %w", err)
	}
	err := os.Link(s.Path(d), path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNotFound, d)
	}
	if err == nil {
		return nil
	}
	src, err := s.Open(d)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return fmt.Errorf("blob store: %w", err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return fmt.Errorf("blob store: %w", err)
	}
	return dst.Close()
}

// SafeRelPath reports whether p (slash separated) stays inside a folder
// when joined to it: no absolute paths, no "..", no empty or "." parts,
// no backslashes or NUL. Model file paths from pushes pass through it.
func SafeRelPath(p string) bool {
	if p == "" || strings.ContainsAny(p, "\\\x00") || strings.HasPrefix(p, "/") {
		return false
	}
	for _, part := range strings.Split(p, "/") {
		if part == "" || part == "." || part == ".." {
			return false
		}
	}
	return true
}

// ctxReader stops a copy when the context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
