package webhook

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// CursorStore keeps, for each endpoint (by Endpoint.ID), the sequence
// number of the last audit entry it is done with: delivered, skipped or
// filtered out. The dispatcher calls it from one goroutine per endpoint,
// each with its own id.
type CursorStore interface {
	// Load returns the saved cursor, or an error wrapping ErrNoCursor
	// when none was ever saved.
	Load(endpointID string) (int64, error)
	// Save records seq durably before returning.
	Save(endpointID string, seq int64) error
}

// ErrNoCursor is what Load returns for an endpoint with no saved cursor.
var ErrNoCursor = errors.New("no saved webhook cursor")

// FileCursors keeps cursors as files in dir, one per endpoint, holding the
// sequence number in decimal. The directory is created (mode 0700) on the
// first Save. Saves are atomic: a temporary file is written and synced,
// renamed over the old one, and the directory is synced, so a crash
// leaves the old cursor or the new one.
func FileCursors(dir string) CursorStore { return fileCursors{dir: dir} }

type fileCursors struct{ dir string }

// maxCursorFile bounds what Load reads: a decimal int64 and a newline.
const maxCursorFile = 32

func (c fileCursors) path(id string) (string, error) {
	if id == "" || len(id) > 128 || strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != "" {
		return "", fmt.Errorf("webhook cursor: invalid endpoint id %q (letters, digits, _ and - only)", id)
	}
	return filepath.Join(c.dir, id+".cursor"), nil
}

func (c fileCursors) Load(id string) (int64, error) {
	p, err := c.path(id)
	if err != nil {
		return 0, err
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("%w for %s in %s", ErrNoCursor, id, c.dir)
	}
	if err != nil {
		return 0, fmt.Errorf("webhook cursor: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxCursorFile+1))
	if err != nil {
		return 0, fmt.Errorf("webhook cursor: read %s: %w", p, err)
	}
	s := strings.TrimSuffix(string(b), "\n")
	seq, err := strconv.ParseInt(s, 10, 64)
	if len(b) > maxCursorFile || err != nil || seq < 0 || s[0] == '+' {
		return 0, fmt.Errorf("webhook cursor: %s is damaged: it does not hold a sequence number; delete it to start the endpoint at the log's end", p)
	}
	return seq, nil
}

func (c fileCursors) Save(id string, seq int64) (err error) {
	p, err := c.path(id)
	if err != nil {
		return err
	}
	if seq < 0 {
		return fmt.Errorf("webhook cursor: negative sequence number %d", seq)
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return fmt.Errorf("webhook cursor: %w", err)
	}
	f, err := os.CreateTemp(c.dir, id+".tmp-*")
	if err != nil {
		return fmt.Errorf("webhook cursor: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.WriteString(strconv.FormatInt(seq, 10) + "\n"); err != nil {
		return fmt.Errorf("webhook cursor: write %s: %w", f.Name(), err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("webhook cursor: sync %s: %w", f.Name(), err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("webhook cursor: close %s: %w", f.Name(), err)
	}
	if err = os.Rename(f.Name(), p); err != nil {
		return fmt.Errorf("webhook cursor: %w", err)
	}
	return syncDir(c.dir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("webhook cursor: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("webhook cursor: sync directory %s: %w", dir, err)
	}
	return nil
}
