package wire

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// rfc6901Doc is the example document of RFC 6901, section 5.
const rfc6901Doc = `{
  "foo": ["bar", "baz"],
  "": 0,
  "a/b": 1,
  "c%d": 2,
  "e^f": 3,
  "g|h": 4,
  "i\\j": 5,
  "k\"l": 6,
  " ": 7,
  "m~n": 8
}`

// TestPointerRFC6901 evaluates every pointer of section 5 and compares
// the value found with the one the RFC lists.
func TestPointerRFC6901(t *testing.T) {
	for ptr, want := range map[string]string{
		"": rfc6901Doc, "/foo": `["bar", "baz"]`, "/foo/0": `"bar"`, "/": "0", "/a~1b": "1", "/c%d": "2",
		"/e^f": "3", "/g|h": "4", `/i\j`: "5", `/k"l`: "6", "/ ": "7", "/m~0n": "8",
	} {
		p, err := ParsePointer(ptr)
		if err != nil {
			t.Fatalf("%q: %v", ptr, err)
		}
		if p.String() != ptr {
			t.Errorf("%q prints as %q", ptr, p.String())
		}
		s, e, err := p.Find([]byte(rfc6901Doc))
		if err != nil {
			t.Fatalf("%q: %v", ptr, err)
		}
		if got := rfc6901Doc[s:e]; got != want {
			t.Errorf("%q found %s, want %s", ptr, got, want)
		}
	}
}

func TestParsePointer(t *testing.T) {
	for ptr, want := range map[string]Pointer{
		"/~01":   {"~1"}, // ~1 first, then ~0: never "/"
		"/~1~0":  {"/~"},
		"/a//b":  {"a", "", "b"},
		"/0/-":   {"0", "-"},
		"/data/": {"data", ""},
	} {
		p, err := ParsePointer(ptr)
		if err != nil || !reflect.DeepEqual(p, want) {
			t.Errorf("%q: %q, %v; want %q", ptr, p, err, want)
		}
	}
	for _, bad := range []string{"a", "#/a", "/~", "/~2", "/a~", strings.Repeat("/a", 17), "/" + strings.Repeat("a", 1024)} {
		if _, err := ParsePointer(bad); err == nil {
			t.Errorf("%q accepted", clip(bad))
		}
	}
}

func TestPointerFindRejects(t *testing.T) {
	doc := []byte(`{"a":[10,{"b":"x"}],"e\u0073c":1,"dup":1,"dup":2}`)
	for ptr, sub := range map[string]string{
		"/missing": "no such member", "/a/2": "past the end", "/a/-": "not an array index",
		"/a/01": "not an array index", "/a/1/b/c": "not an object or array", "/dup": "appears twice",
		"/a/ 1": "not an array index",
	} {
		p, err := ParsePointer(ptr)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = p.Find(doc)
		wantErr(t, err, sub)
	}
	p, _ := ParsePointer("/esc")
	if s, e, err := p.Find(doc); err != nil || string(doc[s:e]) != "1" {
		t.Errorf("escaped member name: %v", err)
	}
	var v any
	if json.Unmarshal(doc, &v) != nil {
		t.Fatal("test document is not JSON")
	}
}
