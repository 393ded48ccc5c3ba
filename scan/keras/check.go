package keras

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/modelward/modelward/finding"
)

// Config carries the base location of the JSON's container.
type Config struct {
	Location finding.Location // file and member chain of the container
}

// maxFindings bounds the findings of one document; a config built to
// produce millions of them is reported once with MW202.
const maxFindings = 512

// CheckConfig checks one Keras JSON document: where names it for messages
// and is appended to Location.Member (e.g. "model_config", "config.json",
// "keras_metadata.pb:node 3").
func CheckConfig(js []byte, where string, cfg Config) []finding.Finding {
	c := &checker{base: cfg.Location, where: where, consumed: map[*node]bool{}}
	root, ok := c.parse(js)
	if !ok {
		return c.out
	}
	if root.kind != kindObj && root.kind != kindArr {
		c.add(finding.StructureInvalid, finding.High, root, nil,
			fmt.Sprintf("The Keras configuration %s is a bare JSON %s, not an object: it is not a configuration Keras writes and was not inspected further.", where, kindWord(root.kind)),
			finding.Evidence{})
		return c.out
	}
	c.walk(root, nil, "")
	return c.out
}

// parse converts and decodes the document, reporting why it cannot be
// inspected when it cannot.
func (c *checker) parse(js []byte) (*node, bool) {
	if len(js) > maxJSONBytes {
		c.add(finding.LimitReached, finding.High, nil, nil,
			fmt.Sprintf("The Keras configuration %s is %d bytes, over the %d-byte limit: it was not inspected.", c.where, len(js), maxJSONBytes),
			finding.Evidence{Detail: "limit " + strconv.Itoa(maxJSONBytes) + " bytes"})
		return nil, false
	}
	text, enc, err := toUTF8(js)
	if err != nil {
		c.add(finding.StructureInvalid, finding.High, nil, nil,
			fmt.Sprintf("The Keras configuration %s looks %s-encoded but is truncated (%v): it was not inspected.", c.where, enc, err),
			finding.Evidence{Detail: enc})
		return nil, false
	}
	if enc == "utf-8" {
		text = trimNUL(text)
	}
	root, d, err := parseJSON(text)
	var je *jsonError
	if errors.As(err, &je) {
		c.parseFailure(je)
		return nil, false
	}
	if d.dup != nil {
		c.add(finding.StructureInvalid, finding.High, d.dup, nil,
			fmt.Sprintf("The Keras configuration %s repeats a key inside one object: Keras keeps the last value, so a scanner or reviewer that reads the first sees a different model; the last values were checked.", c.where),
			finding.Evidence{Detail: "duplicate key in object at offset " + strconv.FormatInt(d.dup.off, 10)})
	}
	return root, true
}

func (c *checker) parseFailure(je *jsonError) {
	rule, what := finding.StructureInvalid, "is not valid JSON"
	if je.limit {
		rule, what = finding.LimitReached, "exceeds a decoding limit"
	}
	loc := c.location(nil, nil)
	loc.Offset = je.off
	f := finding.New(rule, loc,
		fmt.Sprintf("The Keras configuration %s %s (%s at offset %d): it was not inspected, and Keras's own checks cannot be assumed to have run on it either.", c.where, what, je.msg, je.off),
		finding.Evidence{Detail: je.Error()})
	f.Severity = finding.High
	c.out = append(c.out, f)
}

// trimNUL drops the NUL padding of a fixed-length HDF5 string attribute,
// which h5py strips before Keras sees the text.
func trimNUL(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}

func kindWord(k kind) string {
	return [...]string{"null", "boolean", "number", "string", "array", "object"}[k]
}

// IsKerasZip reports whether zip member names look like a Keras v3 .keras
// archive: a config.json at the root (all that Keras's
// _load_model_from_fileobj reads to rebuild the model, so it alone makes
// the zip loadable), or model.weights.h5/.npz. Names are taken the way
// Python's zipfile takes them: cut at the first NUL, so that
// "config.json\x00AAA" is the config.json Keras opens.
func IsKerasZip(names []string) bool {
	for _, n := range names {
		switch pythonZipName(n) {
		case "config.json", "model.weights.h5", "model.weights.npz":
			return true
		}
	}
	return false
}

// pythonZipName is a member name as Python's zipfile.ZipInfo keeps it: the
// text before the first NUL.
func pythonZipName(n string) string {
	if i := strings.IndexByte(n, 0); i >= 0 {
		return n[:i]
	}
	return n
}

// pathSeg is one step of the JSON path to a node, rendered only when a
// finding needs it.
type pathSeg struct {
	parent *pathSeg
	key    string
	index  int // -1 for object keys
}

func (p *pathSeg) String() string {
	var parts []string
	for s := p; s != nil; s = s.parent {
		if s.index >= 0 {
			parts = append(parts, "["+strconv.Itoa(s.index)+"]")
		} else {
			parts = append(parts, "."+s.key)
		}
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteString(parts[i])
	}
	return strings.TrimPrefix(b.String(), ".")
}

// checker walks one document and collects findings.
type checker struct {
	base     finding.Location
	where    string
	out      []finding.Finding
	consumed map[*node]bool // Lambda payloads already reported with their layer
	capped   bool
}

// location appends the document name and the JSON path to the base member
// chain; Offset is the node's byte offset in the (UTF-8) document.
func (c *checker) location(n *node, p *pathSeg) finding.Location {
	loc := finding.Location{Path: c.base.Path, Offset: -1}
	loc.Member = append(append([]string(nil), c.base.Member...), c.where)
	if p != nil {
		loc.Member = append(loc.Member, p.String())
	}
	if n != nil {
		loc.Offset = n.off
	}
	return loc
}

func (c *checker) add(rule string, sev finding.Severity, n *node, p *pathSeg, msg string, ev finding.Evidence) {
	if len(c.out) >= maxFindings {
		if !c.capped {
			c.capped = true
			f := finding.New(finding.LimitReached, c.location(nil, nil),
				fmt.Sprintf("The Keras configuration %s produced more than %d findings; the rest were not reported.", c.where, maxFindings),
				finding.Evidence{})
			f.Severity = finding.High
			c.out = append(c.out, f)
		}
		return
	}
	f := finding.New(rule, c.location(n, p), msg, ev)
	f.Severity = sev
	c.out = append(c.out, f)
}
