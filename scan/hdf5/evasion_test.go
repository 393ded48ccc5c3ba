package hdf5

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// openEvasion opens a testdata/evasion fixture and its h5py sidecar.
func openEvasion(t *testing.T, name string) (*File, expected) {
	t.Helper()
	p := filepath.Join("testdata", "evasion", name)
	var exp expected
	if err := json.Unmarshal(mustRead(t, p+".json"), &exp); err != nil {
		t.Fatal(err)
	}
	f, err := openBytes(t, mustRead(t, p), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return f, exp
}

// structural reports whether f has a problem containing sub that is not a
// "limit:" one (the scanner maps those to a structure finding, MW315 high).
func structural(f *File, sub string) bool {
	for _, p := range f.Problems {
		if strings.Contains(p, sub) && !strings.HasPrefix(p, "limit:") {
			return true
		}
	}
	return false
}

// A v2 header whose Attribute Info message names dense storage: libhdf5
// reads only the dense attributes, so a compact model_config placed before
// it (a benign decoy) must not be what RootAttr returns.
func TestDenseShadowsCompact(t *testing.T) {
	f, exp := openEvasion(t, "dense_shadow.h5")
	checkRootAttrs(t, f, exp)
	checkObjects(t, f, exp)
	cfg, ok := f.RootAttr("model_config")
	if !ok || !strings.Contains(strings.Join(cfg.Strings, ""), `"module": "os"`) {
		t.Errorf("model_config = %.120q, want the dense (malicious) one h5py reads", cfg.Strings)
	}
	if !structural(f, `object /: attribute "model_config" ignored by libhdf5 (a compact attribute in a header with dense attribute storage)`) {
		t.Errorf("no problem for the ignored compact attribute: %q", f.Problems)
	}
	if n := len(f.Objects[0].Attrs); n != 3 {
		t.Errorf("root has %d attributes, want the 3 dense ones", n)
	}
}

// A v1 header's Attribute Info message is never read by libhdf5: the
// compact attributes are the object's, the dense ones are reported.
func TestV1AttrInfoIgnored(t *testing.T) {
	f, exp := openEvasion(t, "v1_ainfo.h5")
	checkRootAttrs(t, f, exp)
	checkObjects(t, f, exp)
	cfg, _ := f.RootAttr("model_config")
	if strings.Contains(strings.Join(cfg.Strings, ""), `"module": "os"`) {
		t.Error("root model_config taken from the dense storage a v1 header cannot have")
	}
	for _, want := range []string{
		"object /: attribute info message ignored by libhdf5 (dense storage named by a version 1 object header)",
		`object /: attribute "model_config" ignored by libhdf5 (dense storage named by a version 1 object header)`,
	} {
		if !structural(f, want) {
			t.Errorf("problems %q lack %q", f.Problems, want)
		}
	}
}

// Two attributes of the same name among those libhdf5 reads: a problem,
// whichever one a lookup would return.
func TestDuplicateAttrName(t *testing.T) {
	b := mustRead(t, "testdata/keras2.h5")
	at := bytes.Index(b, []byte("training_config\x00"))
	if at < 0 {
		t.Fatal("no training_config attribute name")
	}
	copy(b[at:], "model_config\x00\x00\x00\x00")
	f, err := openBytes(t, b, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !structural(f, `object /: attribute "model_config" occurs 2 times`) {
		t.Errorf("problems %q", f.Problems)
	}
	for _, p := range fixtures(t) {
		if f, err := openBytes(t, mustRead(t, p), Limits{}); err != nil || len(f.Problems) > 0 {
			t.Errorf("%s: %v %q", p, err, f.Problems)
		}
	}
}

// A second Attribute Info message in a v2 header is ignored too.
func TestSecondAttrInfoIgnored(t *testing.T) {
	b := mustRead(t, "testdata/latest.h5")
	w := newWalker(&reader{r: bytes.NewReader(b), size: int64(len(b)), budget: 1 << 20, so: 8, sl: 8}, Limits{}.withDefaults())
	undefInfo := append([]byte{0, 0}, bytes.Repeat([]byte{0xFF}, 16)...)
	msgs := []message{{typ: msgAttrInfo, data: undefInfo}, {typ: msgAttrInfo, data: append([]byte{0, 0}, make([]byte, 16)...)}}
	if got := w.denseIndex("/", 2, msgs); got != -1 {
		t.Errorf("denseIndex = %d: the first Attribute Info (no heap) decides", got)
	}
	w.attributes("/", 2, msgs)
	if !structural(w.file, "dense storage of a second attribute info message") {
		t.Errorf("problems %q", w.file.Problems)
	}
}

func TestOffset(t *testing.T) {
	ub := mustRead(t, "testdata/userblock.h5")
	// a user block holding a pickle (os.system) instead of text
	pickle := []byte("\x80\x02cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.")
	withPickle := append([]byte(nil), ub...)
	copy(withPickle, append(pickle, make([]byte, 512-len(pickle))...))
	// a 2048-byte user block in front of a file written without one
	k := mustRead(t, "testdata/keras2.h5")
	shifted := append(bytes.Repeat([]byte("A"), 2048), k...)
	cases := []struct {
		name string
		b    []byte
		off  int64
		ok   bool
	}{
		{"keras2", k, 0, true},
		{"userblock", ub, 512, true},
		{"pickle user block", withPickle, 512, true},
		{"2048 user block", shifted, 2048, true},
		{"not at a power of two", append(make([]byte, 300), k...), 0, false},
		{"signature only at the end", append(make([]byte, 1024), signature...), 1024, true},
		{"cut signature", append(make([]byte, 1024), signature[:7]...), 0, false},
		{"empty", nil, 0, false},
	}
	for _, c := range cases {
		off, ok := Offset(bytes.NewReader(c.b), int64(len(c.b)))
		if off != c.off || ok != c.ok {
			t.Errorf("%s: Offset = %d, %v; want %d, %v", c.name, off, ok, c.off, c.ok)
		}
	}
	if Is(withPickle) {
		t.Error("Is must only match offset 0")
	}
	if _, ok := Offset(nil, 10); ok {
		t.Error("nil reader")
	}
	f, err := openBytes(t, withPickle, Limits{})
	if err != nil || len(f.Problems) > 0 {
		t.Fatalf("pickle user block: %v %q", err, f.Problems)
	}
	if _, ok := f.RootAttr("model_config"); !ok {
		t.Error("model_config not read past the user block")
	}
}
