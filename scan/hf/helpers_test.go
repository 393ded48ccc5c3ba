package hf

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelward/modelward/scan/hf/hubtest"
)

const (
	testCommit  = "0123456789abcdef0123456789abcdef01234567"
	bigSize     = 50 << 20 // the sparse safetensors file
	lfsMinSize  = 1 << 20
	testToken   = "hf_test_token"
	testTimeout = 30 * time.Second
)

// writeFile writes data to dir/rel, creating folders.
func writeFile(t testing.TB, dir, rel string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// safetensorsHeader is the 8-byte length and JSON header of a file of
// bigSize bytes holding one F32 tensor that fills everything after the
// header (the header is padded with spaces, as the format allows, so the
// data length is a multiple of 4).
func safetensorsHeader() []byte {
	const hdrLen = 200
	data := int64(bigSize - 8 - hdrLen)
	body := fmt.Sprintf(`{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[%d],"data_offsets":[0,%d]}}`,
		data/4, data)
	body += strings.Repeat(" ", hdrLen-len(body))
	return append(binary.LittleEndian.AppendUint64(nil, hdrLen), body...)
}

// testRepo builds a repository folder: a small config, a file needing URL
// escaping, a 300 KB file of varied bytes and a safetensors file whose only
// written bytes are its header, sparse up to bigSize (50 MB) for the tests
// that need a large file and truncated to its header otherwise (hubtest
// hashes every file, which is slow under -race).
func testRepo(t testing.TB, big bool) (dir string, varied []byte) {
	t.Helper()
	dir = t.TempDir()
	writeFile(t, dir, "config.json", []byte(`{"model_type":"test"}`))
	writeFile(t, dir, "sub dir/odd#name?.txt", []byte("escaped"))
	varied = make([]byte, 300_000)
	for i := range varied {
		varied[i] = byte(i*7 + i/251)
	}
	writeFile(t, dir, "varied.bin", varied)
	p := writeFile(t, dir, "model.safetensors", safetensorsHeader())
	if !big {
		return dir, varied
	}
	if err := os.Truncate(p, bigSize); err != nil {
		t.Fatal(err)
	}
	return dir, varied
}

// newHub starts a hub serving testRepo as org/model (branch main) and
// returns a client for it.
func newHub(t testing.TB, opts ...hubtest.Option) (*hubtest.Server, *Client, []byte) {
	return startHub(t, false, opts)
}

// newBigHub is newHub with the 50 MB model.safetensors.
func newBigHub(t testing.TB, opts ...hubtest.Option) (*hubtest.Server, *Client, []byte) {
	return startHub(t, true, opts)
}

func startHub(t testing.TB, big bool, opts []hubtest.Option) (*hubtest.Server, *Client, []byte) {
	t.Helper()
	dir, varied := testRepo(t, big)
	opts = append([]hubtest.Option{hubtest.WithRepo("org/model", testCommit, dir, "main")}, opts...)
	srv := hubtest.New(t, opts...)
	return srv, &Client{Endpoint: srv.URL, RetryDelay: time.Millisecond}, varied
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

func findFile(t testing.TB, repo *Repo, path string) File {
	t.Helper()
	for _, f := range repo.Files {
		if f.Path == path {
			return f
		}
	}
	t.Fatalf("%s not in %+v", path, repo.Files)
	return File{}
}
