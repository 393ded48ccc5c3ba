package onnx

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/modelward/modelward/finding"

	"google.golang.org/protobuf/encoding/protowire"
)

const bytesT, varintT = protowire.BytesType, protowire.VarintType

// model walks ModelProto (onnx.proto: ir_version 1, producer_name 2,
// producer_version 3, domain 4, doc_string 6, graph 7, opset_import 8,
// metadata_props 14, training_info 20, functions 25).
func (w *walker) model(c cursor) {
	var f field
	training := 0
	for w.next(&c, &f) {
		w.topFields++
		switch f.num {
		case 1:
			if w.want(f, varintT, "ModelProto.ir_version") {
				w.res.IRVersion = int64(f.v)
			}
		case 2:
			if w.want(f, bytesT, "ModelProto.producer_name") {
				w.res.Producer = w.str(f, maxName)
				w.checkText("producer_name", f, w.res.Producer)
			}
		case 3, 4, 6:
			if w.want(f, bytesT, "ModelProto text field") {
				w.text(modelTextName[f.num], f)
			}
		case 7:
			if w.want(f, bytesT, "ModelProto.graph") {
				w.graph(f.sub(), "graph", 0)
			}
		case 8:
			if w.want(f, bytesT, "ModelProto.opset_import") {
				w.modelOpset(w.opset(f.sub()))
			}
		case 14:
			if w.want(f, bytesT, "ModelProto.metadata_props") {
				w.entry(f.sub(), "metadata_props")
			}
		case 20:
			if w.want(f, bytesT, "ModelProto.training_info") {
				w.training(f.sub(), fmt.Sprintf("training_info[%d]", training))
				training++
			}
		case 25:
			if w.want(f, bytesT, "ModelProto.functions") {
				w.function(f.sub())
			}
		}
	}
}

var modelTextName = map[protowire.Number]string{3: "producer_version", 4: "domain", 6: "doc_string"}

// graph walks GraphProto (node 1, name 2, initializer 5, doc_string 10,
// input 11, output 12, value_info 13, sparse_initializer 15,
// metadata_props 16). depth counts the subgraphs enclosing it.
func (w *walker) graph(c cursor, where string, depth int) {
	if depth > maxDepth {
		w.rep.emit(finding.LimitReached, finding.High, where, c.pos, finding.Evidence{},
			"subgraphs nest more than %d deep at %s; the deeper graphs were not inspected", maxDepth, where)
		return
	}
	var f field
	nodes := 0
	for w.next(&c, &f) {
		if !w.known(f, "GraphProto", 1, 5, 10, 11, 12, 13, 15, 16) {
			continue
		}
		switch f.num {
		case 1:
			w.node(f.sub(), where, nodes, depth)
			nodes++
		case 5:
			w.tensor(f.sub(), where+"/initializer", depth)
		case 15:
			w.sparse(f.sub(), where+"/sparse_initializer", depth)
		case 10:
			w.text(where+"/doc_string", f)
		case 11, 12, 13:
			w.valueInfo(f.sub(), where)
		case 16:
			w.entry(f.sub(), where+"/metadata_props")
		}
	}
}

// node walks NodeProto (name 3, op_type 4, attribute 5, doc_string 6,
// domain 7, metadata_props 9). Protobuf keeps the last of repeated
// singular fields, and so does this walk.
func (w *walker) node(c cursor, parent string, index, depth int) {
	w.res.Nodes++
	if w.res.Nodes > maxNodes {
		w.limit(c.pos, "the model has more than %d nodes; the rest were not inspected", maxNodes)
		return
	}
	at := c.pos
	var f field
	var name, op, domain string
	where := fmt.Sprintf("%s/node[%d]", parent, index)
	for w.next(&c, &f) {
		if !w.known(f, "NodeProto", 3, 4, 5, 6, 7, 9) {
			continue
		}
		switch f.num {
		case 3:
			name = w.str(f, maxName)
			where = parent + "/node:" + short(name)
		case 4:
			op = w.str(f, maxName)
		case 7:
			domain = w.str(f, maxName)
		case 5:
			w.attribute(f.sub(), where, depth)
		case 6:
			w.text(where+"/doc_string", f)
		case 9:
			w.entry(f.sub(), where+"/metadata_props")
		}
	}
	if op == "" {
		w.structureAt(where, at, "node %s has no op_type: no runtime can run it, and no writer produces it", where)
		return
	}
	w.useOp(domain, op, where, at)
}

