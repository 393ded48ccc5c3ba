package sevenz

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"strings"

	"github.com/ulikunitz/xz/lzma"
)

// lenSignatureHeader is the fixed header at the start of every 7z file:
// signature, version, CRC, then where the archive header lies and its CRC.
const lenSignatureHeader = 32

// checkHeader reads and checks the archive header before the library does.
func checkHeader(r io.ReaderAt, size int64, lim Limits) (*header, error) {
	var sh [lenSignatureHeader]byte
	if size < lenSignatureHeader {
		return nil, fmt.Errorf("7z: the %d-byte file is shorter than the 32-byte 7z signature header: %w", size, ErrFormat)
	}
	if err := readAt(r, sh[:], 0); err != nil {
		return nil, err
	}
	if !IsSevenZip(sh[:]) {
		return nil, fmt.Errorf("7z: the file does not start with the 7z signature: %w", ErrFormat)
	}
	if crc32.ChecksumIEEE(sh[12:]) != binary.LittleEndian.Uint32(sh[8:]) {
		return nil, fmt.Errorf("7z: the signature header fails its CRC check: %w", ErrFormat)
	}
	off, n := binary.LittleEndian.Uint64(sh[12:]), binary.LittleEndian.Uint64(sh[20:])
	if off == 0 && n == 0 {
		return &header{empty: true}, nil
	}
	room := uint64(size - lenSignatureHeader)
	if off > room || n > room-off {
		return nil, fmt.Errorf("7z: the archive header (%d bytes at offset %d) lies beyond the end of the %d-byte file: %w", n, off+lenSignatureHeader, size, ErrFormat)
	}
	if n > maxHeaderBytes {
		return nil, fmt.Errorf("7z: the archive header is %d bytes, more than the limit of %d: %w", n, maxHeaderBytes, ErrLimit)
	}
	buf := make([]byte, n)
	if err := readAt(r, buf, int64(off)+lenSignatureHeader); err != nil {
		return nil, err
	}
	if crc32.ChecksumIEEE(buf) != binary.LittleEndian.Uint32(sh[28:]) {
		return nil, fmt.Errorf("7z: the archive header fails its CRC check: %w", ErrFormat)
	}
	return parseHeader(r, size, buf, lim)
}

// parseHeader parses a plain header, or decodes an encoded one and parses
// that, then vets every folder.
func parseHeader(r io.ReaderAt, size int64, buf []byte, lim Limits) (*header, error) {
	p := &parser{b: buf, lim: lim}
	var h *header
	switch id := p.byte(); id {
	case idHeader:
		h = p.header()
	case idEncodedHeader:
		s := p.streamsInfo()
		if p.err != nil {
			return nil, p.err
		}
		plain, err := decodeHeader(r, size, s, lim)
		if err != nil {
			return nil, err
		}
		p = &parser{b: plain, lim: lim}
		p.expect(idHeader, "the header")
		h = p.header()
	default:
		p.fail("it starts with property 0x%02x", id)
	}
	if p.err != nil {
		return nil, p.err
	}
	for i := range h.folders {
		vet(&h.folders[i], lim)
	}
	return h, nil
}

// decodeHeader unpacks an encoded header. It decodes only a single copy,
// LZMA or LZMA2 coder, which is what 7-Zip writes; an encrypted header hides
// the member names and cannot be inspected.
func decodeHeader(r io.ReaderAt, size int64, s *streams, lim Limits) ([]byte, error) {
	if len(s.folders) != 1 || len(s.packSizes) < 1 {
		return nil, fmt.Errorf("7z: the encoded header has %d folders and %d packed streams: %w", len(s.folders), len(s.packSizes), ErrFormat)
	}
	f := &s.folders[0]
	vet(f, lim)
	switch {
	case f.encrypted:
		return nil, fmt.Errorf("7z: the archive header is encrypted, so not even the member names can be read: %w", ErrEncrypted)
	case f.err != nil:
		return nil, fmt.Errorf("7z: the archive header: %w", f.err)
	case len(f.coders) != 1:
		return nil, fmt.Errorf("7z: the archive header is packed with %s, which is not decoded: %w", f.methods, ErrUnsupportedMethod)
	case f.unpack[0] > maxHeaderBytes:
		return nil, fmt.Errorf("7z: the archive header unpacks to %d bytes, more than the limit of %d: %w", f.unpack[0], maxHeaderBytes, ErrLimit)
	}
	room := uint64(size - lenSignatureHeader)
	pos, n := s.packPos, s.packSizes[0]
	if pos > room || n > room-pos {
		return nil, fmt.Errorf("7z: the packed header (%d bytes at offset %d) lies beyond the end of the %d-byte file: %w", n, pos+lenSignatureHeader, size, ErrFormat)
	}
	src := io.NewSectionReader(r, int64(pos)+lenSignatureHeader, int64(n))
	dec, err := newDecoder(f.coders[0], f.unpack[0], src)
	if err != nil {
		return nil, fmt.Errorf("7z: the archive header: %w: %w", ErrFormat, err)
	}
	plain := make([]byte, f.unpack[0])
	if _, err := io.ReadFull(dec, plain); err != nil {
		return nil, fmt.Errorf("7z: decoding the archive header: %w: %w", ErrFormat, err)
	}
	return plain, nil
}

