package hubtest

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// repo is one served repository.
type repo struct {
	id, commit, dir, branch string
	files                   []*file // sorted by path
	byPath                  map[string]*file
}

// file is one served file with the metadata the hub reports for it.
type file struct {
	path        string // repository-relative, slash-separated
	abs         string
	size        int64
	lfs         bool
	sha256      string // LFS object id, for LFS files
	blobID      string // git blob id: of the content, or of the pointer for LFS files
	pointerSize int64
}

// load indexes the regular files under the repository's folder. Only
// indexed files are ever served, so request paths cannot reach elsewhere.
func (r *repo) load(lfsMin int64) error {
	r.byPath = map[string]*file{}
	err := filepath.WalkDir(r.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(r.dir, p)
		if err != nil {
			return err
		}
		f, err := newFile(filepath.ToSlash(rel), p, lfsMin)
		if err != nil {
			return err
		}
		r.files = append(r.files, f)
		r.byPath[f.path] = f
		return nil
	})
	sort.Slice(r.files, func(i, j int) bool { return r.files[i].path < r.files[j].path })
	return err
}

func newFile(rel, abs string, lfsMin int64) (*file, error) {
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, err
	}
	f := &file{path: rel, abs: abs, size: fi.Size()}
	f.lfs = lfsMin > 0 && f.size >= lfsMin
	if !f.lfs {
		h := sha1.New()
		fmt.Fprintf(h, "blob %d\x00", f.size)
		if err := hashFile(h, abs); err != nil {
			return nil, err
		}
		f.blobID = hex.EncodeToString(h.Sum(nil))
		return f, nil
	}
	h := sha256.New()
	if err := hashFile(h, abs); err != nil {
		return nil, err
	}
	f.sha256 = hex.EncodeToString(h.Sum(nil))
	ptr := fmt.Sprintf("version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n", f.sha256, f.size)
	f.pointerSize = int64(len(ptr))
	sum := sha1.Sum([]byte(fmt.Sprintf("blob %d\x00%s", len(ptr), ptr)))
	f.blobID = hex.EncodeToString(sum[:])
	return f, nil
}

func hashFile(h io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(h, f)
	return err
}

// kindAndID splits "datasets/org/name" into ("datasets", "org/name"); model
// ids have no prefix.
func (r *repo) kindAndID() (kind, id string) {
	for _, k := range []string{"datasets", "spaces"} {
		if rest, ok := strings.CutPrefix(r.id, k+"/"); ok {
			return k, rest
		}
	}
	return "models", r.id
}

// matchRev reports whether rev names this repository's commit or branch.
func (r *repo) matchRev(rev string) bool {
	return rev == r.commit || (r.branch != "" && rev == r.branch)
}
