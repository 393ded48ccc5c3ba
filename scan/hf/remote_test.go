package hf

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/modelward/modelward/scan/hf/hubtest"
	"github.com/modelward/modelward/scan/safetensors"
)

// TestSafetensorsHeaderFetchesOneBlock reads a 50 MB safetensors file's
// header through Open, with a token and an LFS redirect to the CDN: one
// request of one block, and the CDN never sees the token.
func TestSafetensorsHeaderFetchesOneBlock(t *testing.T) {
	srv, c, _ := newBigHub(t, hubtest.WithToken(testToken), hubtest.WithLFSRedirect(lfsMinSize))
	c.Token = testToken
	ctx := testCtx(t)
	repo, err := c.Resolve(ctx, Ref{Repo: "org/model"})
	if err != nil {
		t.Fatal(err)
	}
	if repo.Commit != testCommit {
		t.Fatalf("commit %q", repo.Commit)
	}
	f := findFile(t, repo, "model.safetensors")
	if !f.LFS || f.Size != bigSize || len(f.SHA256) != 64 {
		t.Fatalf("big file listed as %+v", f)
	}
	rf, err := c.Open(ctx, repo, f)
	if err != nil {
		t.Fatal(err)
	}
	var n [8]byte
	if _, err := rf.ReadAt(n[:], 0); err != nil {
		t.Fatal(err)
	}
	hdr := make([]byte, binary.LittleEndian.Uint64(n[:]))
	if _, err := rf.ReadAt(hdr, 8); err != nil {
		t.Fatal(err)
	}
	var parsed map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &parsed); err != nil || parsed["w"] == nil {
		t.Fatalf("header %q: %v", hdr, err)
	}
	reqs, got := rf.Stats()
	if reqs != 1 || got != DefaultBlockSize {
		t.Errorf("Stats = %d requests, %d bytes; want 1, %d", reqs, got, DefaultBlockSize)
	}
	// The project's own parser, reading through the view, is served from
	// the cached block.
	h, err := safetensors.Read(io.NewSectionReader(rf, 0, rf.Size()), rf.Size())
	if err != nil || len(h.Problems) != 0 || len(h.Tensors) != 1 {
		t.Errorf("safetensors.Read: %+v, %v", h, err)
	}
	if reqs, _ := rf.Stats(); reqs != 1 {
		t.Errorf("%d requests after safetensors.Read", reqs)
	}
	if served := srv.BytesServed("model.safetensors"); served > 2*DefaultBlockSize {
		t.Errorf("server sent %d bytes of a %d byte file to read its header", served, bigSize)
	}
	if a := srv.CDNAuthorizations(); a != 0 {
		t.Errorf("the CDN received the Authorization header %d times", a)
	}
}

