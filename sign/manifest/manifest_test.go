package manifest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const sharedDir = "../../testdata/model-signing"

func writeFile(t testing.TB, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// buildModel creates one of the README test models and returns its path.
func buildModel(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	switch name {
	case "sample_model_file":
		p := filepath.Join(dir, "file_model")
		writeFile(t, p, "This is a simple model")
		return p
	case "empty_model_file":
		p := filepath.Join(dir, "empty_file_model")
		writeFile(t, p, "")
		return p
	case "sample_model_folder":
		root := filepath.Join(dir, "sample_model")
		for i := 0; i < 2; i++ {
			for j := 0; j < 3; j++ {
				writeFile(t, filepath.Join(root, fmt.Sprintf("d%d/f%d%d", i, i, j)), fmt.Sprintf("This is file f%d%d in d%d.", i, j, i))
			}
		}
		for i := 0; i < 4; i++ {
			writeFile(t, filepath.Join(root, fmt.Sprintf("f%d", i)), fmt.Sprintf("This is file f%d in root.", i))
		}
		return root
	case "empty_model_folder":
		root := filepath.Join(dir, "empty_folder_model")
		if err := os.Mkdir(root, 0o755); err != nil {
			t.Fatal(err)
		}
		return root
	case "model_folder_with_empty_file":
		root := filepath.Join(dir, "empty_file_inside_model")
		writeFile(t, filepath.Join(root, "empty_file"), "")
		return root
	case "deep_model_folder":
		root := filepath.Join(dir, "deep_model")
		for i := 0; i < 4; i++ {
			writeFile(t, filepath.Join(root, "d0/d1/d2/d3/d4", fmt.Sprintf("f%d", i)), fmt.Sprintf("This is file f%d.", i))
		}
		return root
	case "symlink_model_folder":
		ext := filepath.Join(dir, "external")
		writeFile(t, ext, "This is a simple model")
		root := filepath.Join(dir, "symlink_model")
		if err := os.Mkdir(root, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(ext, filepath.Join(root, "symlink_file")); err != nil {
			t.Fatal(err)
		}
		return root
	}
	t.Fatalf("unknown model %s", name)
	return ""
}

var models = []string{
	"sample_model_file", "empty_model_file", "sample_model_folder", "empty_model_folder",
	"model_folder_with_empty_file", "deep_model_folder", "symlink_model_folder",
}

func jsonEqual(t *testing.T, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got invalid JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("golden invalid JSON: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("statement mismatch\n got: %s\nwant: %s", got, want)
	}
}

func TestGoldenPayloads(t *testing.T) {
	if _, err := os.Stat(sharedDir); err != nil {
		t.Skipf("shared corpus absent: %v", err)
	}
	variants := []struct {
		suffix string
		opt    Options
	}{
		{"", Options{Method: MethodFiles}},
		{"_shard", Options{Method: MethodShards}}, // default 1,000,000,000
		{"_small_shards", Options{Method: MethodShards, ShardSize: 8}},
	}
	for _, name := range models {
		for _, v := range variants {
			t.Run(name+v.suffix, func(t *testing.T) {
				want, err := os.ReadFile(filepath.Join(sharedDir, "payloads", name+v.suffix))
				if err != nil {
					t.Fatal(err)
				}
				opt := v.opt
				opt.AllowSymlinks = true
				opt.Workers = 3
				m, err := Build(context.Background(), buildModel(t, name), opt)
				if err != nil {
					t.Fatal(err)
				}
				// The golden payloads were produced by the reference's
				// serialization tests, which record no ignore_paths.
				m.IgnorePaths = nil
				got, err := m.Statement()
				if err != nil {
					t.Fatal(err)
				}
				jsonEqual(t, got, want)
				if v.suffix != "" && !bytes.Contains(got, []byte(`"shard_size": `+fmt.Sprint(m.ShardSize)+".0")) {
					t.Errorf("shard_size not written as float: %s", got)
				}
				// The golden payload parses back to the same manifest.
				pm, err := ParseStatement(want)
				if err != nil {
					t.Fatal(err)
				}
				if mi, ex, ch := m.Equal(pm); len(mi)+len(ex)+len(ch) != 0 {
					t.Errorf("Equal: missing %v extra %v changed %v", mi, ex, ch)
				}
			})
		}
	}
}

func TestGoldenSerialization(t *testing.T) {
	dir := filepath.Join(sharedDir, "serialization/file/TestSerializer")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared corpus absent: %v", err)
	}
	for _, name := range models {
		t.Run(name, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			m, err := Build(context.Background(), buildModel(t, name), Options{AllowSymlinks: true})
			if err != nil {
				t.Fatal(err)
			}
			var sb strings.Builder
			for _, r := range m.Resources {
				fmt.Fprintf(&sb, "%s:%x\n", r.Name, r.Digest)
			}
			if strings.TrimSpace(sb.String()) != strings.TrimSpace(string(want)) {
				t.Errorf("got\n%s\nwant\n%s", sb.String(), want)
			}
		})
	}
}

