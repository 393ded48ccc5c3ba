package scan

import (
	"bytes"

	"github.com/modelward/modelward/scan/compress"
	"github.com/modelward/modelward/scan/npy"
	"github.com/modelward/modelward/scan/pickle"
	"github.com/modelward/modelward/scan/sevenz"
	"github.com/modelward/modelward/scan/zipx"
)

// kind is a format recognised by content.
type kind int

const (
	kindUnknown kind = iota
	kindZip
	kindSevenZip
	kindTar
	kindCompressed
	kindNPY
	kindTorchLegacy
	kindPickle
)

// headSize is how much of a stream detection looks at: enough for the tar
// header's magic at offset 257 and for sniffing a text pickle.
const headSize = 4096

// legacyTorchMagic is the first pickle of a legacy (pre-1.6) torch.save
// file: protocol 2, LONG1 of the magic number 0x1950a86a20f9469cfc6c.
var legacyTorchMagic = []byte{0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19}

// detect recognises a format from the first bytes of a stream. Magic
// numbers come first; a pickle without a PROTO opcode (protocols 0 and 1)
// is recognised by running the symbolic machine over the head.
//
// Archive members (inner is true) are held to a stronger standard: a
// PyTorch archive holds thousands of raw tensor members, and raw bytes can
// begin like a pickle or a zlib stream by chance. An inner pickle must prove
// itself by running; a top-level file that starts like a pickle is one,
// broken or not.
func detect(head []byte, inner bool) (kind, compress.Method) {
	switch {
	case zipx.IsZip(head):
		return kindZip, ""
	case sevenz.IsSevenZip(head):
		return kindSevenZip, ""
	case npy.IsNPY(head):
		return kindNPY, ""
	case bytes.HasPrefix(head, legacyTorchMagic):
		return kindTorchLegacy, ""
	case len(head) >= 2 && head[0] == 0x80 && head[1] <= pickle.HighestProtocol && (!inner || sniffPickle(head)):
		return kindPickle, ""
	case isTar(head):
		return kindTar, ""
	}
	if m, ok := compress.Detect(head); ok {
		return kindCompressed, m
	}
	if sniffPickle(head) {
		return kindPickle, ""
	}
	return kindUnknown, ""
}

func isTar(head []byte) bool {
	return len(head) >= 262 && (bytes.Equal(head[257:262], []byte("ustar")))
}

// textPickleStarts are opcodes a pickle can begin with.
var textPickleStarts = []byte("(]}).cdilNIJKLMFGSTUVXgh\x80")

// sniffPickle accepts a head that the machine can run as a pickle: it
// reaches STOP, imports a well-formed name, or runs many opcodes cleanly
// until the head runs out (a long pickle whose imports come later).
func sniffPickle(head []byte) bool {
	if len(head) == 0 || bytes.IndexByte(textPickleStarts, head[0]) < 0 {
		return false
	}
	res := pickle.AnalyzeBytes(head, pickle.Options{Streams: 1, TrailingData: true})
	if res.Streams >= 1 || res.NamedImports > 0 {
		return true
	}
	return res.Truncated && res.Ops >= 64 && len(head) == headSize
}
