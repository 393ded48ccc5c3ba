package compress

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// xzGuard passes an .xz file through to the decoder unchanged, except that
// it lowers the LZMA2 dictionary size in each block header and fixes that
// header's CRC32. The decoder allocates a new dictionary of the size each
// block header asks for, up to 4 GiB, so without this a 15 KB file of
// tiny blocks makes it allocate and clear hundreds of GiB. A dictionary
// larger than the output we accept, or than the block's stated size, is
// never filled, so lowering it changes no output within the limits; and
// the total over all blocks is charged to a budget.
//
// To find the block headers it walks the container (xz-file-format-1.2.0:
// stream header, blocks of LZMA2 chunks, index, stream footer, stream
// padding) by its length fields alone, without decoding anything.
type xzGuard struct {
	br       *bufio.Reader
	budget   *dictBudget
	state    func(*xzGuard) error
	pending  []byte // bytes ready to pass on
	skip     int64  // bytes to pass on unread by the guard
	checkLen int    // size of the check field after each block
	blockLen int64  // compressed bytes of the current block
	indexLen int64  // bytes of the current index so far
	records  uint64 // index varints still to read
	err      error
	scratch  [16]byte
}

func newXZGuard(br *bufio.Reader, budget *dictBudget) *xzGuard {
	return &xzGuard{br: br, budget: budget, state: (*xzGuard).streamHeader}
}

var errXZStructure = errors.New("xz: malformed container")

func (g *xzGuard) Read(p []byte) (int, error) {
	for len(g.pending) == 0 && g.skip == 0 {
		if g.err != nil {
			return 0, g.err
		}
		g.err = g.state(g)
	}
	if len(g.pending) > 0 {
		n := copy(p, g.pending)
		g.pending = g.pending[n:]
		return n, nil
	}
	if int64(len(p)) > g.skip {
		p = p[:g.skip]
	}
	n, err := g.br.Read(p)
	g.skip -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF // the container promised more
	}
	return n, err
}

// take reads exactly n bytes into pending.
func (g *xzGuard) take(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(g.br, b); err != nil {
		return nil, unexpected(err)
	}
	g.pending = b
	return b, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// streamHeader: magic (6), flags (2), CRC32 (4). The low nibble of the
// second flags byte is the check type, which fixes the check's size.
func (g *xzGuard) streamHeader() error {
	h, err := g.take(12)
	if err != nil {
		return err
	}
	g.checkLen = checkSize(h[7] & 0x0f)
	g.state = (*xzGuard).blockOrIndex
	return nil
}

// checkSize is the size of check type id: 0, then 4, 8, 16, 32 and 64
// bytes for each group of three ids (the format reserves the unnamed ones
// with these sizes).
func checkSize(id byte) int {
	if id == 0 {
		return 0
	}
	return 4 << ((id - 1) / 3)
}

// blockOrIndex: a zero byte starts the index, anything else is the size
// byte of a block header ((b+1)*4 bytes in all).
func (g *xzGuard) blockOrIndex() error {
	b, err := g.br.ReadByte()
	if err != nil {
		return unexpected(err)
	}
	if b == 0 {
		g.pending = []byte{0}
		g.indexLen = 1
		g.state = (*xzGuard).indexCount
		return nil
	}
	h := make([]byte, (int(b)+1)*4)
	h[0] = b
	if _, err := io.ReadFull(g.br, h[1:]); err != nil {
		return unexpected(err)
	}
	if err := g.capDictionary(h); err != nil {
		return err
	}
	g.pending = h
	g.blockLen = 0
	g.state = (*xzGuard).chunk
	return nil
}

// capDictionary lowers the LZMA2 filter's dictionary size in block header
// h, charges it to the budget, and recomputes the header's CRC32. Flags
// (h[1]): the low two bits are the filter count minus one; 0x40 and 0x80
// add the compressed and uncompressed sizes as varints. Each filter is an
// ID, a properties size and the properties; LZMA2 (ID 0x21) has one byte,
// the dictionary size code.
func (g *xzGuard) capDictionary(h []byte) error {
	body := h[:len(h)-4]
	if crc32.ChecksumIEEE(body) != binary.LittleEndian.Uint32(h[len(h)-4:]) {
		return fmt.Errorf("%w: block header checksum mismatch", errXZStructure)
	}
	flags := body[1]
	limit, pos := g.budget.maxDict, 2
	for _, bit := range []byte{0x40, 0x80} {
		if flags&bit == 0 {
			continue
		}
		var n uint64
		if n, pos = varint(body, pos); pos < 0 {
			return fmt.Errorf("%w: block header sizes", errXZStructure)
		}
		// A block never needs a dictionary larger than its output, and
		// the decoder fails the block if the stated size is wrong.
		if bit == 0x80 && n < uint64(limit) {
			limit = int64(n)
		}
	}
	for i := 0; i <= int(flags&3); i++ {
		var id, size uint64
		id, pos = varint(body, pos)
		if pos >= 0 {
			size, pos = varint(body, pos)
		}
		if pos < 0 || size > uint64(len(body)-pos) {
			return fmt.Errorf("%w: block header filters", errXZStructure)
		}
		if id == 0x21 && size == 1 {
			body[pos] = capDictCode(body[pos], limit)
			if err := g.budget.charge(dictCodeSize(body[pos])); err != nil {
				return err
			}
		}
		pos += int(size)
	}
	binary.LittleEndian.PutUint32(h[len(h)-4:], crc32.ChecksumIEEE(body))
	return nil
}

// capDictCode lowers an LZMA2 dictionary code to the smallest code whose
// size is at least limit. Invalid codes are left for the decoder to
// reject.
func capDictCode(c byte, limit int64) byte {
	if c > 40 {
		return c
	}
	for low := byte(0); low < c; low++ {
		if dictCodeSize(low) >= limit {
			return low
		}
	}
	return c
}

// dictCodeSize is the dictionary size of an LZMA2 code: 2 or 3 times a
// power of two from 4 KiB, with 40 meaning 4 GiB - 1. Invalid codes
// (above 40) count as 4 GiB, for the budget.
func dictCodeSize(c byte) int64 {
	if c >= 40 {
		return 1<<32 - 1
	}
	return int64(2|c&1) << (c/2 + 11)
}

// varint reads an xz multibyte integer (7 bits a byte, at most 9 bytes)
// from b at pos; pos comes back -1 when it is malformed or cut off.
func varint(b []byte, pos int) (uint64, int) {
	var n uint64
	for i := 0; i < 9 && pos+i < len(b); i++ {
		c := b[pos+i]
		n |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			return n, pos + i + 1
		}
	}
	return 0, -1
}

