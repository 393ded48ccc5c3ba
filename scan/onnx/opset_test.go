package onnx

import (
	"math"
	"strings"
	"testing"

	"github.com/modelward/modelward/finding"
)

// function is a ModelProto.functions entry (FunctionProto: name 1, node 7,
// opset_import 9, domain 10) whose nodes run the given operators of the
// default domain; the imports follow the nodes, as onnx writes them.
func function(name, domain string, ops []string, imports ...[]byte) []byte {
	b := bytesField(1, []byte(name))
	for _, op := range ops {
		b = append(b, bytesField(7, cat(bytesField(4, []byte(op)), bytesField(7, nil)))...)
	}
	for _, imp := range imports {
		b = append(b, imp...)
	}
	return bytesField(25, cat(b, bytesField(10, []byte(domain))))
}

// fnImport is a FunctionProto.opset_import entry.
func fnImport(domain string, v uint64) []byte {
	return bytesField(9, cat(bytesField(1, []byte(domain)), varintField(2, v)))
}

// ruleSevs lists the findings as "rule/severity" strings, sorted as Check sorts them.
func ruleSevs(fs []finding.Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule+"/"+f.Severity.String())
	}
	return strings.Join(out, ",")
}

func TestOpsetLeniency(t *testing.T) {
	info := finding.CustomOperator + "/" + finding.Info.String()
	medium := finding.CustomOperator + "/" + finding.Medium.String()
	forged := finding.StructureInvalid + "/" + finding.High.String()
	cases := []struct {
		name    string
		op, dom string
		imports [][]byte
		want    []string // rule/severity, any order
	}{
		// The red-team repro: an unknown name behind opset 99 was info.
		{"unknown name, opset 99", "PyFunc", "", [][]byte{opsetImport("", 99)}, []string{medium, forged}},
		{"unknown name, released opset", "PyFunc", "", [][]byte{opsetImport("", 23)}, []string{medium}},
		{"unknown name, opset 17", "PyFunc", "", [][]byte{opsetImport("", 17)}, []string{medium}},
		{"newer op, its opset", "Gelu", "", [][]byte{opsetImport("", 20)}, []string{info}},
		{"newer op, too old an opset", "Gelu", "", [][]byte{opsetImport("", 19)}, []string{medium}},
		{"newer op, no import", "Gelu", "", nil, []string{medium}},
		{"newer op, forged opset", "Gelu", "", [][]byte{opsetImport("", 99)}, []string{medium, forged}},
		{"newest op, newest opset", "LinearAttention", "ai.onnx", [][]byte{opsetImport("ai.onnx", 27)}, []string{info}},
		{"newest opset + 1", "Attention", "", [][]byte{opsetImport("", 28)}, []string{medium, forged}},
		{"opset overflowing int64", "Relu", "", [][]byte{opsetImport("", -1)}, []string{forged}},
		{"opset 0 (version left out)", "Relu", "", [][]byte{opsetImport("", 0)}, nil},
		// Imported twice, the lowest version decides.
		{"duplicate import", "Attention", "", [][]byte{opsetImport("", 17), opsetImport("ai.onnx", 23)}, []string{medium}},
		{"ml newer op", "TreeEnsemble", "ai.onnx.ml", [][]byte{opsetImport("", 17), opsetImport("ai.onnx.ml", 5)}, []string{info}},
		{"ml forged opset", "TreeEnsemble", "ai.onnx.ml", [][]byte{opsetImport("", 17), opsetImport("ai.onnx.ml", 6)}, []string{medium, forged}},
		{"ml unknown name", "PyFunc", "ai.onnx.ml", [][]byte{opsetImport("ai.onnx.ml", 5)}, []string{medium}},
		// Custom domains have no released versions to check.
		{"custom domain opset 9999", "Exec", "com.attacker", [][]byte{opsetImport("com.attacker", 9999)}, []string{medium}},
	}
	for _, c := range cases {
		_, fs := mustCheck(t, model(append([][]byte{graph(node(c.op, c.dom))}, c.imports...)...), "")
		got := ruleSevs(fs)
		if len(fs) != len(c.want) {
			t.Errorf("%s: got %s, want %v", c.name, got, c.want)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: got %s, want %v", c.name, got, c.want)
			}
		}
	}
}

