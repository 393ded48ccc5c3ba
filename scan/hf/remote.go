package hf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

const (
	// cacheBlocks is how many blocks a RemoteFile keeps: enough for a
	// header at the start and a directory at the end, with a little room.
	cacheBlocks = 8
	// maxChunk bounds one request of a large read, so each request has a
	// bounded size and time.
	maxChunk = 8 << 20
	// maxSkip is how far into an unranged (200) answer the client reads to
	// reach the wanted offset before giving up with ErrNoRange.
	maxSkip = 1 << 20
)

// RemoteFile is a random-access view of one file of a resolved repository.
// It is safe for concurrent use; reads are serialised.
type RemoteFile struct {
	c      *Client
	ctx    context.Context
	url    string
	what   string
	commit string
	size   int64
	block  int64

	mu       sync.Mutex
	blocks   []cached
	tick     uint64
	requests int
	bytes    int64
}

type cached struct {
	off  int64
	data []byte
	used uint64
}

// Open returns a view of f in repo, read at repo.Commit. ctx bounds every
// later read of the view, not only Open. No request is made when the size
// is known from Resolve (f.Size >= 0); otherwise the first block is fetched
// to learn it from Content-Range.
func (c *Client) Open(ctx context.Context, repo *Repo, f File) (*RemoteFile, error) {
	if err := validRepoPath(f.Path); err != nil {
		return nil, fmt.Errorf("hf: %w", err)
	}
	if !isCommitHash(repo.Commit) {
		return nil, fmt.Errorf("hf: %s: repository is not resolved to a commit", repo.Ref)
	}
	kind, id := splitRepo(repo.Ref.Repo)
	prefix := ""
	if kind != "models" {
		prefix = kind + "/"
	}
	rf := &RemoteFile{
		c: c, ctx: ctx, commit: repo.Commit, size: f.Size, block: c.blockSize(),
		url:  fmt.Sprintf("%s/%s%s/resolve/%s/%s", c.endpoint(), prefix, id, repo.Commit, escapePath(f.Path)),
		what: fmt.Sprintf("%s@%s: %s", Scheme+repo.Ref.Repo, repo.Commit[:12], f.Path),
	}
	if f.Size < 0 {
		if err := rf.probe(); err != nil {
			return nil, err
		}
	}
	return rf, nil
}

// Size is the file's length in bytes.
func (f *RemoteFile) Size() int64 { return f.size }

// Stats reports the requests made and body bytes received so far.
func (f *RemoteFile) Stats() (requests int, bytes int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests, f.bytes
}

// ReadAt reads len(p) bytes at off. Small reads go through the block cache;
// reads larger than two blocks are fetched directly in chunks.
func (f *RemoteFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("hf: %s: negative offset", f.what)
	}
	if off >= f.size {
		return 0, io.EOF
	}
	want := p
	if rest := f.size - off; int64(len(want)) > rest {
		want = want[:rest]
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var n int
	var err error
	if int64(len(want)) > 2*f.block {
		n, err = f.readDirect(want, off)
	} else {
		n, err = f.readCached(want, off)
	}
	if err == nil && n < len(p) {
		err = io.EOF
	}
	return n, err
}

func (f *RemoteFile) readCached(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		pos := off + int64(n)
		start := pos - pos%f.block
		data, err := f.blockAt(start)
		if err != nil {
			return n, err
		}
		n += copy(p[n:], data[pos-start:])
	}
	return n, nil
}

func (f *RemoteFile) readDirect(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		end := min(len(p), n+maxChunk)
		if err := f.fetch(p[n:end], off+int64(n)); err != nil {
			return n, err
		}
		n = end
	}
	return n, nil
}

// blockAt returns the cached block starting at start, fetching it (and
// evicting the least recently used block) if needed.
func (f *RemoteFile) blockAt(start int64) ([]byte, error) {
	f.tick++
	for i := range f.blocks {
		if f.blocks[i].off == start {
			f.blocks[i].used = f.tick
			return f.blocks[i].data, nil
		}
	}
	data := make([]byte, min(f.block, f.size-start))
	if err := f.fetch(data, start); err != nil {
		return nil, err
	}
	f.remember(start, data)
	return data, nil
}

func (f *RemoteFile) remember(start int64, data []byte) {
	c := cached{off: start, data: data, used: f.tick}
	if len(f.blocks) < cacheBlocks {
		f.blocks = append(f.blocks, c)
		return
	}
	oldest := 0
	for i := range f.blocks {
		if f.blocks[i].used < f.blocks[oldest].used {
			oldest = i
		}
	}
	f.blocks[oldest] = c
}

