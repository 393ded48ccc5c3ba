// Package manifest implements the serialization half of the OpenSSF model
// signing format (the reference is the Python package model_signing v1.x):
// it turns a model folder or file into a sorted list of resources with their
// digests and renders the in-toto Statement v1 that gets signed.
//
// Hash types are sha256 (the default), blake2b and blake3, as in the
// reference. Two methods exist:
//
//   - "files": one resource per regular file, named by its slash-separated path
//     relative to the model root (a single-file model yields one resource named
//     "."), digest = the plain hash of the whole file. Empty files are listed
//     with the digest of the empty string.
//   - "shards": every file is cut into ShardSize-byte pieces, resource names are
//     "path:start:end" (end exclusive) and the algorithm is
//     "<hash>-sharded-<ShardSize>". Empty files produce no resources.
//
// Resources are ordered like the reference orders them: by path components
// (so "a/b" < "a-b" < "a.b"), then by numeric shard start. The subject digest
// is sha256 over the concatenation of the raw resource digests in that order.
package manifest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Format constants shared with the reference implementation.
const (
	StatementType = "https://in-toto.io/Statement/v1"
	PredicateType = "https://model_signing/signature/v1.0"
	PayloadType   = "application/vnd.in-toto+json"

	MethodFiles  = "files"
	MethodShards = "shards"

	// DefaultShardSize is the reference's default shard size.
	DefaultShardSize int64 = 1_000_000_000
)

// DefaultIgnorePaths are always ignored (relative to the model root).
var DefaultIgnorePaths = []string{".git", ".gitattributes", ".github", ".gitignore"}

// Resource is one signed item: a file (files mode) or a shard (shards mode).
type Resource struct {
	Name, Algorithm string
	Digest          []byte
}

// Manifest is the serialized description of a model.
type Manifest struct {
	Method        string // "files" | "shards"
	HashType      string
	ShardSize     int64 // only meaningful for "shards"
	AllowSymlinks bool
	IgnorePaths   []string // recorded as serialization.ignore_paths when non-empty
	Resources     []Resource
	ModelName     string // in-toto subject name: base name of the model folder or file
	// Unlisted and Resized are filled only when Options.Expect is set: the
	// files that were not hashed because the expected manifest does not
	// list them, or (shards) lists them with another size.
	Unlisted, Resized []string
}

// Options controls Build.
type Options struct {
	// Method is "files" (default when empty) or "shards".
	Method string
	// ShardSize is the shard length in bytes for "shards" (default 1,000,000,000).
	ShardSize int64
	// IgnorePaths are slash- or OS-separated paths relative to the model root;
	// a path ignores itself and everything below it. DefaultIgnorePaths are
	// always added.
	IgnorePaths []string
	// AllowSymlinks makes Build follow symbolic links to regular files. When
	// false, any symlink in the model is an error naming the link.
	AllowSymlinks bool
	// HashType is sha256 (default when empty), blake2b or blake3 (or an
	// alias NormalizeHashType accepts).
	HashType string
	// Expect, when set (a signed manifest being verified), limits hashing
	// to what it can match: files it does not list are reported in
	// Manifest.Unlisted without being read, and in shards mode files whose
	// size differs from the signed one in Manifest.Resized. A verifier must
	// not spend hours hashing a huge sparse file someone dropped into the
	// model only to say it was not signed.
	Expect *Manifest
	// Workers bounds the hashing pool (0 = GOMAXPROCS).
	Workers int
	// SplitSize: in "files" mode with blake3, files larger than this are
	// hashed in parallel 8 MiB pieces merged as BLAKE3's tree merges them
	// (0 means 16 MiB). sha256 and blake2b are sequential constructions: a
	// file's files-mode digest cannot come from parallel pieces, so there
	// parallelism is across files (largest first). In "shards" mode every
	// shard is an independent unit of work on any hash.
	SplitSize int64
}

type fileItem struct {
	rel  string // slash path relative to root, "." for a single-file model
	abs  string
	size int64
}

// A job is one unit of hashing work. Most jobs yield a resource's digest;
// a blake3 file split for parallel hashing yields segment jobs and one tail
// job, merged into the file's digest after all are done.
type job struct {
	res        int // index of the resource the job contributes to
	file       *fileItem
	start, end int64
	part       part
	hashType   string
}

type part uint8