func TestForgedOpsetMessage(t *testing.T) {
	_, fs := mustCheck(t, model(graph(node("Relu", "")), opsetImport("", 99)), "")
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "declares opset 99 of ai.onnx, which does not exist") ||
		fs[0].Location.Member[0] != "opset_import" {
		t.Errorf("%+v", fs)
	}
	// uint64 versions past MaxInt64 are not mistaken for small ones.
	_, fs = mustCheck(t, model(graph(node("Relu", "")), bytesField(8, cat(bytesField(1, nil), varintField(2, math.MaxUint64)))), "")
	if count(fs, finding.StructureInvalid, finding.High) != 1 {
		t.Errorf("%+v", fs)
	}
}

// A function resolves its operators against its own opset_import: its
// imports neither raise the model's leniency nor take the model's.
func TestFunctionOpsetScope(t *testing.T) {
	fnDomain := opsetImport("local", 1)
	cases := []struct {
		name  string
		parts [][]byte
		want  finding.Severity // of the one MW314 finding
		forge int              // MW315 findings
	}{
		// The red-team repro: a function importing opset 500 made PyFunc
		// in the main graph info.
		{"function forges, graph uses unknown", [][]byte{
			graph(node("PyFunc", ""), node("F", "local")), opsetImport("", 13), fnDomain,
			function("F", "local", []string{"Identity"}, fnImport("", 500)),
		}, finding.Medium, 1},
		{"function imports 23, graph uses Attention at 17", [][]byte{
			graph(node("Attention", ""), node("F", "local")), opsetImport("", 17), fnDomain,
			function("F", "local", []string{"Identity"}, fnImport("", 23)),
		}, finding.Medium, 0},
		{"function imports 23 and uses Attention", [][]byte{
			graph(node("F", "local")), opsetImport("", 17), fnDomain,
			function("F", "local", []string{"Attention"}, fnImport("", 23)),
		}, finding.Info, 0},
		{"function imports 17 and uses Attention, model 23", [][]byte{
			graph(node("F", "local")), opsetImport("", 23), fnDomain,
			function("F", "local", []string{"Attention"}, fnImport("", 17)),
		}, finding.Medium, 0},
		{"one of two functions lacks the import", [][]byte{
			graph(node("F", "local"), node("G", "local")), opsetImport("", 23), fnDomain,
			function("F", "local", []string{"Attention"}, fnImport("", 23)),
			function("G", "local", []string{"Attention"}),
		}, finding.Medium, 0},
		{"function and graph both fine", [][]byte{
			graph(node("Attention", ""), node("F", "local")), opsetImport("", 23), fnDomain,
			function("F", "local", []string{"Attention"}, fnImport("", 24)),
		}, finding.Info, 0},
	}
	for _, c := range cases {
		_, fs := mustCheck(t, model(c.parts...), "")
		if count(fs, finding.CustomOperator, c.want) != 1 || count(fs, finding.CustomOperator, finding.Info)+count(fs, finding.CustomOperator, finding.Medium) != 1 {
			t.Errorf("%s: want one MW314 at %s: %s", c.name, c.want, ruleSevs(fs))
		}
		if got := count(fs, finding.StructureInvalid, finding.High); got != c.forge {
			t.Errorf("%s: %d MW315, want %d: %s", c.name, got, c.forge, ruleSevs(fs))
		}
	}
}

// Every operator in the post-1.12 list is info at its own opset and at the
// newest released one, medium one opset earlier.
func TestNewerOpsList(t *testing.T) {
	table := table()
	for k, since := range newerOps {
		if table.ops[k] {
			t.Errorf("%v is already in the 1.12 list", k)
		}
		if since <= table.newest[k.domain] || since > newestReleased[k.domain] {
			t.Errorf("%v: since %d outside (%d, %d]", k, since, table.newest[k.domain], newestReleased[k.domain])
		}
		for v, want := range map[int64]finding.Severity{since: finding.Info, newestReleased[k.domain]: finding.Info, since - 1: finding.Medium} {
			_, fs := mustCheck(t, model(graph(node(k.op, k.domain)), opsetImport(k.domain, v)), "")
			if len(fs) != 1 || fs[0].Severity != want {
				t.Errorf("%v at opset %d: %s", k, v, ruleSevs(fs))
			}
		}
	}
}
