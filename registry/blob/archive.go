package blob

import (
	"archive/tar"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
)

// Retired versions are archived, not deleted: a tar of their files,
// encrypted with age to a hybrid ML-KEM-768 + X25519 identity made for
// that archive alone. The identity is the archive's only key, kept in
// keys/; destroying it (crypto-shredding) makes the archive unreadable
// for good, wherever copies of the archive went (backups included),
// without finding and overwriting them.

// ErrKeyDestroyed: the archive's key was destroyed; it cannot be opened.
var ErrKeyDestroyed = errors.New("archive key destroyed")

// Entry is one file to archive: its path in the model and its blob.
type Entry struct {
	Path   string
	Digest string
}

// Archive writes the files into a new encrypted archive and returns its
// key id, which names both the archive and its key.
func (s *Store) Archive(ctx context.Context, files []Entry) (string, error) {
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return "", err
	}
	keyID := hex.EncodeToString(id)
	ident, err := age.GenerateHybridIdentity()
	if err != nil {
		return "", fmt.Errorf("archive: %w", err)
	}
	if err := s.writeKey(keyID, ident.String()); err != nil {
		return "", err
	}
	if err := s.writeArchive(ctx, keyID, ident.Recipient(), files); err != nil {
		_ = s.DestroyKey(keyID)
		return "", err
	}
	return keyID, nil
}

func (s *Store) keyPath(keyID string) string { return filepath.Join(s.root, "keys", keyID) }

func (s *Store) archivePath(keyID string) string {
	return filepath.Join(s.root, "archive", keyID+".tar.age")
}

func validKeyID(id string) bool { return isHex(id, 32) }

func (s *Store) writeKey(keyID, secret string) error {
	f, err := os.OpenFile(s.keyPath(keyID), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("archive key: %w", err)
	}
	_, err = f.WriteString(secret + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("archive key: %w", err)
	}
	return syncDir(filepath.Dir(s.keyPath(keyID)))
}

// writeArchive streams tar → age → a temporary file, then renames it.
func (s *Store) writeArchive(ctx context.Context, keyID string, to age.Recipient, files []Entry) error {
	tmp, err := os.CreateTemp(filepath.Join(s.root, "tmp"), "archive-*")
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	defer os.Remove(tmp.Name())
	err = func() error {
		enc, err := age.Encrypt(tmp, to)
		if err != nil {
			return err
		}
		tw := tar.NewWriter(enc)
		for _, e := range files {
			if err := s.addToTar(ctx, tw, e); err != nil {
				return err
			}
		}
		if err := tw.Close(); err != nil {
			return err
		}
		if err := enc.Close(); err != nil {
			return err
		}
		return tmp.Sync()
	}()
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.archivePath(keyID)); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	return syncDir(filepath.Dir(s.archivePath(keyID)))
}

func (s *Store) addToTar(ctx context.Context, tw *tar.Writer, e Entry) error {
	if !SafeRelPath(e.Path) && e.Path != "." {
		return fmt.Errorf("unsafe path %q", e.Path)
	}
	f, err := s.Open(e.Digest)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	name := e.Path
	if name == "." {
		name = "model" // a single-file model
	}
	hdr := &tar.Header{Name: name, Mode: 0o444, Size: st.Size(), ModTime: time.Unix(0, 0), Format: tar.FormatPAX,
		PAXRecords: map[string]string{"MODELWARD.sha256": e.Digest}}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err = io.Copy(tw, ctxReader{ctx, f})
	return err
}

// OpenArchive decrypts an archive and calls fn for each file in it, with
// the path and content. It fails with ErrKeyDestroyed once the key is
// gone.
func (s *Store) OpenArchive(ctx context.Context, keyID string, fn func(path string, r io.Reader) error) error {
	if !validKeyID(keyID) {
		return fmt.Errorf("%w: %q is not an archive key id", ErrNotFound, keyID)
	}
	secret, err := os.ReadFile(s.keyPath(keyID))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrKeyDestroyed, keyID)
	}
	if err != nil {
		return fmt.Errorf("archive key: %w", err)
	}
	ident, err := age.ParseHybridIdentity(strings.TrimSpace(string(secret)))
	if err != nil {
		return fmt.Errorf("archive key %s: %w", keyID, err)
	}
	f, err := os.Open(s.archivePath(keyID))
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	defer f.Close()
	plain, err := age.Decrypt(f, ident)
	if err != nil {
		return fmt.Errorf("archive %s: %w", keyID, err)
	}
	tr := tar.NewReader(ctxReader{ctx, plain})
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("archive %s: %w", keyID, err)
		}
		if err := fn(hdr.Name, tr); err != nil {
			return err
		}
	}
}

// DestroyKey crypto-shreds an archive: the key file is overwritten with
// random bytes, synced and removed. (Overwriting in place defeats recovery
// on ordinary file systems; on copy-on-write file systems and SSDs only
// keeping keys/ on an encrypted volume whose key is rotated guarantees it.)
func (s *Store) DestroyKey(keyID string) error {
	if !validKeyID(keyID) {
		return fmt.Errorf("%w: %q is not an archive key id", ErrNotFound, keyID)
	}
	p := s.keyPath(keyID)
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // already destroyed
	}
	if err != nil {
		return fmt.Errorf("archive key: %w", err)
	}
	st, err := f.Stat()
	if err == nil {
		junk := make([]byte, st.Size())
		_, _ = rand.Read(junk)
		_, err = f.WriteAt(junk, 0)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("archive key: %w", err)
	}
	if err := os.Remove(p); err != nil {
		return fmt.Errorf("archive key: %w", err)
	}
	return syncDir(filepath.Dir(p))
}
