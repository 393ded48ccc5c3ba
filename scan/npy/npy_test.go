package npy

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// expectation mirrors one entry of testdata/expected.json, written by
// testdata/gen.py from what NumPy reports about each fixture.
type expectation struct {
	Version      [2]byte `json:"version"`
	Descr        string  `json:"descr"`
	Structured   bool    `json:"structured"`
	HasObject    bool    `json:"has_object"`
	FortranOrder bool    `json:"fortran_order"`
	Shape        []int64 `json:"shape"`
	DataOffset   int64   `json:"data_offset"`
	ItemSize     int64   `json:"item_size"`
}

func TestFixturesMatchNumPy(t *testing.T) {
	raw, err := os.ReadFile("testdata/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]expectation
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if len(want) < 10 {
		t.Fatalf("expected.json lists only %d fixtures", len(want))
	}
	for name, w := range want {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			if !IsNPY(data) {
				t.Fatal("IsNPY = false")
			}
			r := bytes.NewReader(data)
			h, err := ParseHeader(r, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			checkHeader(t, h, w)
			if rest := int64(r.Len()); int64(len(data))-rest != h.DataOffset {
				t.Errorf("ParseHeader read %d bytes, want exactly the header (%d)", int64(len(data))-rest, h.DataOffset)
			}
			checkDataBytes(t, h, int64(len(data)))
		})
	}
}

func checkHeader(t *testing.T, h *Header, w expectation) {
	t.Helper()
	got := expectation{
		Version: [2]byte{h.Major, h.Minor}, Descr: h.Descr, Structured: h.Structured,
		HasObject: h.HasObject, FortranOrder: h.FortranOrder, Shape: h.Shape,
		DataOffset: h.DataOffset, ItemSize: h.ItemSize,
	}
	if len(w.Shape) == 0 {
		w.Shape = nil
	}
	if len(got.Shape) == 0 {
		got.Shape = nil
	}
	if !reflect.DeepEqual(got, w) {
		t.Errorf("header mismatch\n got  %+v\n want %+v", got, w)
	}
	if h.Misaligned {
		t.Errorf("NumPy-written header reported misaligned at %d", h.DataOffset)
	}
}

// checkDataBytes checks that a plain array's data fills the file exactly.
func checkDataBytes(t *testing.T, h *Header, fileSize int64) {
	t.Helper()
	n, ok := h.DataBytes()
	if h.HasObject {
		if ok {
			t.Errorf("DataBytes known (%d) for an object array", n)
		}
		return
	}
	if !ok || h.DataOffset+n != fileSize {
		t.Errorf("DataBytes = %d, %v; file has %d data bytes", n, ok, fileSize-h.DataOffset)
	}
}

func TestNPZMembers(t *testing.T) {
	zr, err := zip.OpenReader("testdata/pair.npz")
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	got := map[string]bool{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		h, err := ParseHeader(rc, Limits{})
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		got[f.Name] = h.HasObject
	}
	want := map[string]bool{"a.npy": false, "b.npy": true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("members and HasObject = %v, want %v", got, want)
	}
}

// TestPicklescanCorpus parses headers from the shared malicious-model
// corpus when present; those files are never loaded with Python.
func TestPicklescanCorpus(t *testing.T) {
	dir := "/work/shared/corpora/picklescan/data2"
	cases := map[string]struct {
		descr  string
		object bool
	}{
		"int_array.npy":        {"<i4", false},
		"object_array.npy":     {"|O", true},
		"dns_exfiltration.npy": {"|O", true},
	}
	for name, want := range cases {
		f, err := os.Open(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			t.Skipf("corpus file %s absent", name)
		}
		if err != nil {
			t.Fatal(err)
		}
		h, err := ParseHeader(f, Limits{})
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if h.Descr != want.descr || h.HasObject != want.object {
			t.Errorf("%s: descr %q object %v, want %q %v", name, h.Descr, h.HasObject, want.descr, want.object)
		}
	}
}

// build makes a .npy preamble and header for version major with the given
// header text, unpadded.
func build(major byte, header string) []byte {
	var b bytes.Buffer
	b.WriteString(Magic)
	b.Write([]byte{major, 0})
	if major == 1 {
		binary.Write(&b, binary.LittleEndian, uint16(len(header)))
	} else {
		binary.Write(&b, binary.LittleEndian, uint32(len(header)))
	}
	b.WriteString(header)
	return b.Bytes()
}

