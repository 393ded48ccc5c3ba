package hf

import (
	"bytes"
	"flag"

	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelward/modelward/scan/hf/hubtest"
)

var update = flag.Bool("update", false, "rewrite testdata/ from the generator in fixtures_test.go")

// The committed fixtures are answers of the API: benign ones recorded from
// hubtest serving a small repository (so they have the documented shape),
// malicious ones written here. `go test ./scan/hf -run TestFixtures -update`
// regenerates them; without -update the test fails if they drifted.

var maliciousFixtures = map[string]string{
	"traversal.json": `{"id":"org/model","sha":"` + testCommit + `","siblings":[` +
		`{"rfilename":"config.json","size":2},{"rfilename":"../../../home/user/.bashrc","size":10}]}`,
	"backslash.json": `{"id":"org/model","sha":"` + testCommit + `","siblings":[{"rfilename":"..\\..\\evil.pkl","size":10}]}`,
	"control-chars.json": `{"id":"org/model","sha":"` + testCommit + `","siblings":[` +
		`{"rfilename":"model\u001b[2K\u001b[1Gclean.pkl","size":10},{"rfilename":"a\u0000.pkl","size":1}]}`,
	"duplicate.json": `{"id":"org/model","sha":"` + testCommit + `","siblings":[` +
		`{"rfilename":"model.pkl","size":10},{"rfilename":"model.pkl","size":99}]}`,
	"size-overflow.json": `{"id":"org/model","sha":"` + testCommit + `","siblings":[` +
		`{"rfilename":"model.bin","size":9223372036854775807,"lfs":{"sha256":"` + strings.Repeat("0", 64) + `","size":9223372036854775807}}]}`,
	"no-siblings.json":     `{"id":"org/model","sha":"` + testCommit + `"}`,
	"commit-not-hash.json": `{"id":"org/model","sha":"main; rm -rf /","siblings":[]}`,
}

// generateFixtures returns every fixture by its testdata path.
func generateFixtures(t *testing.T) map[string][]byte {
	dir := t.TempDir()
	writeFile(t, dir, "config.json", []byte(`{"model_type":"bert","hidden_size":8}`))
	writeFile(t, dir, "tokenizer/vocab.txt", []byte("[PAD]\n[UNK]\nhello\n"))
	st := []byte(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`)
	st = append(append([]byte{byte(len(st)), 0, 0, 0, 0, 0, 0, 0}, st...), make([]byte, 8)...)
	writeFile(t, dir, "model.safetensors", st)
	srv := hubtest.New(t, hubtest.WithRepo("org/model", testCommit, dir, "main"), hubtest.WithLFSRedirect(64),
		hubtest.WithTreePageSize(2))
	out := map[string][]byte{
		"testdata/benign/model-info.json": get(t, srv.URL+"/api/models/org/model/revision/main?blobs=true"),
		"testdata/benign/tree-page.json":  get(t, srv.URL+"/api/models/org/model/tree/"+testCommit+"?recursive=true"),
	}
	for name, body := range maliciousFixtures {
		out["testdata/malicious/"+name] = []byte(body + "\n")
	}
	return out
}

func get(t *testing.T, u string) []byte {
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%s: %d %v", u, resp.StatusCode, err)
	}
	return b
}

func TestFixtures(t *testing.T) {
	for path, want := range generateFixtures(t) {
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is out of date (%v): run go test ./scan/hf -run TestFixtures -update", path, err)
		}
	}
}

// TestFixturesParse: the benign answers parse into the repository they were
// recorded from; every malicious one is refused.
func TestFixturesParse(t *testing.T) {
	data, err := os.ReadFile("testdata/benign/model-info.json")
	if err != nil {
		t.Fatal(err)
	}
	info, err := parseModelInfo(data)
	if err != nil || !info.SizesComplete || info.Commit != testCommit || len(info.Files) != 3 {
		t.Fatalf("benign model info: %+v, %v", info, err)
	}
	var lfs int
	for _, f := range info.Files {
		if f.LFS {
			lfs++
		}
	}
	if lfs != 1 {
		t.Errorf("%d LFS files, want 1 (model.safetensors)", lfs)
	}
	page, err := os.ReadFile("testdata/benign/tree-page.json")
	if err != nil {
		t.Fatal(err)
	}
	if files, err := parseTreePage(page, nil, map[string]bool{}); err != nil || len(files) != 2 {
		t.Errorf("tree page: %+v, %v", files, err)
	}
	bad, _ := filepath.Glob("testdata/malicious/*.json")
	if len(bad) != len(maliciousFixtures) {
		t.Fatalf("%d malicious fixtures on disk, %d generated", len(bad), len(maliciousFixtures))
	}
	for _, p := range bad {
		data, _ := os.ReadFile(p)
		info, err := parseModelInfo(data)
		if err == nil && info.SizesComplete {
			t.Errorf("%s accepted: %+v", p, info)
		}
	}
}

func fuzzSeeds(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*/*.json")
	if len(paths) == 0 {
		f.Fatal("no fixtures")
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// FuzzModelInfo: any answer parses or fails without panicking, and what is
// accepted is bounded and clean.
func FuzzModelInfo(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		check := func(files []File) {
			if len(files) > MaxFiles {
				t.Fatalf("%d files", len(files))
			}
			for _, fl := range files {
				if err := validRepoPath(fl.Path); err != nil || fl.Size < -1 || fl.Size > maxFileSize {
					t.Fatalf("accepted %+v (%v)", fl, err)
				}
			}
		}
		if info, err := parseModelInfo(data); err == nil {
			if !isCommitHash(info.Commit) {
				t.Fatalf("commit %q", info.Commit)
			}
			check(info.Files)
		}
		if files, err := parseTreePage(data, nil, map[string]bool{}); err == nil {
			check(files)
		}
	})
}

func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"hf://org/name", "hf://gpt2@main", "hf://datasets/o/d@refs/pr/1", "hf://a/b@" + testCommit,
		"hf://../x", "hf://o/n@a..b", "hf://o/n@", "hf://o/n--x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := ParseRef(s)
		if err != nil {
			return
		}
		if strings.ContainsAny(ref.Repo+ref.Revision, "\x00\\ ?#%@\n") || strings.Contains(ref.Repo, "..") {
			t.Fatalf("accepted %q as %+v", s, ref)
		}
		again, err := ParseRef(ref.String())
		if err != nil || again != ref {
			t.Fatalf("round trip of %q: %+v, %v", s, again, err)
		}
		if kind, id := splitRepo(ref.Repo); kind == "" || id == "" || len(id) > 2*maxNameLen+1 {
			t.Fatalf("split %q = %q %q", ref.Repo, kind, id)
		}
	})
}
