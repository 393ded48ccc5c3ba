package keras

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"unicode/utf16"
)

func TestJSONAccepts(t *testing.T) {
	cases := map[string]string{
		`{"a": "\u006fs"}`:                        "os",
		`{"a": "\ud83d\ude00"}`:                   "\U0001F600",
		`{"a": "tab\there\/\"\\"}`:                "tab\there/\"\\",
		`{"a": "lone \ud800 surrogate"}`:          "lone \ufffd surrogate",
		` { "a" : "x" , "b" : [ 1 , -2.5e+3 ] } `: "x",
	}
	for in, want := range cases {
		root, _, err := parseJSON([]byte(in))
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if got, _ := root.get("a").str(); got != want {
			t.Errorf("%s: a = %q, want %q", in, got, want)
		}
	}
	for _, in := range []string{`NaN`, `-Infinity`, `Infinity`, `0`, `-0.0E-1`, `null`, `[]`, `{}`, `"x"`} {
		if _, _, err := parseJSON([]byte(in)); err != nil {
			t.Errorf("%s: %v", in, err)
		}
	}
}

func TestJSONRejects(t *testing.T) {
	for _, in := range []string{``, `{`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `01`, `1.`, `-`, `1e`, `"a` + "\n" + `"`,
		`"\x"`, `"\u12"`, `{"a":1} x`, `{a:1}`, `nul`, `[1 2]`, `'a'`, `+1`, `.5`} {
		if _, _, err := parseJSON([]byte(in)); err == nil {
			t.Errorf("%q parsed", in)
		}
	}
}

func TestJSONDepthLimit(t *testing.T) {
	ok := strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth)
	if _, _, err := parseJSON([]byte(ok)); err != nil {
		t.Fatalf("depth %d: %v", maxJSONDepth, err)
	}
	deep := "[" + ok + "]"
	_, _, err := parseJSON([]byte(deep))
	var je *jsonError
	if !errors.As(err, &je) || !je.limit {
		t.Fatalf("depth %d: %v", maxJSONDepth+1, err)
	}
}

func TestJSONDuplicateKey(t *testing.T) {
	root, d, err := parseJSON([]byte(`{"k": 1, "x": {"a": "first", "a": "last"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if d.dup == nil || d.dup != root.get("x") {
		t.Errorf("duplicate not recorded on the inner object")
	}
	if v, _ := root.get("x").get("a").str(); v != "last" {
		t.Errorf("get returned %q, want the last value as Python does", v)
	}
}

func utf16Bytes(s string, order binary.AppendByteOrder, bom bool) []byte {
	var out []byte
	if bom {
		out = order.AppendUint16(out, 0xfeff)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		out = order.AppendUint16(out, u)
	}
	return out
}

func utf32Bytes(s string, order binary.AppendByteOrder) []byte {
	var out []byte
	for _, r := range s {
		out = order.AppendUint32(out, uint32(r))
	}
	return out
}

// TestEncodings follows json.detect_encoding: every form decodes to the
// same text, so an attacker cannot hide a config behind UTF-16.
func TestEncodings(t *testing.T) {
	const doc = `{"module": "os", "x": "é漢"}`
	inputs := map[string][]byte{
		"utf-8":        []byte(doc),
		"utf-8-sig":    append([]byte{0xef, 0xbb, 0xbf}, doc...),
		"utf-16-le":    utf16Bytes(doc, binary.LittleEndian, false),
		"utf-16-be":    utf16Bytes(doc, binary.BigEndian, false),
		"utf-16 bomLE": utf16Bytes(doc, binary.LittleEndian, true),
		"utf-16 bomBE": utf16Bytes(doc, binary.BigEndian, true),
		"utf-32-le":    utf32Bytes(doc, binary.LittleEndian),
		"utf-32-be":    utf32Bytes(doc, binary.BigEndian),
		"utf-32 bomLE": append([]byte{0xff, 0xfe, 0, 0}, utf32Bytes(doc, binary.LittleEndian)...),
	}
	for name, in := range inputs {
		out, _, err := toUTF8(in)
		if err != nil || string(out) != doc {
			t.Errorf("%s: %q, %v", name, out, err)
		}
	}
	if _, _, err := toUTF8([]byte{0xff, 0xfe, '{'}); err == nil {
		t.Errorf("odd-length UTF-16 accepted")
	}
}
