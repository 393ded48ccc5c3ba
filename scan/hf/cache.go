package hf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// Snapshot is one revision of one repository in a hub cache.
type Snapshot struct {
	Repo     string   // "org/name", "name", "datasets/org/name", "spaces/org/name"
	Revision string   // the snapshot folder's name: the commit hash
	Refs     []string // branch or tag names whose refs/ file names this revision, e.g. "main"
	Dir      string   // the snapshot folder
	Files    []CachedFile
}

// CachedFile is one file of a snapshot. Path "." stands for the snapshot
// folder itself (when it is a symbolic link, which is not followed).
type CachedFile struct {
	Path    string // repo-relative, slash-separated
	Real    string // resolved file to read, "" if unsafe
	Size    int64
	Problem string // why not safe: link escapes blobs/, dangling, loop, not a regular file
	// Limit is set when Problem is a walk limit that was reached (the rest
	// was not listed) rather than an unsafe entry.
	Limit bool
}

const (
	// MaxCacheFiles bounds the files listed by one FindCache call.
	MaxCacheFiles = 200_000
	maxCacheDepth = 64
	maxRefs       = 1_000
	maxRefBytes   = 256
)

var repoPrefixes = []struct{ folder, repo string }{
	{"models--", ""}, {"datasets--", "datasets/"}, {"spaces--", "spaces/"},
}

// FindCache lists the snapshots under root, which may be a hub cache folder
// (holding models--org--name folders, or a "hub" folder that does), one
// repository folder, its snapshots folder, or one snapshot folder. It
// returns nil, nil when root is none of these: the caller then scans root as
// a plain folder. Only snapshots are walked, never blobs/ (whose files are
// reached through the snapshot links), refs/ or .no_exist/.
func FindCache(root string) ([]Snapshot, error) {
	real, err := filepath.EvalSymlinks(root) // the caller chose root; links inside it are judged
	if err != nil {
		return nil, err
	}
	w := &walker{}
	if repo, rev, ok := snapshotRoot(real); ok {
		s, err := w.snapshot(repo, rev)
		if err != nil {
			return nil, err
		}
		return []Snapshot{s}, nil
	}
	for _, dir := range []string{real, filepath.Dir(real)} {
		if isRepoFolder(dir) && (dir == real || filepath.Base(real) == "snapshots") {
			return w.repo(dir)
		}
	}
	for _, dir := range []string{real, filepath.Join(real, "hub")} {
		if repos := repoFolders(dir); len(repos) > 0 {
			return w.repos(repos)
		}
	}
	return nil, nil
}

// snapshotRoot reports whether dir is <repo folder>/snapshots/<rev>.
func snapshotRoot(dir string) (repo, rev string, ok bool) {
	snaps := filepath.Dir(dir)
	repo = filepath.Dir(snaps)
	ok = filepath.Base(snaps) == "snapshots" && isRepoFolder(repo)
	return repo, filepath.Base(dir), ok
}

// repoName turns "models--org--name" into "org/name" (with a type prefix
// for datasets and spaces); ok is false for other names.
func repoName(folder string) (string, bool) {
	for _, p := range repoPrefixes {
		if rest, ok := strings.CutPrefix(folder, p.folder); ok && rest != "" {
			return p.repo + strings.ReplaceAll(rest, "--", "/"), true
		}
	}
	return "", false
}

// isRepoFolder: a real (not linked) folder with a cache name and a
// snapshots folder.
func isRepoFolder(dir string) bool {
	if _, ok := repoName(filepath.Base(dir)); !ok {
		return false
	}
	fi, err := os.Lstat(filepath.Join(dir, "snapshots"))
	return err == nil && fi.IsDir()
}

func repoFolders(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if p := filepath.Join(dir, e.Name()); e.IsDir() && isRepoFolder(p) {
			out = append(out, p)
		}
	}
	return out // ReadDir sorts by name
}

// walker carries the file budget across one FindCache call, and each
// repository's refs so they are read once.
type walker struct {
	files int
	refs  map[string]map[string][]string
}

func (w *walker) repos(dirs []string) ([]Snapshot, error) {
	var out []Snapshot
	for _, d := range dirs {
		s, err := w.repo(d)
		if err != nil {
			return nil, err
		}
		out = append(out, s...)
	}
	return out, nil
}