func parse(t *testing.T, header string) (*Header, error) {
	t.Helper()
	return ParseHeader(bytes.NewReader(build(1, header)), Limits{})
}

func TestHeaderVariants(t *testing.T) {
	cases := []struct {
		header string
		descr  string
		shape  []int64
		item   int64
		object bool
		struc  bool
	}{
		{`{"descr": "<f8", "fortran_order": False, "shape": (2L, 3L)}`, "<f8", []int64{2, 3}, 8, false, false},
		{"{'descr': '<i2', # a comment\n 'fortran_order': False, 'shape': (0x10,),}\n", "<i2", []int64{16}, 2, false, false},
		{`{'descr': '|O8', 'fortran_order': False, 'shape': (1,)}`, "|O8", []int64{1}, -1, true, false},
		{`{'descr': 'i4,O', 'fortran_order': False, 'shape': ()}`, "i4,O", nil, -1, true, true},
		{`{'descr': 'object', 'fortran_order': False, 'shape': ()}`, "object", nil, -1, true, false},
		{`{'descr': '<' 'U3', 'fortran_order': False, 'shape': (True,)}`, "<U3", []int64{1}, 12, false, false},
		{`{'descr': u'\x3cc8', 'fortran_order': False, 'shape': ()}`, "<c8", nil, 8, false, false},
		{`{'descr': ('<f4', (2, 3)), 'fortran_order': False, 'shape': (1,)}`, "('<f4', (2, 3))", []int64{1}, 24, false, false},
		{`{'descr': [(('t', 'n'), '<i8'), ('', '|V4'), ('o', [('x', 'O')])], 'fortran_order': False, 'shape': (1,)}`,
			"[(('t', 'n'), '<i8'), ('', '|V4'), ('o', [('x', 'O')])]", []int64{1}, -1, true, true},
		{`{'descr': '<M8[ns]', 'fortran_order': False, 'shape': (1,), 'shape': (5,)}`, "<M8[ns]", []int64{5}, 8, false, false},
		{`{'descr': '<l', 'fortran_order': False, 'shape': (1,)}`, "<l", []int64{1}, -1, false, false},
		{`{'descr': r'<f\4', 'fortran_order': False, 'shape': (1,)}`, `<f\4`, []int64{1}, -1, false, false},
		{`{'descr': '|O', 'fortran_order': False, 'shape': (-1, 1.5e3j), 'shape': (-1,)}`, "|O", []int64{-1}, -1, true, false},
		{`{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), 'shape': (4294967296, 4294967296)}`, "<f4", []int64{1 << 32, 1 << 32}, 4, false, false},
	}
	for _, c := range cases {
		h, err := parse(t, c.header)
		if err != nil {
			t.Errorf("%s: %v", c.header, err)
			continue
		}
		if h.Descr != c.descr || !reflect.DeepEqual(h.Shape, c.shape) && len(h.Shape)+len(c.shape) > 0 ||
			h.ItemSize != c.item || h.HasObject != c.object || h.Structured != c.struc {
			t.Errorf("%s:\n got %+v", c.header, h)
		}
	}
}

func TestHeaderErrors(t *testing.T) {
	cases := map[string]string{
		`{'descr': '<f4', 'fortran_order': False}`:                                   "exactly 'descr'",
		`{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}`:            "exactly 'descr'",
		`{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}`:                        "not True or False",
		`{'descr': '<f4', 'fortran_order': False, 'shape': [1]}`:                     "not a tuple",
		`{'descr': '<f4', 'fortran_order': False, 'shape': (1.5,)}`:                  "holds a float",
		`{'descr': '<f4', 'fortran_order': False, 'shape': (010,)}`:                  "malformed number",
		`{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}`: "64 bits",
		`{'descr': ('<f4', (-2,)), 'fortran_order': False, 'shape': ()}`:             "negative dimension",
		`{'descr': 5, 'fortran_order': False, 'shape': ()}`:                          "not a dtype",
		`{'descr': [('a',)], 'fortran_order': False, 'shape': ()}`:                   "not a (name, descr)",
		`{'descr': '<f4', 'fortran_order': False, 'shape': (), }  junk`:              "after the literal",
		`{'descr': __import__('os'), 'fortran_order': False, 'shape': ()}`:           "not a literal",
		`{'descr': '<f4 `: "ends inside a string",
		`['descr']`:       "not a dict",
		`{'descr': '\N{BULLET}', 'fortran_order': False, 'shape': ()}`: "named escapes",
	}
	for header, want := range cases {
		_, err := parse(t, header)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", header, err, want)
		}
	}
}