const (
	whole   part = iota // the digest of [start, end)
	segment             // the BLAKE3 chaining value of an aligned segment
	tail                // BLAKE3 subtrees and last chunk of a split file
)

// result is what a job yields: a digest, or BLAKE3 pieces.
type result struct {
	digest   []byte
	subtrees []b3sub
	last     []byte
}

type b3sub struct {
	cv     [8]uint32
	height int
}

const readBufSize = 1 << 20

// Build walks path (a folder or a single file) and hashes it into a Manifest.
func Build(ctx context.Context, root string, opt Options) (*Manifest, error) {
	method := opt.Method
	if method == "" {
		method = MethodFiles
	}
	shardSize := opt.ShardSize
	switch method {
	case MethodFiles:
		shardSize = 0
	case MethodShards:
		if shardSize == 0 {
			shardSize = DefaultShardSize
		}
		if shardSize < 0 {
			return nil, fmt.Errorf("manifest: invalid shard size %d", shardSize)
		}
	default:
		return nil, fmt.Errorf("manifest: unknown method %q", method)
	}
	hashType, err := NormalizeHashType(opt.HashType)
	if err != nil {
		return nil, err
	}
	ignores, err := normalizeIgnores(opt.IgnorePaths)
	if err != nil {
		return nil, err
	}

	root = filepath.Clean(root)
	st, err := os.Lstat(root)
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if st.Mode()&fs.ModeSymlink != 0 {
		if !opt.AllowSymlinks {
			return nil, fmt.Errorf("manifest: model path %s is a symbolic link and symlinks are not allowed", root)
		}
		if st, err = os.Stat(root); err != nil {
			return nil, fmt.Errorf("manifest: %w", err)
		}
	}
	name := filepath.Base(root)
	if abs, err := filepath.Abs(root); err == nil {
		name = filepath.Base(abs)
	}

	var files []*fileItem
	switch {
	case st.Mode().IsRegular():
		files = []*fileItem{{rel: ".", abs: root, size: st.Size()}}
	case st.IsDir():
		files, err = walk(ctx, root, ignores, opt.AllowSymlinks)
		if err != nil {
			return nil, err
		}
		sort.Slice(files, func(i, j int) bool { return ComparePaths(files[i].rel, files[j].rel) < 0 })
	default:
		return nil, fmt.Errorf("manifest: %s is neither a regular file nor a directory", root)
	}

	var unlisted, resized []string
	if opt.Expect != nil {
		files, unlisted, resized = expected(files, opt.Expect)
	}
	names, jobs := plan(files, method, hashType, shardSize, opt.SplitSize)
	results, err := hashAll(ctx, jobs, opt.Workers)
	if err != nil {
		return nil, err
	}

	m := &Manifest{
		Method:        method,
		HashType:      hashType,
		ShardSize:     shardSize,
		AllowSymlinks: opt.AllowSymlinks,
		IgnorePaths:   ignores,
		ModelName:     name,
		Resources:     make([]Resource, len(names)),
		Unlisted:      unlisted,
		Resized:       resized,
	}
	alg := hashType
	if method == MethodShards {
		alg = shardAlgorithm(hashType, shardSize)
	}
	for i, n := range names {
		m.Resources[i] = Resource{Name: n, Algorithm: alg}
	}
	var tree b3tree
	for i, j := range jobs {
		r := results[i]
		switch j.part {
		case whole:
			m.Resources[j.res].Digest = r.digest
		case segment, tail:
			if j.start == 0 {
				tree = b3tree{}
			}
			for _, s := range r.subtrees {
				tree.push(s.cv, s.height)
			}
			if j.part == tail {
				m.Resources[j.res].Digest = tree.sum(r.last)
			}
		}
	}
	return m, nil
}

// expected keeps the files exp can match and names the others: unlisted
// (exp has no resource of the file) and resized (a shards manifest whose
// shards end elsewhere than the file does).
func expected(files []*fileItem, exp *Manifest) (keep []*fileItem, unlisted, resized []string) {
	sizes := map[string]int64{} // file → size the shards imply; -1 in files mode
	for _, r := range exp.Resources {
		if exp.Method != MethodShards {
			sizes[r.Name] = -1
			continue
		}
		path, _, end, _ := SplitShardName(r.Name)
		sizes[path] = max(sizes[path], end)
	}
	for _, f := range files {
		want, ok := sizes[f.rel]
		switch {
		case !ok && !(exp.Method == MethodShards && f.size == 0): // empty files have no shards
			unlisted = append(unlisted, f.rel)
		case ok && want >= 0 && want != f.size:
			resized = append(resized, f.rel)
		default:
			keep = append(keep, f)
		}
	}
	return keep, unlisted, resized
}

