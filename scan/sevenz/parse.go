package sevenz

import (
	"fmt"
	"math/bits"
)

// Property IDs of the 7z header (7-Zip's DOC/7zFormat.txt).
const (
	idEnd                   = 0x00
	idHeader                = 0x01
	idArchiveProperties     = 0x02
	idAdditionalStreamsInfo = 0x03
	idMainStreamsInfo       = 0x04
	idFilesInfo             = 0x05
	idPackInfo              = 0x06
	idUnpackInfo            = 0x07
	idSubStreamsInfo        = 0x08
	idSize                  = 0x09
	idCRC                   = 0x0a
	idFolder                = 0x0b
	idCodersUnpackSize      = 0x0c
	idNumUnpackStream       = 0x0d
	idEmptyStream           = 0x0e
	idEmptyFile             = 0x0f
	idName                  = 0x11
	idCTime                 = 0x12
	idATime                 = 0x13
	idMTime                 = 0x14
	idWinAttributes         = 0x15
	idEncodedHeader         = 0x17
	idStartPos              = 0x18
	idDummy                 = 0x19
)

// Bounds on folder shapes. 7-Zip itself allows at most 64 coders and
// streams per folder; real archives use one to four.
const (
	maxCoders        = 32
	maxCoderStreams  = 32
	maxFolderStreams = 64
)

// header is what the checker learned: enough to vet the folders and to map
// members onto them.
type header struct {
	empty   bool
	folders []folder
	files   []file
}

type file struct{ emptyStream bool }

type folder struct {
	coders  []coder
	in, out uint64
	unpack  []uint64 // one size per coder output
	// Filled by vet: coder names, AES present, why Open must refuse.
	methods   string
	encrypted bool
	err       error
}

type coder struct {
	id, props []byte
	in, out   uint64
}

type streams struct {
	packPos   uint64
	packSizes []uint64
	folders   []folder
}

// parser walks a header with the grammar of the wrapped library, byte for
// byte, so that each count the library will allocate from is checked here
// first. Errors are sticky: after the first, every read returns zero.
type parser struct {
	b   []byte
	lim Limits
	err error
}

func (p *parser) fail(format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("7z: malformed header: %s: %w", fmt.Sprintf(format, args...), ErrFormat)
	}
}

func (p *parser) byte() byte {
	if p.err != nil {
		return 0
	}
	if len(p.b) == 0 {
		p.fail("it ends early")
		return 0
	}
	c := p.b[0]
	p.b = p.b[1:]
	return c
}

// number reads a 7z variable-length number: the count of leading one bits
// in the first byte is the count of bytes that follow, little-endian.
func (p *parser) number() uint64 {
	first := p.byte()
	extra := bits.LeadingZeros8(^first)
	var v uint64
	if extra < 7 {
		v = uint64(first&(1<<(7-extra)-1)) << (8 * extra)
	}
	for i := range extra {
		v |= uint64(p.byte()) << (8 * i)
	}
	return v
}

// count reads a number that the library allocates from, and checks it.
func (p *parser) count(what string, most uint64) uint64 {
	n := p.number()
	if n > most && p.err == nil {
		p.err = fmt.Errorf("7z: the header declares %d %s, more than the limit of %d: %w", n, what, most, ErrLimit)
	}
	if p.err != nil {
		return 0
	}
	return n
}

func (p *parser) take(n uint64) []byte {
	if p.err != nil {
		return nil
	}
	if n > uint64(len(p.b)) {
		p.fail("a field of %d bytes runs past its end", n)
		return nil
	}
	b := p.b[:n]
	p.b = p.b[n:]
	return b
}

func (p *parser) expect(id byte, where string) {
	if got := p.byte(); got != id && p.err == nil {
		p.fail("property 0x%02x where %s was expected", got, where)
	}
}

// bools reads count bits, most significant first.
func (p *parser) bools(count uint64) []bool {
	raw := p.take((count + 7) / 8)
	if p.err != nil {
		return nil
	}
	out := make([]bool, count)
	for i := range out {
		out[i] = raw[i/8]&(0x80>>(i%8)) != 0
	}
	return out
}

// optionalBools reads an "all defined" byte, then the bits if it is zero.
func (p *parser) optionalBools(count uint64) []bool {
	if p.byte() == 0 {
		return p.bools(count)
	}
	out := make([]bool, count)
	for i := range out {
		out[i] = true
	}
	return out
}

// values skips fixed-size values (CRCs, times, attributes) for the defined
// entries of a vector.
func (p *parser) values(count, size uint64, external bool) {
	defined := p.optionalBools(count)
	if external && p.byte() != 0 {
		p.fail("external data is not supported")
	}
	for _, d := range defined {
		if d {
			p.take(size)
		}
	}
}

func (p *parser) maxCount() uint64 { return uint64(p.lim.MaxEntries) }

// header parses a plain header, after its idHeader byte.
func (p *parser) header() *header {
	h := &header{}
	id := p.byte()
	if id == idArchiveProperties || id == idAdditionalStreamsInfo {
		p.fail("property 0x%02x is not supported", id)
	}
	if id == idMainStreamsInfo {
		h.folders = p.streamsInfo().folders
		id = p.byte()
	}
	if id == idFilesInfo {
		h.files = p.filesInfo()
		id = p.byte()
	}
	if id != idEnd {
		p.fail("property 0x%02x where the end of the header was expected", id)
	}
	return h
}