// chunk reads one LZMA2 chunk header: 0x00 ends the block's data; 0x01
// and 0x02 are uncompressed chunks with a 2-byte size-1; 0x80 and above
// are LZMA chunks with 2 bytes of unpacked size, 2 of packed size-1, and a
// properties byte from 0xC0 up.
func (g *xzGuard) chunk() error {
	c, err := g.br.ReadByte()
	if err != nil {
		return unexpected(err)
	}
	var hdrLen, sizeAt int
	switch {
	case c == 0:
		g.pending = []byte{0}
		g.blockLen++
		g.state = (*xzGuard).blockEnd
		return nil
	case c == 1 || c == 2:
		hdrLen, sizeAt = 3, 1
	case c >= 0xc0:
		hdrLen, sizeAt = 6, 3
	case c >= 0x80:
		hdrLen, sizeAt = 5, 3
	default:
		return fmt.Errorf("%w: invalid LZMA2 chunk control byte %#x", errXZStructure, c)
	}
	h := g.scratch[:hdrLen]
	h[0] = c
	if _, err := io.ReadFull(g.br, h[1:]); err != nil {
		return unexpected(err)
	}
	g.pending = h
	g.skip = int64(binary.BigEndian.Uint16(h[sizeAt:])) + 1
	g.blockLen += int64(hdrLen) + g.skip
	return nil
}

// blockEnd: padding to a multiple of four, then the check.
func (g *xzGuard) blockEnd() error {
	pad := int((4 - g.blockLen%4) % 4)
	if _, err := g.take(pad + g.checkLen); err != nil {
		return err
	}
	g.state = (*xzGuard).blockOrIndex
	return nil
}

// indexCount reads the number of records; each has two varints.
func (g *xzGuard) indexCount() error {
	n, err := g.takeVarint()
	if err != nil {
		return err
	}
	g.records = n
	g.state = (*xzGuard).indexRecord
	return nil
}

// indexRecord reads one record (unpadded and uncompressed size) a call,
// so a hostile record count costs input, not memory.
func (g *xzGuard) indexRecord() error {
	if g.records == 0 {
		g.state = (*xzGuard).indexEnd
		return nil
	}
	for range 2 {
		if _, err := g.takeVarint(); err != nil {
			return err
		}
	}
	g.records--
	return nil
}

// takeVarint reads one varint and appends it to pending.
func (g *xzGuard) takeVarint() (uint64, error) {
	var b []byte
	for i := 0; i < 9; i++ {
		c, err := g.br.ReadByte()
		if err != nil {
			return 0, unexpected(err)
		}
		b = append(b, c)
		if c&0x80 == 0 {
			n, _ := varint(b, 0)
			// A fresh slice: pending may still point into scratch.
			g.pending = append(g.pending[:len(g.pending):len(g.pending)], b...)
			g.indexLen += int64(len(b))
			return n, nil
		}
	}
	return 0, fmt.Errorf("%w: index number longer than 9 bytes", errXZStructure)
}

// indexEnd: padding to a multiple of four, CRC32, then the 12-byte stream
// footer.
func (g *xzGuard) indexEnd() error {
	pad := int((4 - g.indexLen%4) % 4)
	if _, err := g.take(pad + 4 + 12); err != nil {
		return err
	}
	g.state = (*xzGuard).streamPadding
	return nil
}

// streamPadding: after a stream, zero bytes in groups of four, then the
// end of input or another stream.
func (g *xzGuard) streamPadding() error {
	head, _ := g.br.Peek(4)
	switch {
	case len(head) == 0:
		return io.EOF
	case string(head) == "\x00\x00\x00\x00" || len(head) < 4 && allZero(head):
		_, err := g.take(len(head))
		return err
	}
	g.state = (*xzGuard).streamHeader
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
