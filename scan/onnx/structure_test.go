package onnx

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/modelward/modelward/finding"
)

func TestNotONNXIsAnError(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":       {},
		"pickle":      []byte("\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94."),
		"zip":         []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00"),
		"safetensors": []byte("\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":1}        "),
		"text":        []byte("hello, world: not a model"),
		"ir zero":     {0x08, 0x00, 0x12, 0x01, 'x'},
		"bad utf8":    {0x12, 0x02, 0xff, 0xfe},
	} {
		if _, _, err := Check(bytes.NewReader(b), int64(len(b)), Config{}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// Cut anywhere inside the graph field, a model must report MW315.
func TestTruncationInsideGraphIsReported(t *testing.T) {
	b, err := os.ReadFile("testdata/benign/mlp.onnx")
	if err != nil {
		t.Fatal(err)
	}
	start := bytes.Index(b, []byte{0x3a}) // ModelProto.graph tag (7<<3|2)
	if start < 0 {
		t.Fatal("no graph field")
	}
	for cut := start + 4; cut < len(b)-40; cut++ {
		_, fs, err := Check(bytes.NewReader(b[:cut]), int64(cut), Config{})
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		if count(fs, finding.StructureInvalid, finding.High) == 0 {
			t.Fatalf("cut at %d of %d: no MW315: %+v", cut, len(b), fs)
		}
	}
}

func TestDimsThatLie(t *testing.T) {
	cases := map[string][]byte{
		"negative": floatTensor("w", []int64{-1, 4}, 0),
		"overflow": floatTensor("w", []int64{1 << 40, 1 << 40}, 0),
		"raw lies": floatTensor("w", []int64{2, 2}, 4),
	}
	for name, tensor := range cases {
		_, fs := mustCheck(t, model(graph(initializer(tensor))), "")
		if count(fs, finding.StructureInvalid, finding.High) != 1 {
			t.Errorf("%s: %+v", name, fs)
		}
	}
	// Packed dims are as valid as one varint per dim.
	packed := cat(bytesField(1, []byte{2, 2}), varintField(2, 1), bytesField(9, make([]byte, 16)))
	if _, fs := mustCheck(t, model(graph(initializer(packed))), ""); len(fs) != 0 {
		t.Errorf("packed dims: %+v", fs)
	}
}

func TestWrongWireTypeIsReported(t *testing.T) {
	bad := model(graph(bytesField(1, varintField(4, 7)))) // op_type as a varint
	_, fs := mustCheck(t, bad, "")
	if count(fs, finding.StructureInvalid, finding.High) == 0 {
		t.Errorf("%+v", fs)
	}
}

func TestGroupsAreMalformed(t *testing.T) {
	b := model(graph([]byte{0x0b, 0x0c})) // start group 1, end group 1
	_, fs := mustCheck(t, b, "")
	if count(fs, finding.StructureInvalid, finding.High) == 0 {
		t.Errorf("%+v", fs)
	}
}

// If bodies nested past maxDepth are not walked, and that is reported.
func TestSubgraphDepthLimit(t *testing.T) {
	g := node("Relu", "")
	for range maxDepth + 5 {
		g = node("If", "", graphAttr("then_branch", g))
	}
	_, fs := mustCheck(t, model(graph(g)), "")
	if count(fs, finding.LimitReached, finding.High) != 1 {
		t.Errorf("%+v", fs)
	}
	// Within the limit, the innermost node is still seen.
	g = node("Exec", "com.attacker")
	for range maxDepth - 1 {
		g = node("If", "", graphAttr("then_branch", g))
	}
	_, fs = mustCheck(t, model(graph(g)), "")
	if count(fs, finding.CustomOperator, finding.Medium) != 1 || count(fs, finding.LimitReached, finding.High) != 0 {
		t.Errorf("%+v", fs)
	}
}

func TestOversizeModelIsNotInspected(t *testing.T) {
	b := model(graph(node("Relu", "")))
	_, fs, err := Check(bytes.NewReader(b), int64(len(b)), Config{MaxBytes: 4})
	if err != nil || count(fs, finding.LimitReached, finding.High) != 1 {
		t.Errorf("%v %+v", err, fs)
	}
}

func TestFindingsPerRuleAreCapped(t *testing.T) {
	var nodes [][]byte
	for i := range 3 * maxPerRule {
		nodes = append(nodes, node("Op", "x"+strings.Repeat("y", i)))
	}
	_, fs := mustCheck(t, model(graph(nodes...)), "")
	if n := count(fs, finding.CustomOperator, finding.Medium); n != maxPerRule {
		t.Errorf("%d findings listed", n)
	}
	if count(fs, finding.LimitReached, finding.Info) != 1 {
		t.Errorf("the cap was not noted")
	}
}

func TestDocStringsAndAttributes(t *testing.T) {
	elf := append([]byte("\x7fELF\x02\x01\x01\x00"), make([]byte, 64)...)
	pe := make([]byte, 0x80)
	copy(pe, "MZ")
	pe[0x3c] = 0x40
	copy(pe[0x40:], "PE\x00\x00")
	cases := map[string]struct {
		b    []byte
		rule string
	}{
		"node doc shebang":  {model(graph(bytesField(1, cat(bytesField(4, []byte("Relu")), bytesField(6, []byte("#!/bin/sh\nid")))))), finding.PickleExecutable},
		"model doc jinja":   {model(bytesField(6, []byte("{{ ''.__class__.__mro__[1].__subclasses__() }}"))), finding.MetadataInjection},
		"graph doc import":  {model(graph(bytesField(10, []byte("__import__('os').system('id')")))), finding.MetadataInjection},
		"attr string elf":   {model(graph(node("Relu", "", bytesField(5, cat(bytesField(1, []byte("blob")), bytesField(4, elf)))))), finding.PickleExecutable},
		"attr string pe":    {model(graph(node("Relu", "", bytesField(5, cat(bytesField(1, []byte("blob")), bytesField(4, pe)))))), finding.PickleExecutable},
		"graph meta base64": {model(graph(bytesField(16, cat(bytesField(1, []byte("k")), bytesField(2, []byte("f0VMRgIBAQAAAAAA")))))), finding.PickleExecutable},
	}
	for name, c := range cases {
		_, fs := mustCheck(t, c.b, "")
		if count(fs, c.rule, finding.High) != 1 {
			t.Errorf("%s: %+v", name, fs)
		}
	}
	// Ordinary documentation is not flagged.
	plain := model(bytesField(6, []byte("ResNet-50 v1.5. Call model.eval() before export; see {{docs}}.")))
	if _, fs := mustCheck(t, plain, ""); len(fs) != 0 {
		t.Errorf("plain doc: %+v", fs)
	}
}