func (p *parser) streamsInfo() *streams {
	s := &streams{}
	id := p.byte()
	if id == idPackInfo {
		p.packInfo(s)
		id = p.byte()
	}
	unpack := id == idUnpackInfo
	if unpack {
		p.unpackInfo(s)
		id = p.byte()
	}
	if id == idSubStreamsInfo {
		if !unpack {
			p.fail("substreams without folders")
		}
		p.subStreams(s)
		id = p.byte()
	}
	if id != idEnd {
		p.fail("property 0x%02x where the end of the streams was expected", id)
	}
	return s
}

func (p *parser) packInfo(s *streams) {
	s.packPos = p.number()
	n := p.count("packed streams", p.maxCount())
	id := p.byte()
	if id == idSize {
		s.packSizes = make([]uint64, 0, min(n, uint64(len(p.b))))
		for range n {
			s.packSizes = append(s.packSizes, p.number())
		}
		id = p.byte()
	}
	if id == idCRC {
		p.values(n, 4, false)
		id = p.byte()
	}
	if id != idEnd {
		p.fail("property 0x%02x where the end of the pack info was expected", id)
	}
}

func (p *parser) unpackInfo(s *streams) {
	p.expect(idFolder, "the folder list")
	n := p.count("folders", p.maxCount())
	if p.byte() != 0 {
		p.fail("external folders are not supported")
	}
	for i := uint64(0); i < n && p.err == nil; i++ {
		s.folders = append(s.folders, p.folder())
	}
	p.expect(idCodersUnpackSize, "the unpack sizes")
	for i := range s.folders {
		f := &s.folders[i]
		f.unpack = make([]uint64, f.out)
		for j := range f.unpack {
			f.unpack[j] = p.number()
		}
	}
	id := p.byte()
	if id == idCRC {
		p.values(n, 4, false)
		id = p.byte()
	}
	if id != idEnd {
		p.fail("property 0x%02x where the end of the unpack info was expected", id)
	}
}

func (p *parser) folder() folder {
	var f folder
	n := p.count("coders in one folder", maxCoders)
	if n == 0 && p.err == nil {
		p.fail("a folder has no coders")
	}
	for range n {
		f.coders = append(f.coders, p.coder())
	}
	for _, c := range f.coders {
		f.in += c.in
		f.out += c.out
	}
	if f.out == 0 || f.in > maxFolderStreams || f.out > maxFolderStreams {
		p.fail("a folder has %d input and %d output streams", f.in, f.out)
		return f
	}
	bindPairs := f.out - 1
	for range bindPairs {
		p.number()
		p.number()
	}
	if f.in < bindPairs {
		p.fail("a folder binds more streams than it has")
		return f
	}
	if packed := f.in - bindPairs; packed != 1 {
		for range packed {
			p.number()
		}
	}
	return f
}

func (p *parser) coder() coder {
	flags := p.byte()
	c := coder{id: p.take(uint64(flags & 0x0f)), in: 1, out: 1}
	if flags&0x10 != 0 {
		c.in = p.count("coder input streams", maxCoderStreams)
		c.out = p.count("coder output streams", maxCoderStreams)
	}
	if flags&0x20 != 0 {
		c.props = p.take(p.number())
	}
	return c
}

func (p *parser) subStreams(s *streams) {
	per := make([]uint64, len(s.folders))
	for i := range per {
		per[i] = 1
	}
	id := p.byte()
	if id == idNumUnpackStream {
		for i := range per {
			per[i] = p.count("members in one folder", p.maxCount())
		}
		id = p.byte()
	}
	total := uint64(0)
	for _, n := range per {
		total += n // each is at most MaxEntries, and so is their number
	}
	if total > p.maxCount() && p.err == nil {
		p.err = fmt.Errorf("7z: the header declares %d substreams, more than the limit of %d: %w", total, p.maxCount(), ErrLimit)
	}
	if id == idSize {
		for _, n := range per {
			for j := uint64(1); j < n; j++ {
				p.number()
			}
		}
		id = p.byte()
	}
	if id == idCRC {
		p.values(total, 4, false)
		id = p.byte()
	}
	if id != idEnd {
		p.fail("property 0x%02x where the end of the substreams was expected", id)
	}
}

func (p *parser) filesInfo() []file {
	n := p.count("members", p.maxCount())
	files := make([]file, n)
	var emptyStreams uint64
	seenEmpty := false
	for p.err == nil {
		prop := p.byte()
		if prop == idEnd {
			break
		}
		length := p.number()
		switch prop {
		case idEmptyStream:
			if seenEmpty {
				p.fail("the empty-stream property appears twice")
			}
			seenEmpty = true
			for i, empty := range p.bools(n) {
				files[i].emptyStream = empty
				if empty {
					emptyStreams++
				}
			}
		case idEmptyFile:
			p.bools(emptyStreams)
		case idCTime, idATime, idMTime:
			p.values(n, 8, true)
		case idWinAttributes:
			p.values(n, 4, true)
		case idName:
			p.names(length)
		case idDummy:
			p.take(length)
		default:
			p.fail("member property 0x%02x is not supported", prop)
		}
	}
	return files
}

// names skips the name list: an "external" byte, then length-1 bytes, which
// is exactly what the library consumes.
func (p *parser) names(length uint64) {
	if p.byte() != 0 {
		p.fail("external names are not supported")
	}
	if length > 0 {
		p.take(length - 1)
	}
}
