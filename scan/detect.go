package scan

import (
	"bytes"

	"github.com/modelward/modelward/scan/compress"
	"github.com/modelward/modelward/scan/gguf"
	"github.com/modelward/modelward/scan/hdf5"
	"github.com/modelward/modelward/scan/npy"
	"github.com/modelward/modelward/scan/pickle"
	"github.com/modelward/modelward/scan/safetensors"
	"github.com/modelward/modelward/scan/sevenz"
	"github.com/modelward/modelward/scan/tensorflow"
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
	kindSafetensors
	kindHDF5
	kindGGUF
	kindTFLite
	kindONNX            // by name and content
	kindTFProto         // by name: saved_model.pb, keras_metadata.pb, fingerprint.pb
	kindTokenizerConfig // by name: tokenizer_config.json, chat_template.json
	kindHFConfig        // by name: config.json (transformers, or an unpacked Keras model)
	kindJSON            // by name: any other *.json (a Keras architecture file, or no model)
	kindTemplate        // by name: *.jinja
	kindPickle          // certainly a pickle: scan it and report whatever is wrong
	kindMaybePickle     // may be a pickle: scan it, and keep the result if it imports or completes
)

// role says what a stream is to the loaders that would read it, which
// decides how much evidence detection asks for.
type role int

const (
	// roleFile is a file named on the command line or found in a directory.
	roleFile role = iota
	// roleLoaded is an archive member that a loader unpickles by its name
	// (data.pkl, constants.pkl, any *.pkl), or the content of a compressed
	// file.
	roleLoaded
	// roleMember is any other inner stream: archive members, nested bytes.
	roleMember
	// roleStorage is raw tensor storage in a PyTorch archive: thousands of
	// members of arbitrary bytes that torch never unpickles.
	roleStorage
)

// headSize is how much of a stream detection looks at: enough for the tar
// header's magic at offset 257 and for sniffing a text pickle.
const headSize = 4096

// legacyTorchMagic is the first pickle of a legacy (pre-1.6) torch.save
// file: protocol 2, LONG1 of the magic number 0x1950a86a20f9469cfc6c.
var legacyTorchMagic = []byte{0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19}

// randomAccessKind reports the formats whose analysers seek: a stream of
// one is copied to a temporary file first.
func randomAccessKind(k kind) bool {
	switch k {
	case kindZip, kindSevenZip, kindHDF5, kindGGUF, kindTFLite, kindONNX, kindTFProto:
		return true
	}
	return false
}

// detectNamed is detect, with the formats recognised by name first, for
// every stream but raw tensor storage.
func (j *job) detectNamed(head []byte, member []string, r role) (kind, compress.Method) {
	if r != roleStorage {
		if k := detectByName(j.name(member), head); k != kindUnknown {
			return k, ""
		}
	}
	return detect(head, r)
}

// detect recognises a format from the first bytes of a stream. Magic
// numbers come first; a pickle without a PROTO opcode (protocols 0 and 1)
// is recognised by running the symbolic machine over the head.
//
// Archive members (inner is true) are held to a stronger standard: a
// PyTorch archive holds thousands of raw tensor members, and raw bytes can
// begin like a pickle or a zlib stream by chance. An inner pickle must prove
// itself by running; a top-level file that starts like a pickle is one,
// broken or not.
//
// A pickle needs no header: CPython's unpickler accepts any opcode first. So
// a stream that starts with an opcode byte is scanned as a pickle; unless it
// announces itself with PROTO (and is not raw storage), the result is kept
// only if the stream imports something or completes, since a stream that
// breaks before any import runs nothing when loaded. Raw tensor storage is
// held to a head-only sniff: torch never unpickles it, and probing thousands
// of arbitrary members would make cost follow the file, not the pickle.
func detect(head []byte, r role) (kind, compress.Method) {
	switch {
	case safetensors.Is(head):
		return kindSafetensors, ""
	case hdf5.Is(head):
		return kindHDF5, ""
	case gguf.Is(head):
		return kindGGUF, ""
	case tensorflow.IsTFLite(head):
		return kindTFLite, ""
	case zipx.IsZip(head):
		return kindZip, ""
	case sevenz.IsSevenZip(head):
		return kindSevenZip, ""
	case npy.IsNPY(head):
		return kindNPY, ""
	case bytes.HasPrefix(head, legacyTorchMagic):
		return kindTorchLegacy, ""
	case isTar(head):
		return kindTar, ""
	}
	if r == roleStorage {
		if sniffPickle(head) {
			return kindPickle, ""
		}
		if m, ok := compress.Detect(head); ok {
			return kindCompressed, m
		}
		return kindUnknown, ""
	}
	if len(head) >= 2 && head[0] == 0x80 && head[1] <= pickle.HighestProtocol {
		if r == roleMember {
			return kindMaybePickle, ""
		}
		return kindPickle, ""
	}
	if m, ok := compress.Detect(head); ok {
		return kindCompressed, m
	}
	if len(head) > 0 && pickle.OpName(head[0]) != "" {
		return kindMaybePickle, ""
	}
	if hdf5UserBlock(head) {
		return kindHDF5, ""
	}
	return kindUnknown, ""
}

// isTar accepts what Python's tarfile accepts as a first header, which is
// what legacy torch.load reads: a 512-byte block, not all zeros, whose
// checksum field (octal up to the first NUL, spaces allowed, or base-256)
// equals the unsigned or the signed sum of the header bytes.
func isTar(head []byte) bool {
	if len(head) < 512 {
		return false
	}
	h := head[:512]
	if bytes.Count(h, []byte{0}) == 512 {
		return false
	}
	want, ok := tarNumber(h[148:156])
	if !ok {
		return false
	}
	var unsigned, signed int64 = 256, 256
	for i, b := range h {
		if i >= 148 && i < 156 {
			continue
		}
		unsigned += int64(b)
		signed += int64(int8(b))
	}
	return want == unsigned || want == signed
}

// tarNumber reads a numeric header field the way tarfile's nti does.
func tarNumber(b []byte) (int64, bool) {
	if len(b) > 0 && (b[0] == 0x80 || b[0] == 0xff) {
		var v int64
		for _, c := range b[1:] {
			v = v<<8 | int64(c)
		}
		if b[0] == 0xff {
			v -= 1 << (8 * (len(b) - 1))
		}
		return v, true
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0, true
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '7' {
			return 0, false
		}
		v = v*8 + int64(c-'0')
	}
	return v, true
}

// sniffPickle accepts a head that the machine can run as a pickle: it
// reaches STOP, imports a well-formed name, or runs many opcodes cleanly
// until the head runs out (a long pickle whose imports come later).
func sniffPickle(head []byte) bool {
	if len(head) == 0 || pickle.OpName(head[0]) == "" {
		return false
	}
	res := pickle.AnalyzeBytes(head, pickle.Options{Streams: 1, TrailingData: true})
	if res.Streams >= 1 || res.NamedImports > 0 {
		return true
	}
	return res.Truncated && res.Ops >= 64 && len(head) == headSize
}

// hdf5UserBlock finds the HDF5 signature after a user block of 512, 1024
// or 2048 bytes within the head, for streams that cannot seek; files are
// searched further by hdf5.Offset.
func hdf5UserBlock(head []byte) bool {
	for off := 512; off+8 <= len(head); off *= 2 {
		if hdf5.Is(head[off:]) {
			return true
		}
	}
	return false
}