// newDecoder returns a reader of the output of a copy, LZMA or LZMA2 coder.
// The dictionary never needs to exceed the output, so it is capped there.
func newDecoder(c coder, unpack uint64, src io.Reader) (io.Reader, error) {
	dict := max(min(unpack, 1<<31-1), lzma.MinDictCap)
	switch method(c.id) {
	case "Copy":
		return src, nil
	case "LZMA":
		if len(c.props) != 5 {
			return nil, fmt.Errorf("LZMA properties are %d bytes, not 5", len(c.props))
		}
		var h [13]byte // the .lzma file header: properties, dictionary, size
		h[0] = c.props[0]
		binary.LittleEndian.PutUint32(h[1:], uint32(min(uint64(binary.LittleEndian.Uint32(c.props[1:])), dict)))
		binary.LittleEndian.PutUint64(h[5:], unpack)
		return lzma.NewReader(io.MultiReader(bytes.NewReader(h[:]), src))
	case "LZMA2":
		return lzma.Reader2Config{DictCap: int(dict)}.NewReader2(src)
	}
	return nil, fmt.Errorf("method %s is not decoded here", method(c.id))
}

// methodNames maps coder IDs to names. Those listed are decoded by the
// library with memory this package can bound.
var methodNames = map[string]string{
	"00":       "Copy",
	"03":       "Delta",
	"030101":   "LZMA",
	"03030103": "BCJ",
	"0303011b": "BCJ2",
	"03030205": "PPC",
	"03030501": "ARM",
	"03030805": "SPARC",
	"040108":   "Deflate",
	"040202":   "BZip2",
	"04f71102": "Brotli",
	"04f71104": "LZ4",
	"21":       "LZMA2",
	"06f10701": "AES",
}

// unboundedMethods are decoded by the library, but with memory this package
// cannot bound through it.
var unboundedMethods = map[string]string{
	"04f71101": "Zstandard",
}

func method(id []byte) string {
	h := hex.EncodeToString(id)
	if n, ok := methodNames[h]; ok {
		return n
	}
	if n, ok := unboundedMethods[h]; ok {
		return n
	}
	return "0x" + h
}

// vet names a folder's coders and decides whether its members can be read:
// not if AES is among them, nor with an unknown coder or a dictionary past
// the limit.
func vet(f *folder, lim Limits) {
	names := make([]string, len(f.coders))
	for i, c := range f.coders {
		names[i] = method(c.id)
		if names[i] == "AES" {
			f.encrypted = true
		}
		if f.err == nil {
			f.err = checkCoder(c, names[i], f.unpack, i, lim)
		}
	}
	f.methods = strings.Join(names, ", ")
	if f.encrypted {
		f.err = fmt.Errorf("its data is AES-encrypted: %w", ErrEncrypted)
	}
}

func checkCoder(c coder, name string, unpack []uint64, i int, lim Limits) error {
	if _, ok := methodNames[hex.EncodeToString(c.id)]; !ok {
		return fmt.Errorf("its data is packed with %s, which is not decoded: %w", name, ErrUnsupportedMethod)
	}
	if c.out != 1 || i >= len(unpack) {
		return fmt.Errorf("a %s coder has %d outputs: %w", name, c.out, ErrFormat)
	}
	dict := uint64(0)
	switch {
	case name == "LZMA" && len(c.props) == 5:
		// The library's LZMA reader caps the dictionary at the output size.
		dict = min(uint64(binary.LittleEndian.Uint32(c.props[1:])), unpack[i])
	case name == "LZMA2" && len(c.props) == 1 && c.props[0] <= 40:
		dict = uint64(2|c.props[0]&1) << (c.props[0]/2 + 11)
	case name == "LZMA" || name == "LZMA2":
		return fmt.Errorf("its %s coder has malformed properties: %w", name, ErrFormat)
	}
	if dict > uint64(lim.MaxDictionary) {
		return fmt.Errorf("its %s coder asks for a %d-byte dictionary, more than the limit of %d: %w", name, dict, lim.MaxDictionary, ErrLimit)
	}
	return nil
}

// readAt fills p from offset off; a short read means a truncated file.
func readAt(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		return fmt.Errorf("7z: the file ends before offset %d: %w", off+int64(len(p)), ErrFormat)
	}
	return fmt.Errorf("7z: reading %d bytes at offset %d: %w", len(p), off, err)
}
