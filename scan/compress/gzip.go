package compress

import (
	"bufio"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// gzipReader decodes concatenated gzip members the way Python's gzip
// module does. The standard library refuses headers whose file name or
// comment is longer than 511 bytes; Python, and so joblib, reads them, so
// the header is parsed here (RFC 1952) and the body handed to flate.
type gzipReader struct {
	br    *bufio.Reader
	body  io.ReadCloser
	crc   uint32
	size  uint32
	begun bool
}

func newGzipReader(br *bufio.Reader) (io.Reader, error) {
	g := &gzipReader{br: br}
	if err := g.member(); err != nil {
		return nil, err
	}
	return g, nil
}

const (
	gzFHCRC    = 1 << 1
	gzFEXTRA   = 1 << 2
	gzFNAME    = 1 << 3
	gzFCOMMENT = 1 << 4
)

// member reads one member header and starts its body.
func (g *gzipReader) member() error {
	var h [10]byte
	if _, err := io.ReadFull(g.br, h[:]); err != nil {
		return fmt.Errorf("compress: gzip header: %w", unexpected(err))
	}
	if h[0] != 0x1f || h[1] != 0x8b || h[2] != 8 || h[3]&0xe0 != 0 {
		return errors.New("compress: gzip: not a gzip member")
	}
	flags := h[3]
	if flags&gzFEXTRA != 0 {
		var n [2]byte
		if _, err := io.ReadFull(g.br, n[:]); err != nil {
			return fmt.Errorf("compress: gzip extra field: %w", unexpected(err))
		}
		if _, err := g.br.Discard(int(binary.LittleEndian.Uint16(n[:]))); err != nil {
			return fmt.Errorf("compress: gzip extra field: %w", unexpected(err))
		}
	}
	for _, f := range []byte{gzFNAME, gzFCOMMENT} {
		if flags&f == 0 {
			continue
		}
		// Zero-terminated, any length (Python reads until the NUL).
		if _, err := g.br.ReadSlice(0); err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return fmt.Errorf("compress: gzip file name or comment: %w", unexpected(err))
		} else if errors.Is(err, bufio.ErrBufferFull) {
			if err := g.skipTo0(); err != nil {
				return err
			}
		}
	}
	if flags&gzFHCRC != 0 {
		if _, err := g.br.Discard(2); err != nil {
			return fmt.Errorf("compress: gzip header CRC: %w", unexpected(err))
		}
	}
	g.body, g.crc, g.size, g.begun = flate.NewReader(g.br), 0, 0, true
	return nil
}

func (g *gzipReader) skipTo0() error {
	for {
		_, err := g.br.ReadSlice(0)
		if err == nil {
			return nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return fmt.Errorf("compress: gzip file name or comment: %w", unexpected(err))
		}
	}
}

func (g *gzipReader) Read(p []byte) (int, error) {
	for {
		n, err := g.body.Read(p)
		g.crc = crc32.Update(g.crc, crc32.IEEETable, p[:n])
		g.size += uint32(n)
		if err == nil || n > 0 && !errors.Is(err, io.EOF) {
			return n, err
		}
		if !errors.Is(err, io.EOF) {
			return n, fmt.Errorf("compress: gzip data: %w", unexpected(err))
		}
		if err := g.trailer(); err != nil {
			return n, err
		}
		// Python skips zero padding after a member; then another member
		// follows, or the stream ends.
		for {
			b, err := g.br.Peek(1)
			if err != nil {
				return n, io.EOF
			}
			if b[0] != 0 {
				break
			}
			g.br.Discard(1)
		}
		if err := g.member(); err != nil {
			return n, err
		}
		if n > 0 {
			return n, nil
		}
	}
}

func (g *gzipReader) trailer() error {
	var t [8]byte
	if _, err := io.ReadFull(g.br, t[:]); err != nil {
		return fmt.Errorf("compress: gzip trailer: %w", unexpected(err))
	}
	if binary.LittleEndian.Uint32(t[:4]) != g.crc || binary.LittleEndian.Uint32(t[4:]) != g.size {
		return errors.New("compress: gzip data does not match its checksum or length")
	}
	return nil
}
