package source

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/scan"
	"github.com/modelward/modelward/scan/hf"
	"github.com/modelward/modelward/scan/hf/hubtest"
)

// evilPickle calls os.system("id") when loaded.
var evilPickle = []byte("\x80\x02cos\nsystem\nX\x02\x00\x00\x00id\x85R.")

// safetensors writes a valid safetensors file of one F32 tensor of n
// elements; the tensor bytes are left sparse.
func safetensors(t testing.TB, path string, n int64) {
	t.Helper()
	hdr := []byte(`{"w":{"dtype":"F32","shape":[` + itoa(n) + `],"data_offsets":[0,` + itoa(4*n) + `]}}`)
	for len(hdr)%8 != 0 {
		hdr = append(hdr, ' ')
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var l [8]byte
	binary.LittleEndian.PutUint64(l[:], uint64(len(hdr)))
	f.Write(l[:])
	f.Write(hdr)
	if err := f.Truncate(int64(8 + len(hdr) + int(4*n))); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func write(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func link(t *testing.T, target, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

// TestHubCacheReportsEachModelOnce builds a hub cache as huggingface_hub
// lays it out: two revisions of one repository whose snapshot files are
// relative links into blobs/, a blob shared by both, a link that escapes
// to /etc/passwd. The scan reports each repository and revision once, the
// malicious pickle under the revision that has it, and the escaping link
// without reading it.
func TestHubCacheReportsEachModelOnce(t *testing.T) {
	root := t.TempDir()
	repo := filepath.Join(root, "models--org--model")
	rev1, rev2 := strings.Repeat("a", 40), strings.Repeat("b", 40)
	safetensors(t, filepath.Join(repo, "blobs", "st1"), 1<<20)
	write(t, filepath.Join(repo, "blobs", "cfg"), []byte(`{"model_type":"llama"}`))
	write(t, filepath.Join(repo, "blobs", "evil"), evilPickle)
	write(t, filepath.Join(repo, "refs", "main"), []byte(rev2))
	link(t, "../../blobs/st1", filepath.Join(repo, "snapshots", rev1, "model.safetensors"))
	link(t, "../../blobs/cfg", filepath.Join(repo, "snapshots", rev1, "config.json"))
	link(t, "../../blobs/st1", filepath.Join(repo, "snapshots", rev2, "model.safetensors"))
	link(t, "../../blobs/evil", filepath.Join(repo, "snapshots", rev2, "pytorch_model.bin"))
	link(t, "/etc/passwd", filepath.Join(repo, "snapshots", rev2, "tokenizer.json"))
	// A loose file beside the repositories is scanned too, as a file of no model.
	write(t, filepath.Join(root, "modules", "transformers_modules", "evil.pkl"), evilPickle)

	targets, err := Expand(context.Background(), []string{root}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep := scan.New(scan.Options{}).ScanTargets(context.Background(), targets)
	if len(rep.Models) != 2 {
		t.Fatalf("models = %+v, want the two revisions once each", rep.Models)
	}
	byModel := map[string]scan.ModelResult{}
	for _, m := range rep.Models {
		byModel[m.Model] = m
	}
	m1, m2 := byModel["org/model@"+rev1], byModel["org/model@"+rev2]
	if m1.Files != 2 || m1.Verdict != scan.Clean {
		t.Errorf("revision 1: %+v, want 2 clean files", m1)
	}
	if m2.Files != 3 || m2.Verdict != scan.Malicious {
		t.Errorf("revision 2: %+v, want 3 files, malicious", m2)
	}
	var escaped, evil bool
	for _, f := range rep.Files {
		for _, fd := range f.Findings {
			escaped = escaped || (fd.Rule == finding.ArchiveLinkEscape && strings.HasSuffix(f.Path, "tokenizer.json"))
			evil = evil || (fd.Rule == finding.PickleDangerous && strings.HasSuffix(f.Path, "pytorch_model.bin"))
		}
		if strings.HasSuffix(f.Path, "tokenizer.json") && f.Format != "none" {
			t.Errorf("the escaping link was read as %s", f.Format)
		}
	}
	if !escaped || !evil {
		t.Errorf("escaping link reported %v, malicious pickle reported %v", escaped, evil)
	}
	var loose bool
	for _, f := range rep.Files {
		if strings.HasSuffix(f.Path, "evil.pkl") {
			loose = f.Model == "" && f.Verdict == scan.Malicious
		}
		if strings.Contains(f.Path, "blobs") {
			t.Errorf("a blob was scanned on its own: %s", f.Path)
		}
	}
	if !loose {
		t.Error("the loose file beside the repositories was not scanned")
	}
}

// TestRemoteRepositoryFetchesOnlyHeaders scans hf://org/model from a local
// hub: the 64 MiB safetensors file costs one block, the pickle is read
// whole and found malicious, and every file is reported under the commit.
func TestRemoteRepositoryFetchesOnlyHeaders(t *testing.T) {
	dir := t.TempDir()
	const n = 16 << 20 // 64 MiB of F32
	safetensors(t, filepath.Join(dir, "model.safetensors"), n)
	write(t, filepath.Join(dir, "config.json"), []byte(`{"model_type":"bert"}`))
	write(t, filepath.Join(dir, "extra", "pytorch_model.bin"), evilPickle)
	commit := strings.Repeat("c", 40)
	srv := hubtest.New(t, hubtest.WithRepo("org/model", commit, dir, "main"), hubtest.WithLFSRedirect(1<<20), hubtest.WithToken("hf_test"))
	client := &hf.Client{Endpoint: srv.URL, Token: "hf_test"}

	targets, err := Expand(context.Background(), []string{"hf://org/model"}, Options{Hub: client})
	if err != nil {
		t.Fatal(err)
	}
	rep := scan.New(scan.Options{}).ScanTargets(context.Background(), targets)
	if len(rep.Models) != 1 || rep.Models[0].Model != "org/model@"+commit || rep.Models[0].Files != 3 || rep.Models[0].Verdict != scan.Malicious {
		t.Fatalf("models = %+v", rep.Models)
	}
	for _, f := range rep.Files {
		if f.Error != "" {
			t.Errorf("%s: %s", f.Path, f.Error)
		}
		if strings.HasSuffix(f.Path, "model.safetensors") && (f.Format != "safetensors" || f.Verdict != scan.Clean) {
			t.Errorf("%s: %s %s %v", f.Path, f.Format, f.Verdict, f.Findings)
		}
	}
	if got := srv.BytesServed("model.safetensors"); got > 1<<20 {
		t.Errorf("%d bytes of the 64 MiB safetensors file were fetched to read its header", got)
	}
	if got := srv.BytesServed("extra/pytorch_model.bin"); got != int64(len(evilPickle)) {
		t.Errorf("pickle: %d bytes served, want the whole %d", got, len(evilPickle))
	}
	if srv.CDNAuthorizations() != 0 {
		t.Error("the token was sent to the CDN")
	}
}

// TestRemoteErrorsSayWhatToDo: a missing repository is an error before
// any scan, worded for the user.
func TestRemoteErrorsSayWhatToDo(t *testing.T) {
	srv := hubtest.New(t)
	_, err := Expand(context.Background(), []string{"hf://org/missing"}, Options{Hub: &hf.Client{Endpoint: srv.URL}})
	if err == nil || !strings.Contains(err.Error(), "org/missing") {
		t.Fatalf("err = %v", err)
	}
}

// TestPlainFolder: a folder that is not a cache is scanned file by file,
// with no model grouping.
func TestPlainFolder(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.pkl"), evilPickle)
	targets, err := Expand(context.Background(), []string{dir}, Options{})
	if err != nil || len(targets) != 1 || targets[0].Model != "" {
		t.Fatalf("targets = %+v, %v", targets, err)
	}
}

// TestHubCacheONNXExternalData: an ONNX model whose external data sits
// beside it in a snapshot resolves, like every cache file, into blobs/;
// that is the cache's layout, not an escape.
func TestHubCacheONNXExternalData(t *testing.T) {
	root := t.TempDir()
	repo := filepath.Join(root, "models--org--onnx")
	rev := strings.Repeat("e", 40)
	for name, blob := range map[string]string{"model.onnx": "m1", "weights.bin": "w1"} {
		b, err := os.ReadFile(filepath.Join("..", "onnx", "testdata", "benign", "external", name))
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(repo, "blobs", blob), b)
		link(t, "../../blobs/"+blob, filepath.Join(repo, "snapshots", rev, name))
	}
	targets, err := Expand(context.Background(), []string{root}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep := scan.New(scan.Options{}).ScanTargets(context.Background(), targets)
	for _, f := range rep.Files {
		for _, fd := range f.Findings {
			if fd.Severity >= finding.Medium {
				t.Errorf("%s: %s %s %s", f.Path, fd.Rule, fd.Severity, fd.Message)
			}
		}
	}
}
