package tensorflow

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelward/modelward/finding"
	"google.golang.org/protobuf/encoding/protowire"
)

// scanFile dispatches a fixture the way a caller would: TFLite by its
// identifier, protobufs by base name (malicious .pb files are SavedModels).
func scanFile(t testing.TB, path string) (*Result, []finding.Finding) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return scanBytes(filepath.Base(path), data)
}

func scanBytes(name string, data []byte) (*Result, []finding.Finding) {
	cfg := Config{Location: finding.Location{Path: name, Member: []string{"model"}, Offset: -1}}
	r, size := bytes.NewReader(data), int64(len(data))
	switch {
	case IsTFLite(data):
		return CheckTFLite(r, size, cfg)
	case Kind(name) == "keras_metadata":
		return CheckKerasMetadata(r, size, cfg)
	case Kind(name) == "fingerprint":
		return &Result{}, CheckFingerprint(r, size, cfg)
	}
	return CheckSavedModel(r, size, cfg)
}

// atLeast returns the findings of severity s or above.
func atLeast(fs []finding.Finding, s finding.Severity) []finding.Finding {
	var out []finding.Finding
	for _, f := range fs {
		if f.Severity >= s {
			out = append(out, f)
		}
	}
	return out
}

func describe(fs []finding.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("\n  " + f.Rule + " " + f.Severity.String() + " " + f.Location.String() + ": " + f.Message)
	}
	return b.String()
}

// msg is a protobuf builder for hand-made inputs in tests.
type msg []byte

func (m msg) str(n protowire.Number, s string) msg {
	return protowire.AppendString(protowire.AppendTag(m, n, protowire.BytesType), s)
}

func (m msg) sub(n protowire.Number, s msg) msg {
	return protowire.AppendBytes(protowire.AppendTag(m, n, protowire.BytesType), s)
}

func (m msg) varint(n protowire.Number, v uint64) msg {
	return protowire.AppendVarint(protowire.AppendTag(m, n, protowire.VarintType), v)
}

// graphModel wraps NodeDefs into SavedModel{meta_graphs{graph_def{node...}}}
// plus any extra MetaGraphDef fields.
func graphModel(extraMeta msg, nodes ...msg) []byte {
	g := msg(nil)
	for _, n := range nodes {
		g = g.sub(1, n)
	}
	meta := msg(nil).sub(2, g)
	meta = append(meta, extraMeta...)
	return msg(nil).varint(1, 1).sub(2, meta)
}

func mkNode(name, op string, inputs []string, attrs map[string]msg) msg {
	m := msg(nil).str(1, name).str(2, op)
	for _, in := range inputs {
		m = m.str(3, in)
	}
	for k, v := range attrs {
		m = m.sub(5, msg(nil).str(1, k).sub(2, v))
	}
	return m
}

func constString(name string, vals ...string) msg {
	t := msg(nil).varint(1, dtString)
	for _, v := range vals {
		t = t.str(8, v)
	}
	return mkNode(name, "Const", nil, map[string]msg{"value": msg(nil).sub(8, t)})
}