// TestReferenceBundles rebuilds the models signed by model_signing v1.0.1 and
// v1.1.0 and compares with the signed payloads.
func TestReferenceBundles(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(sharedDir, "bundles", "*"))
	if len(dirs) == 0 {
		t.Skip("shared corpus absent")
	}
	for _, d := range dirs {
		t.Run(filepath.Base(d), func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(d, "model.sig"))
			if err != nil {
				t.Fatal(err)
			}
			var b struct {
				DSSEEnvelope struct {
					Payload []byte `json:"payload"`
				} `json:"dsseEnvelope"`
			}
			if err := json.Unmarshal(raw, &b); err != nil {
				t.Fatal(err)
			}
			want, err := ParseStatement(b.DSSEEnvelope.Payload)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Build(context.Background(), d, Options{IgnorePaths: []string{"ignore-me", "model.sig"}})
			if err != nil {
				t.Fatal(err)
			}
			if mi, ex, ch := want.Equal(got); len(mi)+len(ex)+len(ch) != 0 {
				t.Errorf("missing %v extra %v changed %v", mi, ex, ch)
			}
			if !bytes.Equal(want.SubjectDigest(), got.SubjectDigest()) || want.ModelName != got.ModelName {
				t.Errorf("subject mismatch")
			}
			if want.IgnorePaths != nil && !reflect.DeepEqual(want.IgnorePaths, got.IgnorePaths) {
				t.Errorf("ignore paths %v, want %v", got.IgnorePaths, want.IgnorePaths)
			}
		})
	}
}