// plan lists the resource names in payload order and the jobs that hash
// them; a split file's jobs are contiguous and in file order.
func plan(files []*fileItem, method, hashType string, shardSize, splitSize int64) ([]string, []job) {
	if splitSize <= 0 {
		splitSize = 2 * b3Segment
	}
	var names []string
	var jobs []job
	for _, f := range files {
		if method == MethodShards {
			for s := int64(0); s < f.size; s += shardSize {
				e := min(s+shardSize, f.size)
				jobs = append(jobs, job{res: len(names), file: f, start: s, end: e, hashType: hashType})
				names = append(names, fmt.Sprintf("%s:%d:%d", f.rel, s, e))
			}
			continue
		}
		res := len(names)
		names = append(names, f.rel)
		if hashType != HashBLAKE3 || f.size <= max(splitSize, b3Segment) {
			jobs = append(jobs, job{res: res, file: f, start: 0, end: f.size, hashType: hashType})
			continue
		}
		// Segments cover [0, L) where L is the last segment boundary before
		// the end, so the tail is never empty and holds the final chunk.
		l := (f.size - 1) / b3Segment * b3Segment
		for s := int64(0); s < l; s += b3Segment {
			jobs = append(jobs, job{res: res, file: f, start: s, end: s + b3Segment, part: segment, hashType: hashType})
		}
		jobs = append(jobs, job{res: res, file: f, start: l, end: f.size, part: tail, hashType: hashType})
	}
	return names, jobs
}

func shardAlgorithm(hashType string, size int64) string {
	return hashType + "-sharded-" + strconv.FormatInt(size, 10)
}

func normalizeIgnores(extra []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, p := range append(append([]string{}, DefaultIgnorePaths...), extra...) {
		p = path.Clean(filepath.ToSlash(p))
		if p == "." || p == "" || path.IsAbs(p) || p == ".." || strings.HasPrefix(p, "../") {
			return nil, fmt.Errorf("manifest: ignore path %q must be relative to the model root", p)
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out, nil
}

func ignored(rel string, ignores []string) bool {
	for _, ig := range ignores {
		if rel == ig || strings.HasPrefix(rel, ig+"/") {
			return true
		}
	}
	return false
}

func walk(ctx context.Context, root string, ignores []string, allowSymlinks bool) ([]*fileItem, error) {
	var out []*fileItem
	var rec func(dirAbs, dirRel string) error
	rec = func(dirAbs, dirRel string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		entries, err := os.ReadDir(dirAbs)
		if err != nil {
			return fmt.Errorf("manifest: %w", err)
		}
		for _, e := range entries {
			rel := e.Name()
			if dirRel != "" {
				rel = dirRel + "/" + e.Name()
			}
			if ignored(rel, ignores) {
				continue
			}
			abs := filepath.Join(dirAbs, e.Name())
			mode := e.Type()
			if mode&fs.ModeSymlink != 0 {
				if !allowSymlinks {
					return fmt.Errorf("manifest: %s is a symbolic link and symlinks are not allowed", rel)
				}
				st, err := os.Stat(abs)
				if err != nil {
					return fmt.Errorf("manifest: symbolic link %s: %w", rel, err)
				}
				if !st.Mode().IsRegular() {
					return fmt.Errorf("manifest: symbolic link %s does not point to a regular file", rel)
				}
				out = append(out, &fileItem{rel: rel, abs: abs, size: st.Size()})
				continue
			}
			switch {
			case mode.IsDir():
				if err := rec(abs, rel); err != nil {
					return err
				}
			case mode.IsRegular():
				info, err := e.Info()
				if err != nil {
					return fmt.Errorf("manifest: %w", err)
				}
				out = append(out, &fileItem{rel: rel, abs: abs, size: info.Size()})
			default:
				return fmt.Errorf("manifest: %s is not a regular file, directory or symlink", rel)
			}
		}
		return nil
	}
	if err := rec(root, ""); err != nil {
		return nil, err
	}
	return out, nil
}

// ComparePaths orders slash-separated relative paths by their components,
// like Python's pathlib ordering used by the reference: "a/b" < "a-b" < "a.b".
func ComparePaths(a, b string) int {
	for {
		ai, bi := strings.IndexByte(a, '/'), strings.IndexByte(b, '/')
		ah, bh := a, b
		if ai >= 0 {
			ah = a[:ai]
		}
		if bi >= 0 {
			bh = b[:bi]
		}
		if c := strings.Compare(ah, bh); c != 0 {
			return c
		}
		switch {
		case ai < 0 && bi < 0:
			return 0
		case ai < 0:
			return -1
		case bi < 0:
			return 1
		}
		a, b = a[ai+1:], b[bi+1:]
	}
}

func hashAll(ctx context.Context, jobs []job, workers int) ([]result, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(jobs)))
	out := make([]result, len(jobs))
	if len(jobs) == 0 {
		return out, nil
	}
	// Schedule the largest pieces first for better balance.
	order := make([]int, len(jobs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(x, y int) bool {
		return jobs[order[x]].end-jobs[order[x]].start > jobs[order[y]].end-jobs[order[y]].start
	})

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan int)
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := &hasher{buf: make([]byte, readBufSize)}
			defer h.close()
			for i := range ch {
				r, err := h.hash(ctx, jobs[i])
				if err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
					continue
				}
				out[i] = r
			}
		}()
	}
