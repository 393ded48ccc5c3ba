package keras

import (
	"archive/zip"
	"encoding/binary"
	"io"

	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/modelward/modelward/finding"
)

// TestIsKerasZipRedTeam: a .keras zip holding only config.json, and one
// whose config.json entry is named "config.json\x00AAA" in the zip, are
// both loaded by Keras and must be recognised.
func TestIsKerasZipRedTeam(t *testing.T) {
	for _, f := range []string{"zip_only_config.keras", "zip_nul_name.keras"} {
		r, err := zip.OpenReader(filepath.Join("testdata/redteam", f))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range r.File {
			names = append(names, e.Name)
		}
		r.Close()
		if !IsKerasZip(names) {
			t.Errorf("%s (%q): not recognised as Keras", f, names)
		}
	}
	// The NUL-named member alone is the config.json Keras opens.
	if !IsKerasZip([]string{"metadata.json", "config.json\x00AAA"}) {
		t.Error("NUL-cut config.json not recognised")
	}
}

func TestLooksLikeConfig(t *testing.T) {
	yes := []string{
		`{"module": "keras", "class_name": "Functional", "config": {"name": "f"}, "registered_name": "Functional"}`,
		`{"class_name": "Sequential", "config": {"name": "s", "layers": []}, "keras_version": "2.15.0", "backend": "tensorflow"}`,
		`  {"config": {"layers": [{"class_name": "Dense"}]}, "class_name": "Sequential"}`,
		`{"pad": "` + strings.Repeat("A", 200<<10) + `", "class_name": "Sequential", "config": {}}`,
		`{"pad": [` + strings.Repeat(`{"a": "]}\"["},`, 5000) + `1], "config": {}, "class_name": "X"}`,
		`{"class\u005fname": "Sequential", "config": {}}`,
		// cut inside the config value, as a prefix of a large model would be
		`{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "con`,
		`{"config": {"layers": [`,
		"\xef\xbb\xbf" + `{"class_name": "S", "config": {}}`,
	}
	for _, js := range yes {
		if !LooksLikeConfig([]byte(js)) {
			t.Errorf("LooksLikeConfig(%.80q) = false", js)
		}
	}
	doc := `{"class_name": "Sequential", "config": {"name": "s"}}`
	for name, b := range map[string][]byte{
		"utf-16le bom": utf16Bytes(doc, binary.LittleEndian, true),
		"utf-16be":     utf16Bytes(doc, binary.BigEndian, false),
		"utf-32le":     utf32Bytes(doc, binary.LittleEndian),
		"utf-16 cut":   utf16Bytes(doc, binary.LittleEndian, true)[:41],
	} {
		if !LooksLikeConfig(b) {
			t.Errorf("%s: not recognised", name)
		}
	}
	no := []string{
		`{"architectures": ["BertModel"], "model_type": "bert", "hidden_size": 768, "_name_or_path": "bert-base"}`,
		`{"architectures": ["X"], "model_type": "x", "text_config": {"class_name": "A", "config": {}}}`,
		`{"class_name": "Sequential"}`,
		`{"config": {}}`,
		`{"a": {"class_name": "Sequential", "config": {}}}`,
		`[{"class_name": "Sequential", "config": {}}]`,
		`"class_name config"`,
		``,
		`{`,
		`{"model_type": "bert", "vocab": "` + strings.Repeat("x", 10000),
	}
	for _, js := range no {
		if LooksLikeConfig([]byte(js)) {
			t.Errorf("LooksLikeConfig(%.80q) = true", js)
		}
	}
	if !LooksLikeConfig(readFixture(t, "testdata/redteam/json_stringlookup_vocab_path.config.json")) {
		t.Error("red-team config.json not recognised")
	}
	for _, dir := range []string{"benign", "malicious"} {
		files, _ := filepath.Glob("testdata/" + dir + "/*.json")
		for _, f := range files {
			b := readFixture(t, f)
			if strings.Contains(f, "training_config") {
				if LooksLikeConfig(b) {
					t.Errorf("%s: a training_config is not a model configuration", f)
				}
				continue
			}
			if !LooksLikeConfig(b) {
				t.Errorf("%s: not recognised", f)
			}
		}
	}
}