func TestSimpleModelDigest(t *testing.T) {
	p := filepath.Join(t.TempDir(), "file_model")
	writeFile(t, p, "This is a simple model")
	m, err := Build(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	const want = "3aab065c7181a173b5dd9e9d32a9f79923440b413be1e1ffcdba26a7365f719b"
	if len(m.Resources) != 1 || m.Resources[0].Name != "." || hex.EncodeToString(m.Resources[0].Digest) != want {
		t.Fatalf("resources = %+v", m.Resources)
	}
	if got := hex.EncodeToString(m.SubjectDigest()); got != "002d162f867c5eee944e5080d25829b6625be0e3f081f6fbafc7dd655ca2e178" {
		t.Errorf("subject digest %s", got)
	}
	if m.ModelName != "file_model" {
		t.Errorf("model name %q", m.ModelName)
	}
}

func names(m *Manifest) []string {
	var out []string
	for _, r := range m.Resources {
		out = append(out, r.Name)
	}
	return out
}

func TestOrderingByComponents(t *testing.T) {
	root := filepath.Join(t.TempDir(), "m")
	for _, p := range []string{"a.b", "a-b", "a/b", "a/c/d", "a/c.d", "b", "A"} {
		writeFile(t, filepath.Join(root, p), p)
	}
	m, err := Build(context.Background(), root, Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"A", "a/b", "a/c/d", "a/c.d", "a-b", "a.b", "b"}
	if got := names(m); !reflect.DeepEqual(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	// Shards are ordered numerically within a file.
	writeFile(t, filepath.Join(root, "a/b"), strings.Repeat("x", 25))
	m, err = Build(context.Background(), root, Options{Method: MethodShards, ShardSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	got := names(m)[1:5]
	if want := []string{"a/b:0:8", "a/b:8:16", "a/b:16:24", "a/b:24:25"}; !reflect.DeepEqual(got, want) {
		t.Errorf("shards %v, want %v", got, want)
	}
	if m.Resources[0].Algorithm != "sha256-sharded-8" {
		t.Errorf("algorithm %q", m.Resources[0].Algorithm)
	}
	if ComparePaths("a/b", "a.b") >= 0 || ComparePaths("a", "a/b") >= 0 || ComparePaths("x/y", "x/y") != 0 {
		t.Error("ComparePaths")
	}
}

func TestIgnorePaths(t *testing.T) {
	root := filepath.Join(t.TempDir(), "m")
	for _, p := range []string{"keep", "skip/x", "skipnot", "sub/skip", "sub/keep", ".git/HEAD", ".gitignore", ".github/w", ".gitattributes", "x/.git"} {
		writeFile(t, filepath.Join(root, p), p)
	}
	m, err := Build(context.Background(), root, Options{IgnorePaths: []string{"skip", "sub/skip/"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(m), []string{"keep", "skipnot", "sub/keep", "x/.git"}; !reflect.DeepEqual(got, want) {
		t.Errorf("resources %v, want %v", got, want)
	}
	if want := []string{".git", ".gitattributes", ".github", ".gitignore", "skip", "sub/skip"}; !reflect.DeepEqual(m.IgnorePaths, want) {
		t.Errorf("ignore paths %v", m.IgnorePaths)
	}
	st, _ := m.Statement()
	if !bytes.Contains(st, []byte(`"ignore_paths"`)) {
		t.Error("ignore_paths not recorded")
	}
	if _, err := Build(context.Background(), root, Options{IgnorePaths: []string{"../x"}}); err == nil {
		t.Error("escaping ignore path accepted")
	}
}

func TestEmptyFiles(t *testing.T) {
	root := filepath.Join(t.TempDir(), "m")
	writeFile(t, filepath.Join(root, "empty"), "")
	writeFile(t, filepath.Join(root, "full"), "0123456789")
	m, err := Build(context.Background(), root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	empty := sha256.Sum256(nil)
	if len(m.Resources) != 2 || !bytes.Equal(m.Resources[0].Digest, empty[:]) {
		t.Errorf("files mode: %+v", m.Resources)
	}
	m, err = Build(context.Background(), root, Options{Method: MethodShards, ShardSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(m), []string{"full:0:4", "full:4:8", "full:8:10"}; !reflect.DeepEqual(got, want) {
		t.Errorf("shards mode: %v", got)
	}
}

func TestSymlinks(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "target"), "data")
	root := filepath.Join(dir, "m")
	writeFile(t, filepath.Join(root, "real"), "x")
	if err := os.Symlink(filepath.Join(dir, "target"), filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	_, err := Build(context.Background(), root, Options{})
	if err == nil || !strings.Contains(err.Error(), "link") {
		t.Fatalf("symlink not rejected: %v", err)
	}
	m, err := Build(context.Background(), root, Options{AllowSymlinks: true})
	if err != nil {
		t.Fatal(err)
	}
	d := sha256.Sum256([]byte("data"))
	if m.Resources[0].Name != "link" || !bytes.Equal(m.Resources[0].Digest, d[:]) {
		t.Errorf("resources %+v", m.Resources)
	}
}

func TestCancel(t *testing.T) {
	root := filepath.Join(t.TempDir(), "m")
	writeFile(t, filepath.Join(root, "f"), "abc")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Build(ctx, root, Options{}); err == nil {
		t.Error("cancelled build succeeded")
	}
}

func TestParseRoundTrip(t *testing.T) {
	root := filepath.Join(t.TempDir(), "m")
	for i := 0; i < 20; i++ {
		writeFile(t, filepath.Join(root, fmt.Sprintf("d%d/f", i%3), fmt.Sprint(i)), strings.Repeat("z", i*7))
	}
	for _, opt := range []Options{{}, {Method: MethodShards, ShardSize: 16, IgnorePaths: []string{"d1"}}} {
		m, err := Build(context.Background(), root, opt)
		if err != nil {
			t.Fatal(err)
		}
		st, err := m.Statement()
		if err != nil {
			t.Fatal(err)
		}
		p, err := ParseStatement(st)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(m, p) {
			t.Errorf("round trip:\n%+v\n%+v", m, p)
		}
		// Reordered resources and an integer shard_size still parse, and
		// Equal reports differences by name.
		var raw map[string]any
		if err := json.Unmarshal(st, &raw); err != nil {
			t.Fatal(err)
		}
		pred := raw["predicate"].(map[string]any)
		res := pred["resources"].([]any)
		res[0], res[len(res)-1] = res[len(res)-1], res[0]
		p2 := &Manifest{Resources: append([]Resource(nil), m.Resources...)}
		p2.Resources[0], p2.Resources[len(res)-1] = p2.Resources[len(res)-1], p2.Resources[0]
		raw["subject"].([]any)[0].(map[string]any)["digest"].(map[string]any)["sha256"] = hex.EncodeToString(p2.SubjectDigest())
		b, _ := json.Marshal(raw) // shard_size becomes an integer here
		p3, err := ParseStatement(b)
		if err != nil {
			t.Fatalf("reordered: %v", err)
		}
		if mi, ex, ch := m.Equal(p3); len(mi)+len(ex)+len(ch) != 0 {
			t.Errorf("Equal after reorder: %v %v %v", mi, ex, ch)
		}
		o := &Manifest{Resources: append([]Resource{{Name: "new", Algorithm: "sha256", Digest: []byte{1}}}, m.Resources[2:]...)}
		o.Resources[1] = Resource{Name: o.Resources[1].Name, Algorithm: o.Resources[1].Algorithm, Digest: []byte{2}}
		mi, ex, ch := m.Equal(o)
		if !reflect.DeepEqual(mi, []string{m.Resources[0].Name, m.Resources[1].Name}) || !reflect.DeepEqual(ex, []string{"new"}) || !reflect.DeepEqual(ch, []string{m.Resources[2].Name}) {
			t.Errorf("Equal: %v %v %v", mi, ex, ch)
		}
	}
}

func validStatement(t testing.TB) []byte {
	m := &Manifest{Method: MethodFiles, HashType: HashSHA256, ModelName: "m",
		Resources: []Resource{{Name: "a", Algorithm: "sha256", Digest: make([]byte, 32)}}}
	b, err := m.Statement()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseHostile(t *testing.T) {
	good := string(validStatement(t))
	if _, err := ParseStatement([]byte(good)); err != nil {
		t.Fatal(err)
	}
	zero := strings.Repeat("0", 64)
	many := `[` + strings.Repeat(`null,`, MaxResources+1) + `null]`
	cases := map[string]string{
		"bad hex":         strings.Replace(good, zero, "zz"+zero[2:], 1),
		"short digest":    strings.Replace(good, `"digest": "`+zero, `"digest": "00`, 1),
		"subject":         strings.Replace(good, `"name": "m"`, `"name": "m"}, {"name": "n"`, 1),
		"too many":        strings.Replace(good, `"resources": [`, `"resources": `+many[:len(many)-1]+`,`, 1),
		"type":            strings.Replace(good, "Statement/v1", "Statement/v0", 1),
		"method":          strings.Replace(good, `"files"`, `"bits"`, 1),
		"hash":            strings.Replace(good, `"hash_type": "sha256"`, `"hash_type": "md5"`, 1),
		"algorithm":       strings.Replace(good, `"algorithm": "sha256"`, `"algorithm": "sha1"`, 1),
		"trailing":        good + "{}",
		"not json":        "{",
		"subject digest":  strings.Replace(good, `"name": "m"`, `"name": "m", "digest": {"sha256": "`+zero+`"}, "x": "`, 1),
		"shards no size":  strings.Replace(good, `"files"`, `"shards"`, 1),
		"shard size frac": strings.Replace(good, `"method": "files"`, `"method": "shards", "shard_size": 8.5`, 1),
		"shard size neg":  strings.Replace(good, `"method": "files"`, `"method": "shards", "shard_size": -8`, 1),
	}
	for name, in := range cases {
		if in == good {
			t.Fatalf("%s: substitution did not apply", name)
		}
		if _, err := ParseStatement([]byte(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := ParseStatement([]byte(cases["too many"])); err == nil || !strings.Contains(err.Error(), "too many resources") {
		t.Errorf("too many: %v", err)
	}
	if _, err := ParseStatement(make([]byte, MaxStatementSize+1)); err == nil {
		t.Error("oversized accepted")
	}
}

func FuzzParseStatement(f *testing.F) {
	f.Add(validStatement(f))
	root := filepath.Join(f.TempDir(), "m")
	for i := 0; i < 4; i++ {
		writeFile(f, filepath.Join(root, fmt.Sprintf("d/f%d", i)), strings.Repeat("q", 5*i))
	}
	for _, opt := range []Options{{}, {Method: MethodShards, ShardSize: 4}} {
		m, err := Build(context.Background(), root, opt)
		if err != nil {
			f.Fatal(err)
		}
		b, err := m.Statement()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseStatement(b)
		if err != nil {
			return
		}
		out, err := m.Statement()
		if err != nil {
			t.Fatalf("re-render: %v", err)
		}
		m2, err := ParseStatement(out)
		if err != nil {
			t.Fatalf("re-parse: %v\n%s", err, out)
		}
		if mi, ex, ch := m.Equal(m2); len(mi)+len(ex)+len(ch) != 0 || !bytes.Equal(m.SubjectDigest(), m2.SubjectDigest()) {
			t.Fatalf("round trip changed manifest")
		}
	})
}
