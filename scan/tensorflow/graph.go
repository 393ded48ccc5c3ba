package tensorflow

import (
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// Bounds on the work one saved_model.pb may cause. Real Keras models have a
// few thousand nodes; the limits leave room for large graphs while keeping
// memory and time proportional to something sane.
const (
	maxNodes       = 1 << 20 // NodeDefs over the graph and every function body
	maxFunctions   = 1 << 16
	maxMetaGraphs  = 64
	maxAttrDepth   = 10   // AttrValue → list/func → NameAttrList → AttrValue ...
	maxStrsPerNode = 64   // string values kept per node for evidence
	maxStrLen      = 4096 // bytes kept per string value
	maxKerasDocs   = 1 << 16
)

// nodeDef is what the checks need of a NodeDef (or a function's node_def).
type nodeDef struct {
	name, op string
	inputs   []string
	strs     map[string][]string // attr name → string values found inside it
	nstrs    int
	ints     []int64             // integer values of the "value" tensor (Const)
	funcs    map[string][]string // attr name → functions it names (not nested ones)
	off      int64
}

// addStr records a string of attr. The "value" attr of a Const has its own
// allowance, so strings padded into other attrs cannot push it out.
func (n *nodeDef) addStr(attr, s string) {
	if attr == "value" {
		if len(n.strs[attr]) >= maxStrsPerNode {
			return
		}
	} else if n.nstrs >= maxStrsPerNode {
		return
	}
	if len(s) > maxStrLen {
		s = s[:maxStrLen]
	}
	if n.strs == nil {
		n.strs = map[string][]string{}
	}
	n.strs[attr] = append(n.strs[attr], s)
	if attr != "value" {
		n.nstrs++
	}
}

func (n *nodeDef) addInt(v int64) {
	if len(n.ints) < maxStrsPerNode {
		n.ints = append(n.ints, v)
	}
}

func (n *nodeDef) addFunc(attr, name string) {
	if n.funcs == nil {
		n.funcs = map[string][]string{}
	}
	if len(n.funcs[attr]) < maxStrsPerNode {
		n.funcs[attr] = append(n.funcs[attr], name)
	}
}

// scope is one namespace of node names: the main graph or a function body.
type scope struct {
	label string // "graph" or "function NAME"
	nodes []*nodeDef
	off   int64
	// Function scopes only: the name, the input and output argument names
	// of the signature, and FunctionDef.ret (output name → "node:out:i").
	fname string
	args  []string
	outs  []string
	ret   map[string]string
}

type asset struct {
	filename string
	off      int64
}

// model is the part of a SavedModel the checks look at.
type model struct {
	scopes []*scope
	funcs  map[string]bool
	assets []asset
	// assetTensors are the graph tensors AssetFileDef.tensor_info names: the
	// loader feeds them the asset's path inside the model folder.
	assetTensors map[string]bool
	keras        []string
	nodes        int
}

type parser struct{ m *model }

func newParser() *parser { return &parser{m: &model{funcs: map[string]bool{}}} }

func (p *parser) savedModel(buf []byte) error {
	metas := 0
	return walk(buf, 0, func(f field) error {
		switch f.num {
		case 1:
			_, err := f.varint("SavedModel.saved_model_schema_version")
			return err
		case 2:
			if err := f.want(protowire.BytesType, "SavedModel.meta_graphs"); err != nil {
				return err
			}
			if metas++; metas > maxMetaGraphs {
				return &limitError{off: f.off, msg: "more than 64 meta graphs"}
			}
			return p.metaGraph(f.buf, f.boff)
		}
		return nil
	})
}

func (p *parser) metaGraph(buf []byte, base int64) error {
	return walk(buf, base, func(f field) error {
		switch f.num {
		case 1, 3, 4, 5:
			return f.want(protowire.BytesType, "MetaGraphDef field")
		case 2:
			if err := f.want(protowire.BytesType, "MetaGraphDef.graph_def"); err != nil {
				return err
			}
			return p.graphDef(f.buf, f.boff)
		case 6:
			if err := f.want(protowire.BytesType, "MetaGraphDef.asset_file_def"); err != nil {
				return err
			}
			return p.assetFile(f.buf, f.boff)
		case 7:
			if err := f.want(protowire.BytesType, "MetaGraphDef.object_graph_def"); err != nil {
				return err
			}
			return p.objectGraph(f.buf, f.boff)
		}
		return nil
	})
}

func (p *parser) graphDef(buf []byte, base int64) error {
	sc := &scope{label: "graph", off: base}
	p.m.scopes = append(p.m.scopes, sc)
	return walk(buf, base, func(f field) error {
		switch f.num {
		case 1:
			return p.addNode(sc, f, "GraphDef.node")
		case 2:
			if err := f.want(protowire.BytesType, "GraphDef.library"); err != nil {
				return err
			}
			return p.library(f.buf, f.boff)
		case 3:
			_, err := f.varint("GraphDef.version")
			return err
		case 4:
			return f.want(protowire.BytesType, "GraphDef.versions")
		}
		return nil
	})
}

func (p *parser) library(buf []byte, base int64) error {
	return walk(buf, base, func(f field) error {
		switch f.num {
		case 1:
			if err := f.want(protowire.BytesType, "FunctionDefLibrary.function"); err != nil {
				return err
			}
			if len(p.m.funcs) >= maxFunctions {
				return &limitError{off: f.off, msg: "more than 65536 library functions"}
			}
			return p.function(f.buf, f.boff)
		case 2:
			return p.gradient(f)
		}
		return nil
	})
}

// gradient only validates GradientDef: both names refer to library
// functions, whose bodies are checked on their own.
func (p *parser) gradient(f field) error {
	if err := f.want(protowire.BytesType, "FunctionDefLibrary.gradient"); err != nil {
		return err
	}
	return walk(f.buf, f.boff, func(g field) error {
		if g.num == 1 || g.num == 2 {
			_, err := g.str("GradientDef name")
			return err
		}
		return nil
	})
}

func (p *parser) function(buf []byte, base int64) error {
	sc := &scope{label: "function (unnamed)", off: base}
	p.m.scopes = append(p.m.scopes, sc)
	return walk(buf, base, func(f field) error {
		switch f.num {
		case 1:
			if err := f.want(protowire.BytesType, "FunctionDef.signature"); err != nil {
				return err
			}
			name, err := opDef(sc, f)
			if err != nil {
				return err
			}
			sc.label = "function " + name
			sc.fname = name
			p.m.funcs[name] = true
		case 3:
			return p.addNode(sc, f, "FunctionDef.node_def")
		case 4:
			key, val, _, err := mapEntry(f, "FunctionDef.ret")
			if err == nil && len(sc.ret) < maxFuncArgs {
				if sc.ret == nil {
					sc.ret = map[string]string{}
				}
				sc.ret[key] = string(val)
			}
			return err
		case 6:
			_, _, _, err := mapEntry(f, "FunctionDef.control_ret")
			return err
		case 5:
			_, val, voff, err := mapEntry(f, "FunctionDef.attr")
			if err != nil {
				return err
			}
			return attrValue(&nodeDef{}, "", val, voff, 0)
		}
		return nil
	})
}

// maxFuncArgs bounds the argument names kept per function signature.
const maxFuncArgs = 4096

// opDef reads the function's OpDef signature {name=1, input_arg=2,
// output_arg=3 (ArgDef name=1)} into sc and returns the name.
func opDef(sc *scope, f field) (name string, err error) {
	err = walk(f.buf, f.boff, func(g field) error {
		switch g.num {
		case 1:
			s, err := g.str("OpDef.name")
			name = s
			return err
		case 2, 3:
			if err := g.want(protowire.BytesType, "OpDef.ArgDef"); err != nil {
				return err
			}
			arg := ""
			err := walk(g.buf, g.boff, func(a field) error {
				if a.num == 1 {
					s, err := a.str("ArgDef.name")
					arg = s
					return err
				}
				return nil
			})
			if g.num == 2 && len(sc.args) < maxFuncArgs {
				sc.args = append(sc.args, arg)
			} else if g.num == 3 && len(sc.outs) < maxFuncArgs {
				sc.outs = append(sc.outs, arg)
			}
			return err
		}
		return nil
	})
	return
}

func (p *parser) addNode(sc *scope, f field, what string) error {
	if err := f.want(protowire.BytesType, what); err != nil {
		return err
	}
	if p.m.nodes++; p.m.nodes > maxNodes {
		return &limitError{off: f.off, msg: "more than 1048576 nodes"}
	}
	n, err := parseNode(f.buf, f.boff)
	if n != nil {
		sc.nodes = append(sc.nodes, n)
	}
	return err
}

// parseNode returns the node even when its attrs break, so a node whose op
// was read is still checked.
func parseNode(buf []byte, base int64) (*nodeDef, error) {
	n := &nodeDef{off: base}
	err := walk(buf, base, func(f field) error {
		var err error
		switch f.num {
		case 1:
			n.name, err = f.str("NodeDef.name")
		case 2:
			n.op, err = f.str("NodeDef.op")
		case 3:
			var in string
			in, err = f.str("NodeDef.input")
			n.inputs = append(n.inputs, in)
		case 4:
			_, err = f.str("NodeDef.device")
		case 5:
			key, val, voff, e := mapEntry(f, "NodeDef.attr")
			if e != nil {
				return e
			}
			err = attrValue(n, key, val, voff, 0)
		}
		return err
	})
	if n.op == "" && n.name == "" && err != nil {
		return nil, err
	}
	return n, err
}

func (p *parser) assetFile(buf []byte, base int64) error {
	return walk(buf, base, func(f field) error {
		if f.num == 1 { // TensorInfo {name=1}
			if err := f.want(protowire.BytesType, "AssetFileDef.tensor_info"); err != nil {
				return err
			}
			return walk(f.buf, f.boff, func(t field) error {
				if t.num != 1 {
					return nil
				}
				name, err := t.str("TensorInfo.name")
				if err == nil && len(p.m.assetTensors) < maxFuncArgs {
					if p.m.assetTensors == nil {
						p.m.assetTensors = map[string]bool{}
					}
					p.m.assetTensors[strings.TrimSuffix(name, ":0")] = true
				}
				return err
			})
		}
		if f.num == 2 {
			name, err := f.str("AssetFileDef.filename")
			if err == nil {
				p.m.assets = append(p.m.assets, asset{filename: name, off: f.off})
			}
			return err
		}
		return nil
	})
}

// objectGraph collects the deprecated SavedUserObject.metadata strings,
// where Keras kept its JSON before keras_metadata.pb existed.
func (p *parser) objectGraph(buf []byte, base int64) error {
	return walk(buf, base, func(f field) error {
		if f.num != 1 {
			return nil
		}
		if err := f.want(protowire.BytesType, "SavedObjectGraph.nodes"); err != nil {
			return err
		}
		return walk(f.buf, f.boff, func(o field) error {
			if o.num != 4 {
				return nil
			}
			if err := o.want(protowire.BytesType, "SavedObject.user_object"); err != nil {
				return err
			}
			return walk(o.buf, o.boff, func(u field) error {
				if u.num != 3 {
					return nil
				}
				s, err := u.str("SavedUserObject.metadata")
				if err == nil && s != "" && len(p.m.keras) < maxKerasDocs {
					p.m.keras = append(p.m.keras, s)
				}
				return err
			})
		})
	})
}