// TestVocabularyPath: a lookup layer's string vocabulary is a file that
// Keras reads with tf.io.gfile when it rebuilds the layer.
func TestVocabularyPath(t *testing.T) {
	for f, want := range map[string][]string{
		"json_stringlookup_vocab_path.config.json":      {"MW309:high"},
		"json_textvectorization_vocab_path.config.json": {"MW309:high"},
	} {
		fs := CheckConfig(readFixture(t, filepath.Join("testdata/redteam", f)), "config.json", Config{Location: finding.Location{Path: "m.keras", Offset: -1}})
		if got := summary(fs); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %v, want %v", f, got, want)
			continue
		}
		if m := fs[0].Message; !strings.Contains(m, "at load") || !strings.Contains(m, "tf.io.gfile") {
			t.Errorf("%s: message %q", f, m)
		}
		if member := fs[0].Location.Member; member[len(member)-1] != "config.layers[1].config.vocabulary" {
			t.Errorf("%s: location %v", f, member)
		}
	}
	layer := func(cls, vocab string) string {
		return `{"class_name": "Sequential", "config": {"layers": [{"class_name": "` + cls + `", "config": {"name": "l", "vocabulary": ` + vocab + `}}]}}`
	}
	cases := []struct {
		name, js string
		want     []string
	}{
		{"absolute", layer("StringLookup", `"/etc/passwd"`), []string{"MW309:high"}},
		{"windows absolute", layer("StringLookup", `"C:\\Users\\me\\vocab.txt"`), []string{"MW309:high"}},
		{"unc", layer("StringLookup", `"\\\\host\\share\\v.txt"`), []string{"MW309:high"}},
		{"gs url", layer("IntegerLookup", `"gs://bucket/vocab.txt"`), []string{"MW309:high"}},
		{"http url", layer("TextVectorization", `"http://example.invalid/v.txt"`), []string{"MW309:high"}},
		{"file url", layer("StringLookup", `"file:///etc/shadow"`), []string{"MW309:high"}},
		{"dot dot", layer("StringLookup", `"data/../../secret.txt"`), []string{"MW309:high"}},
		{"dot dot backslash", layer("StringLookup", `"..\\secret.txt"`), []string{"MW309:high"}},
		{"relative", layer("StringLookup", `"vocab.txt"`), []string{"MW309:medium"}},
		{"relative dir", layer("TextVectorization", `"assets/vocab..txt"`), []string{"MW309:medium"}},
		{"index lookup other module", `{"module": "mypkg.layers", "class_name": "IndexLookup", "config": {"vocabulary": "/etc/hosts"}, "registered_name": null}`, []string{"MW309:high", "MW309:high"}},
		{"keras3 module", `{"module": "keras.layers", "class_name": "StringLookup", "config": {"vocabulary": "/etc/hosts"}, "registered_name": null}`, []string{"MW309:high"}},
		{"dotted keras2 class", layer("keras.layers.StringLookup", `"/etc/hosts"`), []string{"MW309:high"}},
		{"list vocabulary", layer("StringLookup", `["a", "/etc/passwd"]`), []string{}},
		{"null vocabulary", layer("IntegerLookup", `null`), []string{}},
		{"empty vocabulary", layer("StringLookup", `""`), []string{}},
		{"other layer", layer("Dense", `"/etc/passwd"`), []string{}},
		{"repeated vocabulary key, last kept", layer("StringLookup", `"/etc/passwd", "vocabulary": "/root/.ssh/id_rsa"`), []string{"MW309:high", "MW315:high"}},
	}
	for _, c := range cases {
		if got := summary(check(c.js)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

// FuzzLooksLikeConfig compares the cheap top-level check with the full
// decoder: on any document that decodes, it must agree.
func FuzzLooksLikeConfig(f *testing.F) {
	addFiles(f, "testdata/benign/*.json")
	addFiles(f, "testdata/redteam/*.json")
	f.Add([]byte(`{"config": 1, "class_name": "x"}`))
	f.Add([]byte(`{"architectures": ["X"], "model_type": "x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got := LooksLikeConfig(data)
		text, _, err := toUTF8(data)
		if err != nil {
			return
		}
		root, _, err := parseJSON(text)
		if err != nil {
			return
		}
		want := root.kind == kindObj && root.get("class_name") != nil && root.get("config") != nil
		if got != want {
			t.Fatalf("LooksLikeConfig = %v, decoder says %v", got, want)
		}
	})
}

// TestResolverRepros: the red-team .keras archives whose config.json names
// TFSMLayer through the joined api name ("keras" + "layers.TFSMLayer") and
// through the registered_name fallback.
func TestResolverRepros(t *testing.T) {
	for f, want := range map[string][]string{
		"full_apiname_tfsm.keras": {"MW309:critical"},
		"full_regname_tfsm.keras": {"MW309:critical"},
	} {
		r, err := zip.OpenReader(filepath.Join("testdata/redteam", f))
		if err != nil {
			t.Fatal(err)
		}
		var js []byte
		for _, e := range r.File {
			if e.Name != "config.json" {
				continue
			}
			rc, err := e.Open()
			if err != nil {
				t.Fatal(err)
			}
			js, err = io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
		r.Close()
		fs := CheckConfig(js, "config.json", Config{Location: finding.Location{Path: f, Offset: -1}})
		if got := summary(fs); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %v, want %v", f, got, want)
			continue
		}
		if !strings.Contains(fs[0].Message, "TFSMLayer") {
			t.Errorf("%s: message %q", f, fs[0].Message)
		}
	}
}
