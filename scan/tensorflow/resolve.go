package tensorflow

import "strings"

// Bounds of the walk from a node back to the constants feeding it.
const (
	maxResolveDepth = 6
	maxResolveNodes = 64
	maxResolveStrs  = 16
)

// inputNode turns an input reference into the producing node's name: graph
// inputs are "node" or "node:1", function inputs "node:out:0", control
// inputs start with "^".
func inputNode(in string) (name string, control bool) {
	if strings.HasPrefix(in, "^") {
		return in[1:], true
	}
	if i := strings.IndexByte(in, ':'); i >= 0 {
		return in[:i], false
	}
	return in, false
}

// upstreamStrings complements the evaluator (eval.go) with the raw view: it
// returns the string constants that flow into n through
// data inputs, following non-constant producers (StringJoin, Identity,
// Select, ShardedFilename, ...) a few steps back. only, when set, limits the
// walk to those input positions of n. Placeholders and function arguments
// contribute nothing: their value is supplied at run time, as do the nodes
// in skip (asset tensors the loader feeds).
func upstreamStrings(idx map[string]*nodeDef, n *nodeDef, only []int, skip map[string]bool) []string {
	var out []string
	seen := map[string]bool{}
	type item struct {
		name  string
		depth int
	}
	var queue []item
	for i, in := range n.inputs {
		name, control := inputNode(in)
		if control || (only != nil && !contains(only, i)) {
			continue
		}
		queue = append(queue, item{name, 1})
	}
	for len(queue) > 0 && len(seen) < maxResolveNodes && len(out) < maxResolveStrs {
		it := queue[0]
		queue = queue[1:]
		if seen[it.name] {
			continue
		}
		seen[it.name] = true
		src := idx[it.name]
		if src == nil || skip[it.name] {
			continue
		}
		if src.op == "Const" || src.op == "HostConst" {
			out = append(out, src.strs["value"]...)
			continue
		}
		if it.depth >= maxResolveDepth {
			continue
		}
		for _, in := range src.inputs {
			if len(queue) >= maxResolveNodes*4 {
				break
			}
			if name, control := inputNode(in); !control {
				queue = append(queue, item{name, it.depth + 1})
			}
		}
	}
	if len(out) > maxResolveStrs {
		out = out[:maxResolveStrs]
	}
	return out
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
