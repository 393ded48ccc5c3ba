package zipx

import "fmt"

// General-purpose flag bits (APPNOTE 4.4.4).
const (
	flagEncrypted  = 0x0001
	flagDescriptor = 0x0008
	flagStrong     = 0x0040 // strong encryption
	flagUTF8       = 0x0800
	// flagsKnown are the bits ordinary writers set: encryption, the
	// deflate speed options or LZMA end-of-stream marker, data descriptor, strong encryption, UTF-8.
	flagsKnown     = flagEncrypted | 0x2 | 0x4 | flagDescriptor | flagStrong | flagUTF8
	flagsEncrypted = flagEncrypted | flagStrong
)

// Compression methods (APPNOTE 4.4.5).
const (
	methodStored  = 0
	methodDeflate = 8
	methodBzip2   = 12
	methodLZMA    = 14
	methodZstd    = 93
	methodAES     = 99
)

const (
	sat16    = 0xffff
	sat32    = 0xffffffff
	extZip64 = 0x0001
)

// localHeader is a parsed local file header.
type localHeader struct {
	flags, method uint16
	crc           uint32
	csize, usize  uint64
	name          string
	dataOffset    int64
	zip64         bool
}

// readLocal parses the local header at off. ok is false when there is no
// local header there; err is set only for I/O errors.
func (a *Archive) readLocal(off int64) (h localHeader, ok bool, err error) {
	var fixed [lenLocal]byte
	if off < 0 || off > a.size-lenLocal {
		return h, false, nil
	}
	if err := a.readAt(fixed[:], off); err != nil {
		return h, false, err
	}
	if le32(fixed[:]) != sigLocal {
		return h, false, nil
	}
	nameLen, extraLen := int64(le16(fixed[26:])), int64(le16(fixed[28:]))
	// Both lengths are 16-bit, so this buffer is at most 128 KiB; it is
	// allocated only once the bytes are known to exist.
	if nameLen+extraLen > a.size-off-lenLocal {
		return h, false, nil
	}
	rest := make([]byte, nameLen+extraLen)
	if err := a.readAt(rest, off+lenLocal); err != nil {
		return h, false, err
	}
	h = localHeader{
		flags:      le16(fixed[6:]),
		method:     le16(fixed[8:]),
		crc:        le32(fixed[14:]),
		csize:      uint64(le32(fixed[18:])),
		usize:      uint64(le32(fixed[22:])),
		name:       string(rest[:nameLen]),
		dataOffset: off + lenLocal + nameLen + extraLen,
	}
	h.zip64 = localZip64(&h, rest[nameLen:])
	return h, true, nil
}

// localZip64 applies a zip64 extra field to a local header. Unlike in the
// central directory, a local zip64 field holds both sizes whenever present.
func localZip64(h *localHeader, extra []byte) bool {
	if h.csize != sat32 && h.usize != sat32 {
		return false
	}
	f := findExtra(extra, extZip64)
	if len(f) < 16 {
		return false
	}
	h.usize, h.csize = le64(f), le64(f[8:])
	return true
}

// findExtra returns the data of the first extra field with the given id, or
// nil. A malformed extra block ends the search.
func findExtra(extra []byte, id uint16) []byte {
	for len(extra) >= 4 {
		fid, n := le16(extra), int(le16(extra[2:]))
		extra = extra[4:]
		if n > len(extra) {
			return nil
		}
		if fid == id {
			return extra[:n]
		}
		extra = extra[n:]
	}
	return nil
}

// entry turns a local header found at off into an Entry of its own, for
// members not listed in a central directory.
func (h *localHeader) entry(off int64) Entry {
	return Entry{
		Name:             h.name,
		LocalName:        h.name,
		Method:           h.method,
		Flags:            h.flags,
		CRC32:            h.crc,
		CompressedSize:   h.csize,
		UncompressedSize: h.usize,
		HeaderOffset:     off,
		DataOffset:       h.dataOffset,
		Zip64:            h.zip64,
		Encrypted:        h.flags&flagsEncrypted != 0 || h.method == methodAES,
	}
}

// compareLocal notes where the local header disagrees with the central
// directory entry e. The central directory wins, as in miniz.
func (a *Archive) compareLocal(e *Entry, h *localHeader) {
	if h.name != e.Name {
		a.note(KindNameMismatch, e.Name, "the central directory names it %q, its local header %q", e.Name, h.name)
	}
	if h.method != e.Method {
		a.note(KindHeaderMismatch, e.Name, "method %d in the central directory, %d in the local header", e.Method, h.method)
	}
	if h.flags != e.Flags {
		a.note(KindHeaderMismatch, e.Name, "flags 0x%04x in the central directory, 0x%04x in the local header", e.Flags, h.flags)
	}
	// With a data descriptor, the local CRC and sizes are zero by design.
	if h.flags&flagDescriptor != 0 {
		return
	}
	if h.crc != e.CRC32 {
		a.note(KindHeaderMismatch, e.Name, "CRC-32 %08x in the central directory, %08x in the local header", e.CRC32, h.crc)
	}
	if h.csize != e.CompressedSize || h.usize != e.UncompressedSize {
		a.note(KindSizeMismatch, e.Name, "sizes %d/%d (compressed/uncompressed) in the central directory, %d/%d in the local header",
			e.CompressedSize, e.UncompressedSize, h.csize, h.usize)
	}
}

// checkEntry notes what is odd about one member on its own.
func (a *Archive) checkEntry(e *Entry) {
	if odd := e.Flags &^ flagsKnown; odd != 0 {
		a.note(KindFlagBits, e.Name, "unusual general-purpose flag bits 0x%04x (%s)", odd, describeFlags(odd))
	}
	if e.Method == methodStored && !e.Encrypted && e.CompressedSize != e.UncompressedSize {
		a.note(KindSizeMismatch, e.Name, "stored member declares %d compressed but %d uncompressed bytes", e.CompressedSize, e.UncompressedSize)
	}
	if why := unsafeName(e.Name); why != "" {
		a.note(KindUnsafeName, e.Name, "%s", why)
	}
	if e.DataOffset+int64(min(e.CompressedSize, uint64(a.size))) > a.size {
		a.note(KindTruncatedEntry, e.Name, "its %d bytes of data from offset %d run past the end of the %d-byte file", e.CompressedSize, e.DataOffset, a.size)
	}
}

func describeFlags(bits uint16) string {
	names := map[uint16]string{0x10: "enhanced deflate", 0x20: "patched data", 0x2000: "masked local header"}
	s := ""
	for b := uint16(1); b != 0; b <<= 1 {
		if bits&b == 0 {
			continue
		}
		if s != "" {
			s += ", "
		}
		if n, ok := names[b]; ok {
			s += n
		} else {
			s += fmt.Sprintf("reserved 0x%04x", b)
		}
	}
	return s
}
