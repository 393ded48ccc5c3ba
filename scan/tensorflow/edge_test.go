package tensorflow

import (
	"bytes"
	"encoding/binary"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/modelward/modelward/finding"
)

func rules(fs []finding.Finding) string {
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.Rule+"/"+f.Severity.String())
	}
	return strings.Join(ids, ",")
}

func TestOversizedProtobufIsLimitNotClean(t *testing.T) {
	data, _ := os.ReadFile("testdata/benign/saved_model.pb")
	cfg := Config{MaxBytes: 100}
	_, fs := CheckSavedModel(bytes.NewReader(data), int64(len(data)), cfg)
	if rules(fs) != finding.LimitReached+"/high" {
		t.Errorf("got %s", rules(fs))
	}
}

func TestEmptySavedModelIsNotClean(t *testing.T) {
	_, fs := CheckSavedModel(bytes.NewReader(nil), 0, Config{})
	if rules(fs) != finding.StructureInvalid+"/high" {
		t.Errorf("got %s", rules(fs))
	}
}

func TestAttrNestingIsBounded(t *testing.T) {
	v := msg(nil).str(2, "x")
	for i := 0; i < maxAttrDepth+5; i++ { // AttrValue{func{attr{"a": v}}}
		v = msg(nil).sub(10, msg(nil).str(1, "f").sub(2, msg(nil).str(1, "a").sub(2, v)))
	}
	data := graphModel(nil, mkNode("n", "Identity", nil, map[string]msg{"deep": v}))
	res, fs := scanBytes("saved_model.pb", data)
	if rules(fs) != finding.LimitReached+"/high" {
		t.Errorf("got %s", rules(fs))
	}
	if res.Ops["Identity"] != 1 {
		t.Error("the node whose attrs hit the limit must still be counted and checked")
	}
}

func TestAssetEscapingTheModel(t *testing.T) {
	asset := msg(nil).sub(6, msg(nil).str(2, "../../../../etc/shadow"))
	ok := msg(nil).sub(6, msg(nil).str(2, "vocab.txt"))
	_, fs := scanBytes("saved_model.pb", graphModel(append(asset, ok...), mkNode("n", "NoOp", nil, nil)))
	if rules(fs) != finding.ExternalDataEscape+"/critical" || fs[0].Evidence.Args[0] != "../../../../etc/shadow" {
		t.Errorf("got %s", describe(fs))
	}
}

func TestAttributePathOps(t *testing.T) {
	list := func(ss ...string) msg {
		l := msg(nil)
		for _, s := range ss {
			l = l.str(2, s)
		}
		return msg(nil).sub(1, l)
	}
	data := graphModel(nil,
		mkNode("dbg", "DebugIdentity", []string{"x"}, map[string]msg{"debug_urls": list("grpc://10.0.0.1:6064")}),
		mkNode("dbg_ok", "DebugIdentity", []string{"x"}, map[string]msg{"debug_urls": list()}),
		mkNode("print", "PrintV2", []string{"x"}, map[string]msg{"output_stream": msg(nil).str(2, "file:///tmp/leak")}),
		mkNode("print_ok", "PrintV2", []string{"x"}, map[string]msg{"output_stream": msg(nil).str(2, "stderr")}),
		mkNode("imm", "ImmutableConst", nil, map[string]msg{"memory_region_name": msg(nil).str(2, "/dev/mem")}),
		mkNode("x", "Placeholder", nil, nil))
	_, fs := scanBytes("saved_model.pb", data)
	want := []string{"node dbg", "node print", "node imm"}
	if len(fs) != len(want) {
		t.Fatalf("got %s", describe(fs))
	}
	for i, f := range fs {
		if f.Rule != finding.GraphUnsafeOp || !strings.HasSuffix(f.Location.MemberPath(), want[i]) {
			t.Errorf("finding %d: %s", i, describe(fs[i:i+1]))
		}
	}
}

func TestPathResolvedThroughIntermediates(t *testing.T) {
	// StringJoin(Const "/abs", Placeholder) → RestoreV2: the constant is
	// found two steps up; a placeholder-only path (the Keras baseline) is not
	// reported.
	data := graphModel(nil,
		constString("c", "/var/lib/secret"),
		mkNode("p", "Placeholder", nil, nil),
		mkNode("j", "StringJoin", []string{"c", "p"}, nil),
		mkNode("r", "RestoreV2", []string{"j:0", "names", "slices"}, nil),
		mkNode("r_ok", "RestoreV2", []string{"p", "names", "slices"}, nil),
		constString("names", "/not/a/path/input"),
		constString("slices", ""))
	_, fs := scanBytes("saved_model.pb", data)
	if len(fs) != 1 || !strings.HasSuffix(fs[0].Location.MemberPath(), "node r") || fs[0].Evidence.Args[0] != "/var/lib/secret" {
		t.Errorf("got %s", describe(fs))
	}
}

func TestFingerprintStructure(t *testing.T) {
	for name, data := range map[string][]byte{
		"bad varint":      append([]byte{0x08}, bytes.Repeat([]byte{0xff}, 10)...),
		"wrong wire type": msg(nil).str(1, "not a hash"),
		"past the end":    {0x32, 0x09, 0x08},
	} {
		fs := CheckFingerprint(bytes.NewReader(data), int64(len(data)), Config{})
		if rules(fs) != finding.StructureInvalid+"/high" {
			t.Errorf("%s: got %s", name, rules(fs))
		}
	}
}

func TestKerasMetadataStructure(t *testing.T) {
	data := msg(nil).sub(1, msg(nil).str(5, `{"class_name": "Dense"}`)).varint(1, 3)
	res, fs := CheckKerasMetadata(bytes.NewReader(data), int64(len(data)), Config{})
	if rules(fs) != finding.StructureInvalid+"/high" || len(res.KerasMetadata) != 1 {
		t.Errorf("got %s, %d docs", rules(fs), len(res.KerasMetadata))
	}
}

func benignTFLite(t *testing.T) []byte {
	data, err := os.ReadFile("testdata/benign/model.tflite")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestTFLiteBrokenOffsets(t *testing.T) {
	root := func(v uint32) []byte {
		d := benignTFLite(t)
		binary.LittleEndian.PutUint32(d, v)
		return d
	}
	vtable := func() []byte { // soffset of the root table pointing before the file
		d := benignTFLite(t)
		pos := binary.LittleEndian.Uint32(d)
		binary.LittleEndian.PutUint32(d[pos:], 0x7fffffff)
		return d
	}
	for name, data := range map[string][]byte{
		"root past the end":       root(1 << 30),
		"vtable before the start": vtable(),
		"short":                   []byte("\x08\x00\x00\x00TFL3"),
	} {
		_, fs := CheckTFLite(bytes.NewReader(data), int64(len(data)), Config{})
		if rules(fs) != finding.StructureInvalid+"/high" {
			t.Errorf("%s: got %s", name, describe(fs))
		}
	}
}

// countingReader records how many bytes a check reads.
type countingReader struct {
	r *bytes.Reader
	n atomic.Int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

func TestTFLiteReadsOnlyStructure(t *testing.T) {
	// 8 MiB of trailing data (as tensor data would be) must not be read.
	data := append(benignTFLite(t), make([]byte, 8<<20)...)
	cr := &countingReader{r: bytes.NewReader(data)}
	_, fs := CheckTFLite(cr, int64(len(data)), Config{})
	if len(fs) != 0 {
		t.Fatalf("unexpected findings: %s", describe(fs))
	}
	if cr.n.Load() > 64<<10 {
		t.Errorf("read %d bytes of an %d-byte file", cr.n.Load(), len(data))
	}
}