// repo lists every snapshot of one repository folder.
func (w *walker) repo(dir string) ([]Snapshot, error) {
	entries, err := os.ReadDir(filepath.Join(dir, "snapshots"))
	if err != nil {
		return nil, err
	}
	var out []Snapshot
	for _, e := range entries {
		s, err := w.snapshot(dir, e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// snapshot lists one snapshot folder.
func (w *walker) snapshot(repoDir, rev string) (Snapshot, error) {
	name, _ := repoName(filepath.Base(repoDir))
	s := Snapshot{Repo: name, Revision: rev, Dir: filepath.Join(repoDir, "snapshots", rev)}
	if w.refs == nil {
		w.refs = map[string]map[string][]string{}
	}
	refs, ok := w.refs[repoDir]
	if !ok {
		var err error
		if refs, err = readRefs(repoDir); err != nil {
			return Snapshot{}, err
		}
		w.refs[repoDir] = refs
	}
	s.Refs = refs[rev]
	fi, err := os.Lstat(s.Dir)
	if err != nil {
		return Snapshot{}, err
	}
	if !fi.IsDir() {
		s.Files = []CachedFile{{Path: ".", Problem: describeNonFolder(s.Dir, fi)}}
		return s, nil
	}
	blobs, err := blobsDir(repoDir)
	if err != nil {
		s.Files = []CachedFile{{Path: ".", Problem: err.Error()}}
		return s, nil
	}
	lk := linkJudge{blobs: blobs}
	w.walk(&s, lk, s.Dir, "", 0)
	sort.Slice(s.Files, func(i, j int) bool { return s.Files[i].Path < s.Files[j].Path })
	return s, nil
}

func describeNonFolder(path string, fi os.FileInfo) string {
	if fi.Mode()&os.ModeSymlink != 0 {
		target, _ := os.Readlink(path)
		return fmt.Sprintf("snapshot folder is a symbolic link (to %q): not followed", target)
	}
	return "snapshot entry is not a folder"
}

// blobsDir returns the repository's blobs folder, which must be a real
// folder: if it were a link, "inside blobs/" would mean wherever it points.
// A repository without blobs/ (copies only) gets "" and then accepts no
// links at all.
func blobsDir(repoDir string) (string, error) {
	p := filepath.Join(repoDir, "blobs")
	fi, err := os.Lstat(p)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", nil
	case err != nil:
		return "", err
	case !fi.IsDir():
		return "", errors.New("blobs/ is not a real folder (a symbolic link or a file): snapshot links not followed")
	}
	return p, nil
}

// walk lists dir (at repo-relative rel) into s, depth-first.
func (w *walker) walk(s *Snapshot, lk linkJudge, dir, rel string, depth int) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		s.Files = append(s.Files, CachedFile{Path: relOrDot(rel), Problem: "cannot list folder: " + err.Error()})
		return
	}
	for _, e := range entries {
		if w.files >= MaxCacheFiles {
			s.Files = append(s.Files, CachedFile{Path: relOrDot(rel), Limit: true,
				Problem: fmt.Sprintf("more than %d files in the cache: the rest was not listed", MaxCacheFiles)})
			return
		}
		p, r := filepath.Join(dir, e.Name()), joinRel(rel, e.Name())
		if e.IsDir() && e.Type()&os.ModeSymlink == 0 {
			if depth+1 >= maxCacheDepth {
				s.Files = append(s.Files, CachedFile{Path: r, Limit: true,
					Problem: fmt.Sprintf("folders nested deeper than %d: not walked", maxCacheDepth)})
				continue
			}
			w.walk(s, lk, p, r, depth+1)
			continue
		}
		w.files++
		s.Files = append(s.Files, lk.judge(p, r))
	}
}

func relOrDot(rel string) string {
	if rel == "" {
		return "."
	}
	return rel
}

func joinRel(rel, name string) string {
	if rel == "" {
		return name
	}
	return rel + "/" + name
}

// linkJudge decides whether a snapshot entry may be read.
type linkJudge struct {
	blobs string // the repository's blobs folder, "" if it has none
}

// judge resolves one snapshot entry. Regular files (copies, where links are
// not available) are read in place; a link must end, through any number of
// links (bounded by the kernel's loop limit), at a regular file inside the
// same repository's blobs folder.
func (lk linkJudge) judge(path, rel string) CachedFile {
	cf := CachedFile{Path: rel}
	lfi, err := os.Lstat(path)
	if err != nil {
		cf.Problem = "cannot stat: " + err.Error()
		return cf
	}
	if lfi.Mode().IsRegular() {
		cf.Real, cf.Size = path, lfi.Size()
		return cf
	}
	if lfi.Mode()&os.ModeSymlink == 0 {
		cf.Problem = "not a regular file (" + lfi.Mode().Type().String() + ")"
		return cf
	}
	target, _ := os.Readlink(path)
	fi, err := os.Stat(path) // follows links; ELOOP on a cycle
	switch {
	case errors.Is(err, syscall.ELOOP):
		cf.Problem = fmt.Sprintf("symbolic link loop (link to %q)", target)
		return cf
	case errors.Is(err, os.ErrNotExist):
		cf.Problem = fmt.Sprintf("dangling symbolic link (to %q)", target)
		return cf
	case err != nil:
		cf.Problem = "cannot follow symbolic link: " + err.Error()
		return cf
	}
	if fi.IsDir() {
		cf.Problem = fmt.Sprintf("symbolic link to a folder (%q): not followed", target)
		return cf
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		cf.Problem = "cannot follow symbolic link: " + err.Error()
		return cf
	}
	if !lk.inBlobs(real) {
		cf.Problem = fmt.Sprintf("symbolic link escapes the repository's blobs/ folder (to %q)", target)
		return cf
	}
	if !fi.Mode().IsRegular() {
		cf.Problem = fmt.Sprintf("symbolic link to something that is not a regular file (%q)", target)
		return cf
	}
	cf.Real, cf.Size = real, fi.Size()
	return cf
}

func (lk linkJudge) inBlobs(real string) bool {
	if lk.blobs == "" {
		return false
	}
	rel, err := filepath.Rel(lk.blobs, real)
	return err == nil && rel != "." && !strings.HasPrefix(rel, "..") && !filepath.IsAbs(rel)
}

// readRefs maps each commit to the refs naming it: refs/<name> files hold a
// commit hash (names may have slashes, like refs/pr/1).
func readRefs(repoDir string) (map[string][]string, error) {
	base := filepath.Join(repoDir, "refs")
	out := map[string][]string{}
	n := 0
	err := filepath.WalkDir(base, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || n >= maxRefs {
			return nil // unreadable or odd refs only lose a label
		}
		n++
		if commit := readRef(p); commit != "" {
			rel, _ := filepath.Rel(base, p)
			out[commit] = append(out[commit], filepath.ToSlash(rel))
		}
		return nil
	})
	return out, err
}

func readRef(p string) string {
	f, err := os.Open(p)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, maxRefBytes))
	c := string(bytes.TrimSpace(b))
	if !isCommitHash(c) {
		return ""
	}
	return c
}
