package hdf5

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// expected is the JSON sidecar written by scripts/gen_hdf5.py from what
// h5py (libhdf5) reads back from each fixture.
type expected struct {
	RootAttrs map[string][]string `json:"root_attrs"`
	Objects   []struct {
		Path, Kind string
		Attrs      []string
	} `json:"objects"`
	External map[string][]string `json:"external"`
	Links    []struct{ From, Name, Kind, Target string }
}

func fixtures(t testing.TB) []string {
	t.Helper()
	paths, err := filepath.Glob("testdata/*.h5")
	if err != nil || len(paths) < 8 {
		t.Fatalf("fixtures missing (%v): run scripts/gen_hdf5.py", err)
	}
	return paths
}

func openBytes(t testing.TB, b []byte, lim Limits) (*File, error) {
	t.Helper()
	return Open(bytes.NewReader(b), int64(len(b)), lim)
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// short mirrors the sidecar's digest form for long values.
func short(s string) string {
	if len(s) <= 1024 {
		return s
	}
	return fmt.Sprintf("sha256:%x:%d", sha256.Sum256([]byte(s)), len(s))
}

func TestFixturesMatchH5py(t *testing.T) {
	for _, p := range fixtures(t) {
		t.Run(filepath.Base(p), func(t *testing.T) {
			var exp expected
			if err := json.Unmarshal(mustRead(t, p+".json"), &exp); err != nil {
				t.Fatal(err)
			}
			f, err := openBytes(t, mustRead(t, p), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Problems) > 0 {
				t.Fatalf("problems: %q", f.Problems)
			}
			if f.Objects[0].Path != "/" || f.Objects[0].Kind != "group" {
				t.Fatalf("first object %+v, want the root group", f.Objects[0])
			}
			checkRootAttrs(t, f, exp)
			checkObjects(t, f, exp)
			checkLinks(t, f, exp)
		})
	}
}

func checkRootAttrs(t *testing.T, f *File, exp expected) {
	t.Helper()
	got := map[string][]string{}
	for _, a := range f.Objects[0].Attrs {
		if a.Strings != nil {
			for _, s := range a.Strings {
				got[a.Name] = append(got[a.Name], short(s))
			}
		}
	}
	for name, want := range exp.RootAttrs {
		if !slices.Equal(got[name], want) {
			t.Errorf("root attr %s = %.80q, want %.80q", name, got[name], want)
		}
		if _, ok := f.RootAttr(name); !ok {
			t.Errorf("RootAttr(%q) not found", name)
		}
	}
	if len(got) != len(exp.RootAttrs) {
		t.Errorf("%d string root attrs, want %d", len(got), len(exp.RootAttrs))
	}
}

func checkObjects(t *testing.T, f *File, exp expected) {
	t.Helper()
	var want, got []string
	for _, o := range exp.Objects {
		want = append(want, fmt.Sprintf("%s %s %q %q", o.Path, o.Kind, o.Attrs, exp.External[o.Path]))
	}
	for _, o := range f.Objects[1:] {
		var names []string
		for _, a := range o.Attrs {
			names = append(names, a.Name)
		}
		sort.Strings(names)
		if names == nil {
			names = []string{}
		}
		got = append(got, fmt.Sprintf("%s %s %q %q", o.Path, o.Kind, names, o.External))
	}
	sort.Strings(want)
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Errorf("objects differ:\ngot  %q\nwant %q", got, want)
	}
}

func checkLinks(t *testing.T, f *File, exp expected) {
	t.Helper()
	var want, got []string
	for _, l := range exp.Links {
		want = append(want, fmt.Sprint(l.From, " ", l.Name, " ", l.Kind, " ", l.Target))
	}
	for _, l := range f.Links {
		got = append(got, fmt.Sprint(l.From, " ", l.Name, " ", l.Kind, " ", l.Target))
	}
	sort.Strings(want)
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Errorf("links = %q, want %q", got, want)
	}
}

func TestNumericAttrs(t *testing.T) {
	f, err := openBytes(t, mustRead(t, "testdata/latest.h5"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	epochs, ok := f.RootAttr("epochs")
	if !ok || epochs.Type != "int" || !bytes.Equal(epochs.Raw, []byte{7, 0, 0, 0, 0, 0, 0, 0}) {
		t.Errorf("epochs = %+v", epochs)
	}
	lr, ok := f.RootAttr("lr")
	if !ok || lr.Type != "float" || !bytes.Equal(lr.Raw, []byte{0, 0, 0, 0x3f}) {
		t.Errorf("lr = %+v", lr)
	}
	if cfg, _ := f.RootAttr("model_config"); cfg.Type != "vlen-string" {
		t.Errorf("model_config type %q, want vlen-string", cfg.Type)
	}
}

func TestIs(t *testing.T) {
	head := mustRead(t, "testdata/keras2.h5")[:4096]
	if !Is(head) {
		t.Error("keras2.h5 not recognised")
	}
	if Is(mustRead(t, "testdata/userblock.h5")) {
		t.Error("a user block file starts with the user block, not the signature")
	}
	if Is([]byte("\x89HDF")) || Is(nil) {
		t.Error("short input recognised")
	}
}

func TestNotHDF5(t *testing.T) {
	for _, b := range [][]byte{[]byte("PK\x03\x04 not hdf5"), bytes.Repeat([]byte{0}, 5000), signature} {
		if _, err := openBytes(t, b, Limits{}); err == nil {
			t.Errorf("Open(%.16q) succeeded", b)
		}
	}
	if _, err := Open(bytes.NewReader(nil), 0, Limits{}); err == nil {
		t.Error("empty input accepted")
	}
}

func TestLimits(t *testing.T) {
	old := mustRead(t, "testdata/oldstyle.h5")
	f, err := openBytes(t, old, Limits{MaxObjects: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Objects) != 5 || !hasLimit(f) {
		t.Errorf("MaxObjects 5: %d objects, problems %q", len(f.Objects), f.Problems)
	}
	k := mustRead(t, "testdata/keras2.h5")
	for _, lim := range []Limits{{MaxAttrBytes: 100}, {MaxTotalAttrBytes: 500}, {MaxDepth: 2}, {MaxAttrs: 2}} {
		f, err := openBytes(t, k, lim)
		if err != nil {
			t.Fatal(err)
		}
		if !hasLimit(f) {
			t.Errorf("%+v: no limit problem in %q", lim, f.Problems)
		}
	}
}

func hasLimit(f *File) bool {
	for _, p := range f.Problems {
		if strings.HasPrefix(p, "limit: ") {
			return true
		}
	}
	return false
}
