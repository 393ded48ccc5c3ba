package registry

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/modelward/modelward/registry/blob"
	"github.com/modelward/modelward/sign/manifest"
)

// ErrInvalidUpload: a pushed file's path breaks a rule of PathSet.
var ErrInvalidUpload = errors.New("invalid upload")

// PathSet checks the paths of one push, as they arrive, against every rule
// a stored model must keep: relative and clean; no file under the paths a
// signature never covers (.git, .gitattributes, .github, .gitignore), so
// nothing can ride along unsigned and unscanned; no two paths equal after
// Unicode normalisation and case folding, and no file where another path
// needs a folder (a/b beside a), so the model lays out the same on every
// file system; "." only alone.
type PathSet struct {
	files map[string]bool // folded paths of files
	dirs  map[string]bool // folded paths of their parent folders
	n     int
}

// NewPathSet returns an empty set.
func NewPathSet() *PathSet { return &PathSet{files: map[string]bool{}, dirs: map[string]bool{}} }

// Len is the number of paths added.
func (s *PathSet) Len() int { return s.n }

// fold is the form two paths must not share.
func fold(p string) string { return strings.ToLower(norm.NFC.String(p)) }

// Add checks p and adds it; errors wrap ErrInvalidUpload.
func (s *PathSet) Add(p string) error {
	if p != "." && !blob.SafeRelPath(p) {
		return fmt.Errorf("%w: file path %q: use a relative path without '..'", ErrInvalidUpload, p)
	}
	if s.files["."] || (p == "." && s.n > 0) {
		return fmt.Errorf(`%w: "." names a single-file model; it cannot be pushed with other files`, ErrInvalidUpload)
	}
	top, _, _ := strings.Cut(p, "/")
	if slices.Contains(manifest.DefaultIgnorePaths, top) {
		return fmt.Errorf("%w: %q is under %s, which signatures never cover: leave it out of the push", ErrInvalidUpload, p, top)
	}
	key := fold(p)
	if s.files[key] || s.dirs[key] {
		return fmt.Errorf("%w: %q collides with another path of the push (paths must differ in more than case or Unicode form, and a file cannot share a folder's name)", ErrInvalidUpload, p)
	}
	parts := strings.Split(key, "/")
	for i := 1; i < len(parts); i++ {
		if s.files[strings.Join(parts[:i], "/")] {
			return fmt.Errorf("%w: %q needs a folder where another file of the push is", ErrInvalidUpload, p)
		}
	}
	for i := 1; i < len(parts); i++ {
		s.dirs[strings.Join(parts[:i], "/")] = true
	}
	s.files[key] = true
	s.n++
	return nil
}