// attribute walks AttributeProto (name 1, s 4, t 5, g 6, strings 9,
// tensors 10, graphs 11, doc_string 13, sparse_tensor 22,
// sparse_tensors 23). Graph-valued attributes are the If/Loop/Scan bodies.
func (w *walker) attribute(c cursor, node string, depth int) {
	var f field
	where := node + "/attr"
	for w.next(&c, &f) {
		if f.num == 1 && w.want(f, bytesT, "AttributeProto.name") {
			where = node + "/attr:" + short(w.str(f, maxName))
			continue
		}
		if !w.known(f, "AttributeProto", 4, 5, 6, 9, 10, 11, 13, 22, 23) {
			continue
		}
		switch f.num {
		case 4, 9:
			w.checkMagic(where, f)
		case 5, 10:
			w.tensor(f.sub(), where, depth)
		case 6, 11:
			w.graph(f.sub(), where, depth+1)
		case 13:
			w.text(where+"/doc_string", f)
		case 22, 23:
			w.sparse(f.sub(), where, depth)
		}
	}
}

// function walks FunctionProto (name 1, node 7, doc_string 8,
// opset_import 9, domain 10, attribute_proto 11, metadata_props 14).
// Its nodes are checked like graph nodes.
func (w *walker) function(c cursor) {
	at := c.pos
	var f field
	var name, domain string
	nodes := 0
	where := "function"
	w.fn = &fnScope{ops: map[opKey]bool{}, versions: map[string]int64{}}
	for w.next(&c, &f) {
		if !w.known(f, "FunctionProto", 1, 7, 8, 9, 10, 11, 14) {
			continue
		}
		switch f.num {
		case 1:
			name = w.str(f, maxName)
		case 10:
			domain = w.str(f, maxName)
		case 7:
			w.node(f.sub(), where, nodes, 0)
			nodes++
		case 8:
			w.text(where+"/doc_string", f)
		case 9:
			d, v := w.opset(f.sub())
			w.functionOpset(where, d, v)
		case 11:
			w.attribute(f.sub(), where, 0)
		case 14:
			w.entry(f.sub(), where+"/metadata_props")
		}
		if name != "" || domain != "" {
			where = "function:" + short(domain) + "::" + short(name)
		}
	}
	w.endFunction()
	w.defineFunction(domain, name, nodes, at)
}

// training walks TrainingInfoProto (initialization 1, algorithm 2).
func (w *walker) training(c cursor, where string) {
	var f field
	for w.next(&c, &f) {
		if (f.num == 1 || f.num == 2) && w.want(f, bytesT, "TrainingInfoProto graph") {
			part := map[protowire.Number]string{1: "/initialization", 2: "/algorithm"}[f.num]
			w.graph(f.sub(), where+part, 0)
		}
	}
}

// valueInfo walks the text fields of ValueInfoProto (doc_string 3,
// metadata_props 4); its type is not needed.
func (w *walker) valueInfo(c cursor, graph string) {
	var f field
	where := graph + "/value"
	for w.next(&c, &f) {
		switch {
		case f.num == 1 && f.typ == bytesT:
			where = graph + "/value:" + short(w.str(f, maxName))
		case f.num == 3 && w.want(f, bytesT, "ValueInfoProto.doc_string"):
			w.text(where+"/doc_string", f)
		case f.num == 4 && w.want(f, bytesT, "ValueInfoProto.metadata_props"):
			w.entry(f.sub(), where+"/metadata_props")
		}
	}
}

// opset walks OperatorSetIdProto (domain 1, version 2).
func (w *walker) opset(c cursor) (string, int64) {
	var f field
	var domain string
	var version int64
	for w.next(&c, &f) {
		switch {
		case f.num == 1 && w.want(f, bytesT, "OperatorSetIdProto.domain"):
			domain = w.str(f, maxName)
		case f.num == 2 && w.want(f, varintT, "OperatorSetIdProto.version"):
			version = int64(f.v)
		}
	}
	return domain, version
}

// entry walks one StringStringEntryProto (key 1, value 2) of a
// metadata_props list and checks both for payloads.
func (w *walker) entry(c cursor, where string) {
	var f field
	key := ""
	for w.next(&c, &f) {
		if !w.known(f, "StringStringEntryProto", 1, 2) {
			continue
		}
		switch f.num {
		case 1:
			key = w.str(f, maxName)
			w.checkText(where, f, key)
		case 2:
			w.text(where+"["+strconv.Quote(short(key))+"]", f)
		}
	}
}

// known reports whether f is one of the length-delimited fields nums of
// message msg, reporting a known field of the wrong wire type. Unknown
// fields are skipped silently, as protobuf requires.
func (w *walker) known(f field, msg string, nums ...protowire.Number) bool {
	for _, n := range nums {
		if f.num == n {
			return w.want(f, bytesT, msg+" field")
		}
	}
	return false
}

// short bounds a name used in a location or message and makes it printable.
func short(s string) string {
	const max = 64
	if len(s) > max {
		s = s[:max] + "…"
	}
	return strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return '?'
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
}