feed:
	for _, i := range order {
		select {
		case ch <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(ch)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// hasher is per-worker state: a read buffer, a segment buffer for split
// BLAKE3 files (allocated on first use) and the last opened file.
type hasher struct {
	buf  []byte
	seg  []byte
	path string
	f    *os.File
}

func (h *hasher) close() {
	if h.f != nil {
		_ = h.f.Close()
		h.f = nil
	}
}

func (h *hasher) open(j job) error {
	if h.f != nil && h.path == j.file.abs {
		return nil
	}
	h.close()
	f, err := os.Open(j.file.abs)
	if err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	h.f, h.path = f, j.file.abs
	return nil
}

func (h *hasher) hash(ctx context.Context, j job) (result, error) {
	if err := h.open(j); err != nil {
		return result{}, err
	}
	if j.part == whole {
		s := newHash(j.hashType)
		err := h.read(ctx, j, func(p []byte) { s.Write(p) })
		return result{digest: s.Sum(nil)}, err
	}
	if j.part == segment {
		// Read in buffer-sized pieces (whole groups, as the buffer and the
		// segment are multiples of the group size) and compress each while
		// it is still in the CPU cache.
		var t b3tree
		counter := uint64(j.start / 1024)
		err := h.read(ctx, j, func(p []byte) { b3compress(&t, p, &counter) })
		return result{subtrees: []b3sub{{t.stack[13], 13}}}, err
	}
	if h.seg == nil {
		h.seg = make([]byte, b3Segment)
	}
	buf := h.seg[:0]
	if err := h.read(ctx, j, func(p []byte) { buf = append(buf, p...) }); err != nil {
		return result{}, err
	}
	subs, last := b3tail(uint64(j.start/1024), buf)
	// last points into the worker's buffer, which the next job reuses.
	return result{subtrees: subs, last: append([]byte(nil), last...)}, nil
}

// read feeds [j.start, j.end) of the open file to use in buffer-sized
// pieces, failing when the file shrank under us.
func (h *hasher) read(ctx context.Context, j job, use func([]byte)) error {
	for off := j.start; off < j.end; {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := int(min(int64(len(h.buf)), j.end-off))
		r, err := h.f.ReadAt(h.buf[:n], off)
		use(h.buf[:r])
		off += int64(r)
		if err != nil {
			if errors.Is(err, io.EOF) && off < j.end {
				return fmt.Errorf("manifest: %s shrank while hashing", j.file.rel)
			}
			if !errors.Is(err, io.EOF) {
				return fmt.Errorf("manifest: %s: %w", j.file.rel, err)
			}
		}
	}
	return nil
}

// SubjectDigest is sha256 over the concatenated raw resource digests, in
// payload (Resources) order.
func (m *Manifest) SubjectDigest() []byte {
	s := sha256.New()
	for _, r := range m.Resources {
		s.Write(r.Digest)
	}
	return s.Sum(nil)
}

// shardSizeJSON marshals as a float with a ".0" suffix (like the reference's
// 1000000000.0) and unmarshals from an integer or an integral float.
type shardSizeJSON int64

func (s shardSizeJSON) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatInt(int64(s), 10) + ".0"), nil
}