// TestReadAtMatchesContent compares many reads (cached, spanning blocks,
// direct, at the end) with the file, concurrently.
func TestReadAtMatchesContent(t *testing.T) {
	_, c, varied := newHub(t, hubtest.WithLFSRedirect(100_000))
	c.BlockSize = 4096
	ctx := testCtx(t)
	repo, err := c.Resolve(ctx, Ref{Repo: "org/model", Revision: "main"})
	if err != nil {
		t.Fatal(err)
	}
	rf, err := c.Open(ctx, repo, findFile(t, repo, "varied.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if rf.Size() != int64(len(varied)) {
		t.Fatalf("Size = %d", rf.Size())
	}
	reads := [][2]int{{0, 1}, {4095, 2}, {100, 5000}, {8000, 9000}, {250_000, 50_000}, {299_990, 10}, {1, 20_000}}
	var wg sync.WaitGroup
	for _, r := range reads {
		wg.Add(1)
		go func(off, n int) {
			defer wg.Done()
			p := make([]byte, n)
			if k, err := rf.ReadAt(p, int64(off)); err != nil || k != n || !bytes.Equal(p, varied[off:off+n]) {
				t.Errorf("ReadAt(%d, %d) = %d, %v; content equal %v", n, off, k, err, bytes.Equal(p, varied[off:off+n]))
			}
		}(r[0], r[1])
	}
	wg.Wait()
	p := make([]byte, 20)
	if k, err := rf.ReadAt(p, int64(len(varied)-5)); k != 5 || err != io.EOF {
		t.Errorf("read past the end = %d, %v; want 5, EOF", k, err)
	}
	if k, err := rf.ReadAt(p, int64(len(varied))); k != 0 || err != io.EOF {
		t.Errorf("read at the end = %d, %v; want 0, EOF", k, err)
	}
	if _, err := rf.ReadAt(p, -1); err == nil {
		t.Error("negative offset accepted")
	}
}

func TestReadWholeSmallFileAndEscapedPath(t *testing.T) {
	_, c, _ := newHub(t)
	ctx := testCtx(t)
	repo, err := c.Resolve(ctx, Ref{Repo: "org/model", Revision: testCommit})
	if err != nil {
		t.Fatal(err)
	}
	rf, err := c.Open(ctx, repo, findFile(t, repo, "sub dir/odd#name?.txt"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(io.NewSectionReader(rf, 0, rf.Size()))
	if err != nil || string(got) != "escaped" {
		t.Errorf("content %q, %v", got, err)
	}
}

// TestOpenUnknownSize learns the size from Content-Range.
func TestOpenUnknownSize(t *testing.T) {
	_, c, varied := newHub(t, hubtest.WithLFSRedirect(lfsMinSize))
	ctx := testCtx(t)
	repo, err := c.Resolve(ctx, Ref{Repo: "org/model"})
	if err != nil {
		t.Fatal(err)
	}
	rf, err := c.Open(ctx, repo, File{Path: "varied.bin", Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	if rf.Size() != int64(len(varied)) {
		t.Fatalf("Size = %d, want %d", rf.Size(), len(varied))
	}
	p := make([]byte, 10)
	if _, err := rf.ReadAt(p, 5); err != nil || !bytes.Equal(p, varied[5:15]) {
		t.Errorf("ReadAt = %v", err)
	}
	if reqs, _ := rf.Stats(); reqs != 1 {
		t.Errorf("%d requests; the probe's block should serve the read", reqs)
	}
}

// TestServerIgnoringRange: a 200 answer to a range request is read only as
// far as needed, and a far offset fails instead of downloading everything.
func TestServerIgnoringRange(t *testing.T) {
	_, c, _ := newBigHub(t, hubtest.WithIgnoreRange())
	ctx := testCtx(t)
	repo, err := c.Resolve(ctx, Ref{Repo: "org/model"})
	if err != nil {
		t.Fatal(err)
	}
	rf, err := c.Open(ctx, repo, findFile(t, repo, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	var n [8]byte
	if _, err := rf.ReadAt(n[:], 0); err != nil || binary.LittleEndian.Uint64(n[:]) != 200 {
		t.Fatalf("header length %v, %v", n, err)
	}
	if _, err := rf.ReadAt(n[:], 40<<20); !errors.Is(err, ErrNoRange) {
		t.Errorf("far read error = %v, want ErrNoRange", err)
	}
	if _, got := rf.Stats(); got > 2*DefaultBlockSize {
		t.Errorf("received %d bytes", got)
	}
}

func TestCommitPinnedAgainstChanges(t *testing.T) {
	_, c, _ := newHub(t)
	ctx := testCtx(t)
	repo, err := c.Resolve(ctx, Ref{Repo: "org/model"})
	if err != nil {
		t.Fatal(err)
	}
	// A repo whose commit the hub does not know: the pinned URL fails.
	moved := *repo
	moved.Commit = strings.Repeat("f", 40)
	rf, err := c.Open(ctx, &moved, findFile(t, repo, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rf.ReadAt(make([]byte, 4), 0); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("read at an unknown commit: %v", err)
	}
}

func TestDatasetAndPullRequestRevision(t *testing.T) {
	dir, _ := testRepo(t, false)
	srv := hubtest.New(t, hubtest.WithRepo("datasets/org/data", testCommit, dir, "refs/pr/3"))
	c := &Client{Endpoint: srv.URL}
	ctx := testCtx(t)
	ref, err := ParseRef("hf://datasets/org/data@refs/pr/3")
	if err != nil {
		t.Fatal(err)
	}
	repo, err := c.Resolve(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	rf, err := c.Open(ctx, repo, findFile(t, repo, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(dir + "/config.json")
	got := make([]byte, rf.Size())
	if _, err := rf.ReadAt(got, 0); err != nil || !bytes.Equal(got, want) {
		t.Errorf("dataset file %q, %v", got, err)
	}
}
