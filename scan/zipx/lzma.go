package zipx

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/ulikunitz/xz/lzma"
)

const (
	// maxLZMADict caps the dictionary an LZMA member may make us allocate,
	// after it is lowered to what the member can use (see lzmaMember.start):
	// the largest that xz and 7-Zip presets choose.
	maxLZMADict = 64 << 20
	// lzmaSlack is how far past its declared size a member with an
	// end-of-stream marker is decoded with its full dictionary.
	lzmaSlack = 64 << 10
	// flagLZMAEOS (general-purpose bit 1) says an LZMA member's data ends
	// with an end-of-stream marker (APPNOTE 4.4.4).
	flagLZMAEOS = 0x0002
)

var errLZMAHeader = errors.New("malformed LZMA member header")

// lzmaMember decodes the data of an LZMA member (method 14, APPNOTE 5.8.8):
// a 2-byte LZMA SDK version, a 2-byte properties size (5), the properties
// (lc/lp/pb byte, 4-byte dictionary size), then the raw LZMA stream. It
// hands the decoder a classic .lzma header built from these, with the size
// from the zip headers unless the member has an end-of-stream marker.
//
// The decoder allocates the whole dictionary the header asks for, up to
// 4 GiB. A dictionary larger than the member's output is never filled, so
// the header's is first lowered to the most the member can produce: its
// declared size, the bound of its reader (plus the byte that probes past
// it), and, with an end-of-stream marker, the declared size plus lzmaSlack.
// Members still needing more than maxLZMADict fail with ErrLimit. A stream
// that outgrows a lowered dictionary fails with a distance error, never
// decodes to wrong data.
//
// Nothing is read until the first Read, so that errors, truncation among
// them, come through the member reader like those of the other methods.
type lzmaMember struct {
	br    *bufio.Reader
	flags uint16
	size  uint64 // declared uncompressed size
	max   int64  // most bytes the member's reader will take
	dec   *lzma.Reader
	err   error
}

func (m *lzmaMember) Read(p []byte) (int, error) {
	if m.dec == nil {
		if m.err == nil {
			m.err = m.start()
		}
		if m.err != nil {
			return 0, m.err
		}
	}
	return m.dec.Read(p)
}

func (m *lzmaMember) start() error {
	var pre [9]byte
	if _, err := io.ReadFull(m.br, pre[:]); err != nil {
		return eofIsUnexpected(err)
	}
	if n := le16(pre[2:]); n != 5 {
		return fmt.Errorf("%w: properties size %d, not 5", errLZMAHeader, n)
	}
	eos := m.flags&flagLZMAEOS != 0
	need := uint64(m.max) + 1
	if eos {
		need = min(need, satAdd(m.size, lzmaSlack))
	} else {
		need = min(need, m.size)
	}
	dict := max(min(uint64(le32(pre[5:])), need), lzma.MinDictCap)
	if dict > maxLZMADict {
		return fmt.Errorf("LZMA dictionary of %d bytes for a member of %d bytes, more than the %d allowed: %w",
			le32(pre[5:]), m.size, maxLZMADict, ErrLimit)
	}
	// Classic header: properties byte, dictionary size, uncompressed size
	// (all ones: unknown, ended by the marker).
	var hdr [lzma.HeaderLen]byte
	hdr[0] = pre[4]
	binary.LittleEndian.PutUint32(hdr[1:], uint32(dict))
	size := m.size
	if eos {
		size = math.MaxUint64
	}
	binary.LittleEndian.PutUint64(hdr[5:], size)
	dec, err := lzma.ReaderConfig{DictCap: maxLZMADict}.NewReader(&prefixed{head: hdr[:], br: m.br})
	if err != nil {
		return eofIsUnexpected(err)
	}
	m.dec = dec
	return nil
}

// satAdd is a+b, or the largest uint64 if that overflows.
func satAdd(a, b uint64) uint64 {
	if a > math.MaxUint64-b {
		return math.MaxUint64
	}
	return a + b
}

func eofIsUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// prefixed reads head, then br. It is an io.ByteReader so that the LZMA
// decoder reads br directly instead of a byte at a time through Read.
type prefixed struct {
	head []byte
	br   *bufio.Reader
}

func (p *prefixed) Read(b []byte) (int, error) {
	if len(p.head) > 0 {
		n := copy(b, p.head)
		p.head = p.head[n:]
		return n, nil
	}
	return p.br.Read(b)
}

func (p *prefixed) ReadByte() (byte, error) {
	if len(p.head) > 0 {
		c := p.head[0]
		p.head = p.head[1:]
		return c, nil
	}
	return p.br.ReadByte()
}