type jsonStatement struct {
	Type          string        `json:"_type"`
	Subject       []jsonSubject `json:"subject"`
	PredicateType string        `json:"predicateType"`
	Predicate     jsonPredicate `json:"predicate"`
}

type jsonSubject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

type jsonPredicate struct {
	Serialization jsonSerialization `json:"serialization"`
	Resources     []jsonResource    `json:"resources"`
}

type jsonSerialization struct {
	Method        string         `json:"method"`
	HashType      string         `json:"hash_type"`
	AllowSymlinks bool           `json:"allow_symlinks"`
	ShardSize     *shardSizeJSON `json:"shard_size,omitempty"`
	IgnorePaths   []string       `json:"ignore_paths,omitempty"`
}

type jsonResource struct {
	Algorithm string `json:"algorithm"`
	Digest    string `json:"digest"`
	Name      string `json:"name"`
}

// Statement renders the in-toto Statement v1 payload. Layout follows what the
// reference v1.0.x emits: two-space indentation; keys _type, subject,
// predicateType, predicate; serialization {method, hash_type, allow_symlinks,
// shard_size (shards only, as a float such as 8.0), ignore_paths (when
// non-empty; v1.0.x never wrote it, v1.1.x writes it in set order)};
// resources {algorithm, digest, name}. v1.1.x emits keys in other orders,
// which is irrelevant to JSON equality.
func (m *Manifest) Statement() ([]byte, error) {
	if m.Method != MethodFiles && m.Method != MethodShards {
		return nil, fmt.Errorf("manifest: unknown method %q", m.Method)
	}
	st := jsonStatement{
		Type: StatementType,
		Subject: []jsonSubject{{
			Name:   m.ModelName,
			Digest: map[string]string{HashSHA256: hex.EncodeToString(m.SubjectDigest())},
		}},
		PredicateType: PredicateType,
		Predicate: jsonPredicate{
			Serialization: jsonSerialization{
				Method:        m.Method,
				HashType:      m.HashType,
				AllowSymlinks: m.AllowSymlinks,
				IgnorePaths:   m.IgnorePaths,
			},
			Resources: make([]jsonResource, len(m.Resources)),
		},
	}
	if m.Method == MethodShards {
		s := shardSizeJSON(m.ShardSize)
		st.Predicate.Serialization.ShardSize = &s
	}
	for i, r := range m.Resources {
		st.Predicate.Resources[i] = jsonResource{Algorithm: r.Algorithm, Digest: hex.EncodeToString(r.Digest), Name: r.Name}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(st); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Paths returns the files of a "files" manifest built from root, in
// resource order: root itself for a single-file model, else each resource
// name joined to root.
func (m *Manifest) Paths(root string) []string {
	out := make([]string, 0, len(m.Resources))
	for _, r := range m.Resources {
		if r.Name == "." {
			out = append(out, root)
		} else {
			out = append(out, filepath.Join(root, filepath.FromSlash(r.Name)))
		}
	}
	return out
}

// FileDigest is a file's path in a model and the SHA-256 of its content.
type FileDigest struct {
	Path   string // slash separated; "." for a single-file model
	SHA256 []byte
}

// FromDigests builds the "files"/sha256 manifest of a model whose file
// digests are already known (a registry computes them as it stores the
// files), so it need not hash the model again. Files under ignore paths
// (and the default ones) are left out, as Build leaves them out.
func FromDigests(name string, files []FileDigest, ignorePaths []string) (*Manifest, error) {
	ignores, err := normalizeIgnores(ignorePaths)
	if err != nil {
		return nil, err
	}
	m := &Manifest{Method: MethodFiles, HashType: HashSHA256, IgnorePaths: ignores, ModelName: name}
	for _, f := range files {
		if len(f.SHA256) != sha256.Size {
			return nil, fmt.Errorf("manifest: %s: a SHA-256 digest has %d bytes, not %d", f.Path, sha256.Size, len(f.SHA256))
		}
		if f.Path != "." && ignored(f.Path, ignores) {
			continue
		}
		m.Resources = append(m.Resources, Resource{Name: f.Path, Algorithm: HashSHA256, Digest: f.SHA256})
	}
	sort.Slice(m.Resources, func(i, j int) bool { return ComparePaths(m.Resources[i].Name, m.Resources[j].Name) < 0 })
	return m, nil
}
