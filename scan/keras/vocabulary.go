package keras

import (
	"fmt"
	"strings"

	"github.com/modelward/modelward/finding"
)

// lookupLayers are the Keras preprocessing layers whose config.vocabulary
// may be a file path instead of a list: Keras 2 and 3 IndexLookup (and
// StringLookup, IntegerLookup, TextVectorization built on it) read that
// file with tf.io.gfile in the constructor, that is while the model loads.
var lookupLayers = wordSet(`StringLookup IntegerLookup TextVectorization IndexLookup`)

// isLookupLayer matches a lookup layer's class name in any module or
// registry package ("keras.layers.StringLookup", "keras>StringLookup").
func isLookupLayer(cls string) bool {
	cls = cls[strings.LastIndexByte(cls, '>')+1:]
	return lookupLayers[lastDotted(cls)]
}

// vocabularyPath reports a lookup layer whose vocabulary is a string, a
// file Keras reads at load (MW309): high when the path is absolute, a URL
// or climbs out with "..", since it then names a file of the publisher's
// choosing on the loading machine or the network; medium for a plain
// relative name, the author's own file, which is read relative to the
// loader's working directory.
func (c *checker) vocabularyPath(n *node, p *pathSeg, label string) {
	key := "config"
	cfg := n.get(key)
	if cfg == nil || cfg.kind != kindObj {
		return
	}
	v := cfg.get("vocabulary")
	s, ok := v.str()
	if !ok || s == "" {
		return
	}
	vp := &pathSeg{parent: &pathSeg{parent: p, key: key, index: -1}, key: "vocabulary", index: -1}
	sev, what := finding.Medium, "is a relative file name, read from the loading process's working directory (the author's local file, or whatever file of that name is there)"
	if kind := riskyPath(s); kind != "" {
		sev, what = finding.High, kind+", so loading the model reads a file or location of the publisher's choosing into the layer"
	}
	c.add(finding.KerasUnsafeReference, sev, v, vp,
		fmt.Sprintf("The Keras configuration %s gives the lookup layer%s the vocabulary file %s: Keras reads that file with tf.io.gfile when it rebuilds the layer, at load; the path %s.", c.where, in(label), quoteShort(s), what),
		finding.Evidence{Call: "tf.io.gfile.GFile(" + quoteShort(s) + ")", Detail: "vocabulary = " + quoteShort(s)})
}

// riskyPath says why a vocabulary path reaches outside the model's own
// files, or "" for a plain relative name.
func riskyPath(s string) string {
	switch {
	case strings.Contains(s, "://"):
		return "is a URL"
	case s[0] == '/' || s[0] == '\\':
		return "is absolute"
	case len(s) >= 2 && s[1] == ':' && (s[0]|0x20 >= 'a' && s[0]|0x20 <= 'z'):
		return "is absolute (a Windows drive)"
	}
	for _, seg := range strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '\\' }) {
		if seg == ".." {
			return "climbs out of the working directory with \"..\""
		}
	}
	return ""
}
