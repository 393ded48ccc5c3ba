package compress

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz/lzma"
)

// streams decodes concatenated streams, as Python's lzma and lz4 file
// objects do: after one stream ends, another starts if input remains.
// Like Python, it ignores trailing bytes that do not begin a stream (so
// no loader can see them either), but reports a stream that begins well
// and then fails.
type streams struct {
	// next opens the stream starting at the current input position, or
	// returns nil, nil when the remaining input is not a stream and may
	// be ignored (never for the first stream).
	next  func(first bool) (io.Reader, error)
	cur   io.Reader
	count int
}

func newStreams(next func(first bool) (io.Reader, error)) (*streams, error) {
	s := &streams{next: next}
	var err error
	if s.cur, err = next(true); err != nil {
		return nil, err
	}
	s.count = 1
	return s, nil
}

func (s *streams) Read(p []byte) (int, error) {
	for s.cur != nil {
		n, err := s.cur.Read(p)
		if err != io.EOF {
			return n, err
		}
		next, err := s.next(false)
		if err != nil {
			return n, fmt.Errorf("stream %d: %w", s.count+1, err)
		}
		s.cur = next
		s.count++
		if n > 0 {
			return n, nil
		}
	}
	return 0, io.EOF
}

// lzmaHeaderLen is the .lzma header: properties byte, dictionary size
// (uint32 LE), uncompressed size (uint64 LE, all ones when unknown).
const lzmaHeaderLen = 13

// openLZMA reads one .lzma header from br, lowers its dictionary size to
// the budget's maxDict (the format has no checksum over the header, and
// output within our limit decodes the same), charges it to the budget,
// and returns a decoder for the stream.
func openLZMA(br *bufio.Reader, budget *dictBudget, first bool) (io.Reader, error) {
	hdr, err := br.Peek(lzmaHeaderLen)
	// After the first stream, Python's LZMAFile gives up quietly on bytes
	// that fail at once; liblzma checks only the properties byte of a
	// header. Anything else that follows is decoded, as Python would.
	if !first && (len(hdr) == 0 || hdr[0] >= lzmaMaxProps) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if hdr[0] >= lzmaMaxProps {
		return nil, fmt.Errorf("lzma: invalid properties byte %#x", hdr[0])
	}
	h := make([]byte, lzmaHeaderLen)
	copy(h, hdr)
	if _, err := br.Discard(lzmaHeaderLen); err != nil {
		return nil, err
	}
	dict := int64(binary.LittleEndian.Uint32(h[1:5]))
	if dict > budget.maxDict {
		dict = budget.maxDict
		binary.LittleEndian.PutUint32(h[1:5], uint32(dict))
	}
	// The decoder allocates no more than a known uncompressed size.
	if size := binary.LittleEndian.Uint64(h[5:13]); size < uint64(dict) {
		dict = int64(size)
	}
	if err := budget.charge(dict); err != nil {
		return nil, err
	}
	cfg := lzma.ReaderConfig{DictCap: int(max(binary.LittleEndian.Uint32(h[1:5]), lzma.MinDictCap))}
	return cfg.NewReader(&prefixedReader{head: h, br: br})
}

// lzmaMaxProps bounds the properties byte: (pb*5+lp)*9+lc with lc <= 8,
// lp <= 4, pb <= 4.
const lzmaMaxProps = 9 * 5 * 5

// prefixedReader serves a rewritten header, then the rest of br, as an
// io.ByteReader so the lzma decoder reads no further than its stream.
type prefixedReader struct {
	head []byte
	br   *bufio.Reader
}

func (p *prefixedReader) Read(b []byte) (int, error) {
	if len(p.head) > 0 {
		n := copy(b, p.head)
		p.head = p.head[n:]
		return n, nil
	}
	return p.br.Read(b)
}

func (p *prefixedReader) ReadByte() (byte, error) {
	if len(p.head) > 0 {
		c := p.head[0]
		p.head = p.head[1:]
		return c, nil
	}
	return p.br.ReadByte()
}

// lz4FrameMagic starts every LZ4 frame (little-endian 0x184D2204).
var lz4FrameMagic = []byte{0x04, 0x22, 0x4d, 0x18}

// openLZ4 returns a decoder for the LZ4 frame starting in br. pierrec/lz4
// reads a frame exactly, so br is left at the next one.
func openLZ4(br *bufio.Reader, first bool) (io.Reader, error) {
	if !first && !lz4FrameNext(br) {
		return nil, nil // end of input, or trailing bytes Python ignores
	}
	return lz4.NewReader(br), nil
}

// lz4FrameNext reports whether br continues with an LZ4 frame or a
// skippable frame (magic 0x184D2A50 to 0x184D2A5F), both of which
// python-lz4 reads on.
func lz4FrameNext(br *bufio.Reader) bool {
	head, _ := br.Peek(4)
	if len(head) < 4 {
		return len(head) > 0 // a fragment: let the decoder report it
	}
	skippable := head[0]&0xf0 == 0x50 && head[1] == 0x2a && head[2] == 0x4d && head[3] == 0x18
	return skippable || string(head) == string(lz4FrameMagic)
}
