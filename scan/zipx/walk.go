package zipx

import (
	"bufio"
	"compress/flate"
	"fmt"
	"io"
)

// fallback lists members by walking local headers from the start of the
// file, for archives whose central directory is missing or unusable. A
// scanner must do this: an archive truncated or crafted so that one reader
// cannot list it may still be read by another.
func (a *Archive) fallback(endFound bool) error {
	ok, err := a.sigAt(0, sigLocal)
	if err != nil {
		return err
	}
	if !endFound {
		if !ok {
			return fmt.Errorf("zip: no end-of-central-directory record and no local header at the start of the file: %w", ErrNotZip)
		}
		a.note(KindNoCentralDirectory, "", "no end-of-central-directory record in the %d-byte file; members were found by walking local headers", a.size)
	}
	a.Entries, a.base = nil, 0
	return a.walk(0)
}

// walk lists the local headers from off onwards. Bytes that are not a
// local header are skipped up to the next local header signature; the walk
// stops at the central directory or end record, or the end of the file.
func (a *Archive) walk(off int64) error {
	for off <= a.size-lenLocal {
		h, ok, err := a.readLocal(off)
		if err != nil {
			return err
		}
		if !ok {
			next, err := a.skipToLocal(off)
			if err != nil || next < 0 {
				return err
			}
			off = next
			continue
		}
		if len(a.Entries) >= a.lim.MaxEntries {
			return fmt.Errorf("zip: the archive holds more than %d members: %w", a.lim.MaxEntries, ErrLimit)
		}
		e := h.entry(off)
		next, err := a.dataEnd(&e)
		if err != nil {
			return err
		}
		a.checkEntry(&e)
		a.Entries = append(a.Entries, e)
		off = next // always past off: the data starts after the header
	}
	return nil
}

// skipToLocal returns the offset of the next local header after off, or -1
// when the walk should stop, noting the bytes skipped.
func (a *Archive) skipToLocal(off int64) (int64, error) {
	var b [4]byte
	if err := a.readAt(b[:], off); err != nil {
		return -1, err
	}
	if s := le32(b[:]); s == sigCentral || s == sigEnd || s == sigEnd64 {
		return -1, nil
	}
	next, err := a.scanSig(off+1, func(at int64, sig uint32) (bool, error) { return sig == sigLocal, nil })
	if err != nil {
		return -1, err
	}
	stop := next
	if next < 0 {
		stop = a.size
	}
	kind := KindUnreferencedData
	if len(a.Entries) == 0 {
		kind = KindDataBeforeFirstEntry
	}
	a.note(kind, "", "%d bytes at offset %d are not a local header; skipped to offset %d", stop-off, off, stop)
	return next, nil
}

// dataEnd works out where the member's data (and any data descriptor) ends,
// filling in the sizes when the local header defers them to a descriptor.
// The result is always beyond e.HeaderOffset.
func (a *Archive) dataEnd(e *Entry) (int64, error) {
	if e.Flags&flagDescriptor == 0 || e.CompressedSize != 0 {
		end := e.DataOffset + int64(min(e.CompressedSize, uint64(a.size)))
		if e.Flags&flagDescriptor != 0 {
			end += a.descriptorLen(end, e)
		}
		return min(end, a.size), nil
	}
	if e.Method == methodDeflate {
		if n, out, ok := a.inflatedLength(e.DataOffset); ok {
			e.CompressedSize, e.UncompressedSize = uint64(n), uint64(out)
			end := e.DataOffset + n
			return min(end+a.descriptorLen(end, e), a.size), nil
		}
	}
	return a.findDescriptor(e)
}

// descriptorLen returns the length of the data descriptor at off, reading
// the CRC from it into e when the local header left it zero. The signature
// is optional (APPNOTE 4.3.9.3); zip64 descriptors hold 8-byte sizes.
func (a *Archive) descriptorLen(off int64, e *Entry) int64 {
	var b [24]byte
	if off < 0 || off > a.size-int64(len(b)) || a.readAt(b[:], off) != nil {
		return 0
	}
	p := b[:]
	n := int64(12)
	if le32(p) == sigDescriptor {
		p, n = p[4:], 16
	}
	if e.Zip64 {
		n += 8
	}
	if e.CRC32 == 0 {
		e.CRC32 = le32(p)
	}
	return n
}

// inflatedLength inflates the deflate stream at off to learn how many
// compressed bytes it spans. ok is false when the stream is corrupt or goes
// past MaxEntryBytes.
func (a *Archive) inflatedLength(off int64) (n, out int64, ok bool) {
	cr := &byteCounter{r: bufio.NewReader(io.NewSectionReader(a.r, off, a.size-off))}
	// flate reads through ReadByte when the source has it, so the count is
	// exactly the bytes the stream spans.
	fr := flate.NewReader(cr)
	defer fr.Close()
	out, err := io.Copy(io.Discard, io.LimitReader(fr, a.lim.MaxEntryBytes+1))
	if err != nil || out > a.lim.MaxEntryBytes {
		return 0, 0, false
	}
	return cr.n, out, true
}

// findDescriptor finds the end of a member of unknown size by searching for
// a data descriptor that gives the right size, or the next header.
func (a *Archive) findDescriptor(e *Entry) (int64, error) {
	end := int64(-1)
	at, err := a.scanSig(e.DataOffset, func(at int64, sig uint32) (bool, error) {
		switch sig {
		case sigLocal, sigCentral, sigEnd:
			end = at
			return true, nil
		case sigDescriptor:
			var b [16]byte
			if at > a.size-16 || a.readAt(b[:], at) != nil {
				return false, nil
			}
			if int64(le32(b[8:])) == at-e.DataOffset {
				end = at + 16
				e.CRC32 = le32(b[4:])
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return 0, err
	}
	if at < 0 {
		at, end = a.size, a.size
		a.note(KindTruncatedEntry, e.Name, "the size of its data is deferred to a data descriptor that was not found before the end of the file")
	}
	e.CompressedSize = uint64(at - e.DataOffset)
	if e.Method == methodStored {
		e.UncompressedSize = e.CompressedSize
	}
	return max(end, e.DataOffset), nil
}

// scanSig calls match for each record signature ("PK" and two bytes) at or
// after from, in file order, until match returns true; it returns that offset
// or -1. The file is read in 64 KiB windows.
func (a *Archive) scanSig(from int64, match func(at int64, sig uint32) (bool, error)) (int64, error) {
	buf := make([]byte, 64<<10)
	for off := from; off <= a.size-4; {
		n := min(int64(len(buf)), a.size-off)
		if err := a.readAt(buf[:n], off); err != nil {
			return -1, err
		}
		for i := int64(0); i+4 <= n; i++ {
			if buf[i] != 'P' || buf[i+1] != 'K' {
				continue
			}
			if ok, err := match(off+i, le32(buf[i:])); ok || err != nil {
				return off + i, err
			}
		}
		off += n - 3 // overlap so a signature across windows is seen
	}
	return -1, nil
}

// byteCounter counts the bytes read through it, by Read or ReadByte.
type byteCounter struct {
	r *bufio.Reader
	n int64
}

func (c *byteCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *byteCounter) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}
