package keras

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// vectorExpect is what CPython (or, for the hand-assembled layouts, the
// generator's field list) says a marshal vector holds.
type vectorExpect struct {
	Layout  string   `json:"layout"`
	Name    string   `json:"name"`
	Names   []string `json:"names"`
	Strings []string `json:"strings"`
	Funcs   []string `json:"funcs"`
}

func loadVectors(t testing.TB) map[string]vectorExpect {
	t.Helper()
	raw, err := os.ReadFile("testdata/marshal/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var exp map[string]vectorExpect
	if err := json.Unmarshal(raw, &exp); err != nil {
		t.Fatal(err)
	}
	if len(exp) < 8 {
		t.Fatalf("only %d marshal vectors", len(exp))
	}
	return exp
}

func sortedSet(list []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func TestMarshalVectors(t *testing.T) {
	for name, want := range loadVectors(t) {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata/marshal", name+".marshal"))
			if err != nil {
				t.Fatal(err)
			}
			// Keras 3 writes unbroken base64; Keras 2 wraps it with newlines.
			for _, enc := range []string{base64.StdEncoding.EncodeToString(b), wrap76(base64.StdEncoding.EncodeToString(b))} {
				rep := analyseCode(enc)
				if rep.err != nil {
					t.Fatalf("decode: %v", rep.err)
				}
				if rep.layout != want.Layout || rep.name != want.Name {
					t.Errorf("layout/name = %q/%q, want %q/%q", rep.layout, rep.name, want.Layout, want.Name)
				}
				check := func(what string, got, want []string) {
					if want == nil {
						want = []string{}
					}
					if g := sortedSet(got); !reflect.DeepEqual(g, want) {
						t.Errorf("%s = %q, want %q", what, g, want)
					}
				}
				check("names", rep.names, want.Names)
				check("constants", rep.consts, want.Strings)
				check("nested functions", rep.funcs, want.Funcs)
			}
		})
	}
}

func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\n")
		s = s[76:]
	}
	return b.String() + s + "\n"
}

// TestMarshalTruncated cuts every vector at every length: each prefix must
// fail cleanly (marshal.loads would raise EOFError), never panic.
func TestMarshalTruncated(t *testing.T) {
	for name := range loadVectors(t) {
		b, _ := os.ReadFile(filepath.Join("testdata/marshal", name+".marshal"))
		for n := 0; n < len(b); n++ {
			if d, err := decodeMarshal(b[:n]); err == nil {
				t.Fatalf("%s[:%d] decoded as %+v", name, n, d)
			}
		}
	}
}

// TestMarshalLayoutsDiffer checks that a 3.11 stream does not parse under
// the older layouts, which is what makes layout detection sound.
func TestMarshalLayoutsDiffer(t *testing.T) {
	b, err := os.ReadFile("testdata/marshal/py311_import_os_system.marshal")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []*codeLayout{layout38, layout30} {
		r := &marshalReader{b: b, layout: l}
		if _, err := r.object(); err == nil && r.pos == len(b) {
			t.Errorf("3.11 stream parses completely under %s", l.name)
		}
	}
}

func TestMarshalHostile(t *testing.T) {
	cases := map[string][]byte{
		"empty":           {},
		"not code":        []byte("z\x02os"),
		"NULL top":        []byte("0"),
		"bad ref":         []byte("r\x05\x00\x00\x00"),
		"negative ref":    []byte("r\xff\xff\xff\xff"),
		"huge tuple":      []byte("(\xff\xff\xff\x7f"),
		"negative string": []byte("s\xff\xff\xff\xff"),
		"huge long":       []byte("l\xff\xff\xff\x7f"),
		"unknown type":    []byte("Q"),
		"deep tuples":     []byte(strings.Repeat(")\x01", 5000) + "N"),
		"self ref code":   append([]byte("\xe3"+strings.Repeat("\x00", 20)), []byte("r\x00\x00\x00\x00")...),
		"dict no end":     []byte("{z\x01aN"),
		"long digit high": []byte("l\x01\x00\x00\x00\xff\xff"),
	}
	for name, b := range cases {
		if _, err := decodeMarshal(b); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}

// TestMarshalCycle builds a tuple that contains itself through a
// back-reference: the reader must accept it (CPython does) and the summary
// walk must terminate.
func TestMarshalCycle(t *testing.T) {
	b, _ := os.ReadFile("testdata/marshal/handmade_py38_import_os_system.marshal")
	// Replace co_consts (a small tuple) with ("x", <ref to the tuple itself>):
	// layout 3.8 puts co_code right after 6 ints, then co_consts.
	r := &marshalReader{b: b, layout: layout38}
	if _, err := r.take(1 + 24); err != nil {
		t.Fatal(err)
	}
	if _, err := r.object(); err != nil { // co_code
		t.Fatal(err)
	}
	start := r.pos
	if _, err := r.object(); err != nil { // co_consts
		t.Fatal(err)
	}
	cyc := []byte("\xa9\x02z\x01xr\x00\x00\x00\x00") // FLAG_REF small tuple, ref 0 = itself
	mut := append(append(append([]byte(nil), b[:start]...), cyc...), b[r.pos:]...)
	rep := analyseCode(base64.StdEncoding.EncodeToString(mut))
	if rep.err != nil {
		t.Fatalf("cyclic constants: %v", rep.err)
	}
	if got := sortedSet(rep.consts); !reflect.DeepEqual(got, []string{"s:x"}) {
		t.Errorf("constants = %q", got)
	}
}

func TestPythonBase64(t *testing.T) {
	cases := []struct {
		in   string
		want string
		ok   bool
	}{
		{"b3M=", "os", true},
		{"b3M=\n", "os", true},
		{"b3\nM=", "os", true},
		{"b3M=garbage after padding", "os", true},
		{"b3M", "", false},        // incomplete quantum: Incorrect padding
		{"b", "", false},          // one character over a multiple of 4
		{"b3M!=", "os", true},     // non-alphabet bytes are skipped
		{"b3Nz", "oss", true},     // no padding needed
		{"b3M=\u00e9", "", false}, // non-ASCII: encode("ascii") raises
		{"", "", true},
	}
	for _, c := range cases {
		got, err := pyA2BBase64(c.in)
		if (err == nil) != c.ok || (c.ok && string(got) != c.want) {
			t.Errorf("pyA2BBase64(%q) = %q, %v; want %q ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
	if got, how := pyFuncBytes("\u00e9\u6f22"); string(got) != "\xe9\\u6f22" || !strings.Contains(how, "raw") {
		t.Errorf("raw_unicode_escape fallback = %q (%s)", got, how)
	}
}