// fetch fills p with the bytes at off by one range request.
func (f *RemoteFile) fetch(p []byte, off int64) error {
	ctx, cancel := context.WithTimeout(f.ctx, requestTimeout)
	defer cancel()
	last := off + int64(len(p)) - 1
	hdr := http.Header{"Range": {fmt.Sprintf("bytes=%d-%d", off, last)}}
	f.requests++
	resp, err := f.c.do(ctx, request{url: f.url, header: hdr, what: f.what, commit: f.commit})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body := &countingReader{r: resp.Body, n: &f.bytes}
	switch resp.StatusCode {
	case http.StatusPartialContent:
		if err := f.checkRange(resp.Header.Get("Content-Range"), off, last); err != nil {
			return err
		}
	case http.StatusOK:
		// The server ignored Range: skip to off if it is near, never read
		// the rest of the file.
		if off > maxSkip {
			return fmt.Errorf("hf: %s: %w; refusing to download the whole file to read offset %d",
				f.what, ErrNoRange, off)
		}
		if _, err := io.CopyN(io.Discard, body, off); err != nil {
			return fmt.Errorf("hf: %s: %w", f.what, err)
		}
	default:
		return fmt.Errorf("hf: %s: unexpected status %d to a range request", f.what, resp.StatusCode)
	}
	if _, err := io.ReadFull(body, p); err != nil {
		return fmt.Errorf("hf: %s: reading bytes %d-%d: %w", f.what, off, last, err)
	}
	return nil
}

// checkRange verifies a Content-Range answer: the bytes asked for, of a
// file of the expected size.
func (f *RemoteFile) checkRange(cr string, first, last int64) error {
	a, b, total, ok := parseContentRange(cr)
	if !ok || a != first || b != last {
		return fmt.Errorf("hf: %s: asked for bytes %d-%d, server sent Content-Range %q",
			f.what, first, last, clean(cr, 100))
	}
	if total >= 0 && total != f.size {
		return fmt.Errorf("hf: %s: file is %d bytes, expected %d: it changed or its size was misreported",
			f.what, total, f.size)
	}
	return nil
}

// parseContentRange reads "bytes a-b/total" (total may be "*": -1).
func parseContentRange(s string) (a, b, total int64, ok bool) {
	rest, found := strings.CutPrefix(strings.TrimSpace(s), "bytes ")
	rng, tot, found2 := strings.Cut(rest, "/")
	first, lastS, found3 := strings.Cut(rng, "-")
	if !found || !found2 || !found3 {
		return 0, 0, 0, false
	}
	var err1, err2, err3 error
	a, err1 = strconv.ParseInt(first, 10, 64)
	b, err2 = strconv.ParseInt(lastS, 10, 64)
	total = -1
	if tot != "*" {
		total, err3 = strconv.ParseInt(tot, 10, 64)
	}
	ok = errors.Join(err1, err2, err3) == nil && a >= 0 && b >= a && (total < 0 || b < total)
	return a, b, total, ok
}

// probe learns the size of a file listed without one, from the answer to a
// request for its first block, and keeps that block.
func (f *RemoteFile) probe() error {
	ctx, cancel := context.WithTimeout(f.ctx, requestTimeout)
	defer cancel()
	hdr := http.Header{"Range": {fmt.Sprintf("bytes=0-%d", f.block-1)}}
	f.requests++
	resp, err := f.c.do(ctx, request{url: f.url, header: hdr, what: f.what, commit: f.commit})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	f.size = -1
	if resp.StatusCode == http.StatusPartialContent {
		if _, _, total, ok := parseContentRange(resp.Header.Get("Content-Range")); ok {
			f.size = total
		}
	} else if resp.StatusCode == http.StatusOK {
		f.size = resp.ContentLength
	}
	if f.size < 0 || f.size > maxFileSize {
		return fmt.Errorf("hf: %s: the server did not tell the file's size", f.what)
	}
	data := make([]byte, min(f.block, f.size))
	if _, err := io.ReadFull(&countingReader{r: resp.Body, n: &f.bytes}, data); err != nil {
		return fmt.Errorf("hf: %s: %w", f.what, err)
	}
	f.remember(0, data)
	return nil
}

// countingReader adds what it reads to *n.
type countingReader struct {
	r io.Reader
	n *int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	*c.n += int64(k)
	return k, err
}
