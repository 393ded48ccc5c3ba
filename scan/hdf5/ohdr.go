package hdf5

import (
	"fmt"
)

// Header message types used here (spec IV.A.2).
const (
	msgDataspace    = 0x01
	msgLinkInfo     = 0x02
	msgDatatype     = 0x03
	msgGroupInfo    = 0x0A
	msgExternal     = 0x07
	msgLayout       = 0x08
	msgLink         = 0x06
	msgAttribute    = 0x0C
	msgContinuation = 0x10
	msgSymbolTable  = 0x11
	msgAttrInfo     = 0x15
)

// Per-header bounds: real headers have a handful of chunks and a few dozen
// messages; these caps only stop hostile continuation chains.
const (
	maxChunks      = 4096
	maxMessages    = 1 << 16
	maxChunkLength = 64 << 20
)

// message is one raw header message.
type message struct {
	typ   uint16
	flags uint8
	data  []byte
}

// chunk is a header continuation block still to read.
type chunk struct {
	addr, length uint64
	cont         bool // a continuation block (v2: framed by "OCHK" and a checksum)
}

// readHeader returns the messages of the object header at addr, following
// continuation messages (spec IV.A.1.a/b), and the header version (1 or 2).
// Checksums are not verified and never used for lengths; every length is
// checked against the block holding it.
func (w *walker) readHeader(addr uint64) ([]message, int, error) {
	head, err := w.rd.readUpTo(addr, 4)
	if err != nil {
		return nil, 0, err
	}
	if len(head) == 4 && string(head) == "OHDR" {
		msgs, err := w.readHeaderV2(addr)
		return msgs, 2, err
	}
	msgs, err := w.readHeaderV1(addr)
	return msgs, 1, err
}

// readHeaderV1 decodes a version 1 object header: a 16-byte prefix, then
// 8-byte-aligned messages in the first chunk and any continuation blocks.
func (w *walker) readHeaderV1(addr uint64) ([]message, error) {
	pre, err := w.rd.read(addr, 16)
	if err != nil {
		return nil, err
	}
	c := w.rd.cursor(pre)
	if v := c.u8(); v != 1 {
		return nil, fmt.Errorf("hdf5: object header at %#x has version %d", addr, v)
	}
	c.skip(1)
	nmsgs := int(c.u16())
	c.skip(4)
	size := uint64(c.u32())
	return w.collect(chunk{addr + 16, size, false}, nmsgs, func(b []byte, _ bool, ms []message) ([]message, []chunk, error) {
		return w.messagesV1(b, ms)
	})
}

// collect reads the first chunk and every continuation chunk it points to,
// decoding each with parse, until nmsgs messages are read (0: no count).
func (w *walker) collect(first chunk, nmsgs int, parse func([]byte, bool, []message) ([]message, []chunk, error)) ([]message, error) {
	var msgs []message
	queue := []chunk{first}
	seen := map[uint64]bool{}
	conts := 0 // continuation messages, which count toward nmsgs
	for n := 0; len(queue) > 0; n++ {
		ck := queue[0]
		queue = queue[1:]
		if n >= maxChunks || seen[ck.addr] {
			return msgs, fmt.Errorf("hdf5: object header continuation loop or too many chunks at %#x", ck.addr)
		}
		seen[ck.addr] = true
		if ck.length > maxChunkLength {
			return msgs, fmt.Errorf("hdf5: object header chunk of %d bytes exceeds the limit", ck.length)
		}
		b, err := w.rd.read(ck.addr, int64(ck.length))
		if err != nil {
			return msgs, err
		}
		var more []chunk
		msgs, more, err = parse(b, ck.cont, msgs)
		if err != nil {
			return msgs, err
		}
		if len(msgs) > maxMessages {
			return msgs, fmt.Errorf("hdf5: object header has more than %d messages", maxMessages)
		}
		conts += len(more)
		queue = append(queue, more...)
	}
	if nmsgs > 0 && len(msgs)+conts < nmsgs {
		return msgs, fmt.Errorf("hdf5: object header declares %d messages, found %d", nmsgs, len(msgs)+conts)
	}
	return msgs, nil
}

// messagesV1 decodes the messages of one version 1 chunk.
func (w *walker) messagesV1(b []byte, msgs []message) ([]message, []chunk, error) {
	var more []chunk
	c := w.rd.cursor(b)
	for c.left() >= 8 {
		typ, size, flags := c.u16(), int(c.u16()), c.u8()
		c.skip(3)
		data := c.take(size)
		if c.err != nil {
			return msgs, more, fmt.Errorf("hdf5: header message of %d bytes overruns its chunk", size)
		}
		c.skip(pad8(size) - size)
		c.err = nil // the last message may end without its padding
		msgs, more = w.addMessage(msgs, more, typ, flags, data)
	}
	return msgs, more, nil
}

func pad8(n int) int { return (n + 7) &^ 7 }

// addMessage appends a message, turning continuation messages into chunks.
func (w *walker) addMessage(msgs []message, more []chunk, typ uint16, flags uint8, data []byte) ([]message, []chunk) {
	if typ == msgContinuation {
		c := w.rd.cursor(data)
		ck := chunk{c.addr(), c.length(), true}
		if c.err != nil {
			w.problem("truncated header continuation message")
		} else {
			more = append(more, ck)
		}
		return msgs, more
	}
	return append(msgs, message{typ, flags, data}), more
}

// readHeaderV2 decodes a version 2 object header ("OHDR", spec IV.A.1.b).
func (w *walker) readHeaderV2(addr uint64) ([]message, error) {
	pre, err := w.rd.readUpTo(addr, 4+1+1+16+4+8)
	if err != nil {
		return nil, err
	}
	c := w.rd.cursor(pre)
	c.skip(4)
	if v := c.u8(); v != 2 {
		return nil, fmt.Errorf("hdf5: OHDR object header at %#x has version %d", addr, v)
	}
	flags := c.u8()
	if flags&0x20 != 0 {
		c.skip(16) // access, modification, change, birth times
	}
	if flags&0x10 != 0 {
		c.skip(4) // attribute phase change values
	}
	size := c.uint(1 << (flags & 3))
	if c.err != nil {
		return nil, c.err
	}
	first := chunk{addr + uint64(c.off), size, false}
	crt := flags&0x04 != 0
	return w.collect(first, 0, func(b []byte, cont bool, ms []message) ([]message, []chunk, error) {
		return w.messagesV2(b, cont, ms, crt)
	})
}

// messagesV2 decodes the messages of one version 2 chunk. Continuation
// blocks start with "OCHK" and end with a checksum, both excluded first.
func (w *walker) messagesV2(b []byte, cont bool, msgs []message, crt bool) ([]message, []chunk, error) {
	if cont {
		if len(b) < 8 || string(b[:4]) != "OCHK" {
			return msgs, nil, fmt.Errorf("hdf5: header continuation block lacks its OCHK signature")
		}
		b = b[4 : len(b)-4]
	}
	var more []chunk
	hdr := 4
	if crt {
		hdr = 6
	}
	c := w.rd.cursor(b)
	for c.left() >= hdr {
		typ, size, flags := uint16(c.u8()), int(c.u16()), c.u8()
		if crt {
			c.skip(2)
		}
		data := c.take(size)
		if c.err != nil {
			return msgs, more, fmt.Errorf("hdf5: header message of %d bytes overruns its chunk", size)
		}
		msgs, more = w.addMessage(msgs, more, typ, flags, data)
	}
	return msgs, more, nil
}