func TestLimits(t *testing.T) {
	deep := "{'descr': " + strings.Repeat("[", 40) + strings.Repeat("]", 40) + ", 'fortran_order': False, 'shape': ()}"
	if _, err := parse(t, deep); err == nil || !strings.Contains(err.Error(), "nesting deeper than 16") {
		t.Errorf("deep nesting: %v", err)
	}
	dims := "{'descr': '<f4', 'fortran_order': False, 'shape': (" + strings.Repeat("1,", 65) + ")}"
	if _, err := parse(t, dims); err == nil || !strings.Contains(err.Error(), "65 dimensions") {
		t.Errorf("too many dims: %v", err)
	}
	big := append(build(2, ""), 0)
	binary.LittleEndian.PutUint32(big[8:], 4000000)
	_, err := ParseHeader(bytes.NewReader(big), Limits{})
	if err == nil || err.Error() != "npy: header length 4000000 exceeds the 1 MiB limit" {
		t.Errorf("large header: %v", err)
	}
}

func TestPreambleErrors(t *testing.T) {
	good := build(1, "{'descr': '<f4', 'fortran_order': False, 'shape': () }\n")
	if _, err := ParseHeader(bytes.NewReader([]byte("PK\x03\x04 not npy")), Limits{}); !errors.Is(err, ErrNotNPY) {
		t.Errorf("zip input: %v", err)
	}
	for _, n := range []int{0, 5, 8, 9, 20, len(good) - 1} {
		_, err := ParseHeader(bytes.NewReader(good[:n]), Limits{})
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("truncated to %d: %v", n, err)
		}
	}
	v4 := bytes.Clone(good)
	v4[6] = 4
	if _, err := ParseHeader(bytes.NewReader(v4), Limits{}); err == nil || !strings.Contains(err.Error(), "version 4.0") {
		t.Errorf("version 4: %v", err)
	}
	v3 := build(3, "{'descr': '\xff', 'fortran_order': False, 'shape': ()}")
	if _, err := ParseHeader(bytes.NewReader(v3), Limits{}); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("bad utf-8: %v", err)
	}
	h, err := ParseHeader(bytes.NewReader(good), Limits{})
	if err != nil || !h.Misaligned || h.DataOffset != int64(len(good)) {
		t.Errorf("unpadded header: %+v, %v", h, err)
	}
}

func TestLatin1FieldName(t *testing.T) {
	h, err := parse(t, "{'descr': [('caf\xe9', '<u2')], 'fortran_order': False, 'shape': ()}")
	if err != nil {
		t.Fatal(err)
	}
	if h.Descr != "[('café', '<u2')]" || h.ItemSize != 2 {
		t.Errorf("got %q size %d", h.Descr, h.ItemSize)
	}
}

func TestDataBytesOverflow(t *testing.T) {
	h := &Header{ItemSize: 16, Shape: []int64{1 << 31, 1 << 31}}
	if _, ok := h.DataBytes(); ok {
		t.Error("DataBytes did not report overflow")
	}
	h = &Header{ItemSize: 4}
	if n, ok := h.DataBytes(); n != 4 || !ok {
		t.Errorf("0-d array: %d %v", n, ok)
	}
}

// TestObjectArrayOddShape: NumPy unpickles an object array whatever its
// shape says (checked with NumPy 1.24 for (-1,) and (2**32, 2**32)), so
// such headers must parse, with DataBytes unknown.
func TestObjectArrayOddShape(t *testing.T) {
	for _, shape := range []string{"(-1,)", "(4294967296, 4294967296)"} {
		h, err := parse(t, "{'descr': '|O', 'fortran_order': False, 'shape': "+shape+"}")
		if err != nil {
			t.Fatalf("%s: %v", shape, err)
		}
		if !h.HasObject {
			t.Errorf("%s: HasObject false", shape)
		}
		h.ItemSize = 8 // as if it were a plain array
		if n, ok := h.DataBytes(); ok {
			t.Errorf("%s: DataBytes = %d", shape, n)
		}
	}
}
