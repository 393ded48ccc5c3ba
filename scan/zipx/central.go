package zipx

import (
	"bufio"
	"fmt"
	"io"
)

// maxNameBytes caps the member names kept in memory, so that a central
// directory of huge names cannot exhaust memory before MaxEntries is reached.
const maxNameBytes = 64 << 20

// readCentral lists the members from the central directory. It returns
// false when there is no usable central directory, after noting why, so the
// caller can walk the local headers instead.
func (a *Archive) readCentral(d *directory) (bool, error) {
	start, ok, err := a.locateCentral(d)
	if !ok || err != nil {
		return false, err
	}
	// Read through a buffer: the directory is parsed front to back, and its
	// size on disk bounds the work whatever the end record claims.
	cr := &countReader{r: io.NewSectionReader(a.r, start, a.size-start)}
	br := bufio.NewReaderSize(cr, 64<<10)
	var names int64
	d.start, d.stop = start, start
	for {
		e, more, err := readCentralEntry(br)
		if err != nil {
			return false, err
		}
		if !more {
			break
		}
		d.stop = start + cr.n - int64(br.Buffered())
		if a.listed >= a.lim.MaxEntries {
			return false, fmt.Errorf("zip: the central directory lists more than %d members: %w", a.lim.MaxEntries, ErrLimit)
		}
		if names += int64(len(e.Name)); names > maxNameBytes {
			return false, fmt.Errorf("zip: member names take more than %d bytes: %w", maxNameBytes, ErrLimit)
		}
		if err := a.addListed(e); err != nil {
			return false, err
		}
	}
	if uint64(a.listed) != d.entries && !(d.entries == sat16 && !d.zip64) {
		a.note(KindEntryCountMismatch, "", "the end record declares %d members, the central directory lists %d", d.entries, a.listed)
	}
	return true, a.readOtherCentral(d, start)
}

// readOtherCentral reads a second central directory where Python's zipfile
// looks for it. zipfile ignores the end record's offset field and takes the
// directory to start its size before the end record, shifting every member
// offset by the difference; when that is not where the offset field points
// and a directory is there too, an archive can show one set of members to
// readers that trust the offset and another to numpy.load. Both are listed.
func (a *Archive) readOtherCentral(d *directory, used int64) error {
	if d.size > uint64(d.dirEnd) {
		return nil
	}
	other := int64(uint64(d.dirEnd) - d.size)
	if other == used {
		return nil
	}
	if ok, err := a.sigAt(other, sigCentral); !ok || err != nil {
		return err
	}
	a.note(KindTwoDirectories, "", "the end record's offset points at a central directory at %d, its size at another at %d (where Python's zipfile reads); both are scanned", used, other)
	saved := a.base
	a.base = other - int64(d.offset)
	defer func() { a.base = saved }()
	br := bufio.NewReaderSize(io.NewSectionReader(a.r, other, a.size-other), 64<<10)
	for {
		e, more, err := readCentralEntry(br)
		if err != nil || !more {
			return err
		}
		if a.listed >= a.lim.MaxEntries {
			return fmt.Errorf("zip: the central directories list more than %d members: %w", a.lim.MaxEntries, ErrLimit)
		}
		if err := a.addListed(e); err != nil {
			return err
		}
	}
}

// locateCentral checks that a central directory starts where the end record
// says. If not, it tries the offset implied by the directory's size, which is
// right when data was prepended to the archive after it was written.
func (a *Archive) locateCentral(d *directory) (int64, bool, error) {
	if d.offset > uint64(a.size) {
		a.note(KindNoCentralDirectory, "", "central directory at offset %d lies beyond the end of the %d-byte file", d.offset, a.size)
		return 0, false, nil
	}
	if d.entries == 0 && d.size == 0 {
		return int64(d.offset), true, nil
	}
	ok, err := a.sigAt(int64(d.offset), sigCentral)
	if ok || err != nil {
		return int64(d.offset), ok, err
	}
	if d.size <= uint64(d.dirEnd) {
		shifted := uint64(d.dirEnd) - d.size
		if shifted > d.offset {
			if ok, err := a.sigAt(int64(shifted), sigCentral); ok || err != nil {
				a.base = int64(shifted - d.offset)
				a.note(KindDataBeforeFirstEntry, "", "%d bytes were prepended to the archive; its offsets were shifted to match", a.base)
				return int64(shifted), ok, err
			}
		}
	}
	a.note(KindNoCentralDirectory, "", "no central directory header at offset %d, where the end record points", d.offset)
	return 0, false, nil
}

// sigAt reports whether the 4 bytes at off are sig.
func (a *Archive) sigAt(off int64, sig uint32) (bool, error) {
	var b [4]byte
	if off < 0 || off > a.size-4 {
		return false, nil
	}
	if err := a.readAt(b[:], off); err != nil {
		return false, err
	}
	return le32(b[:]) == sig, nil
}

// readCentralEntry parses one central directory header. more is false at
// the end of the directory: another signature, or the end of the file.
func readCentralEntry(br *bufio.Reader) (e Entry, more bool, err error) {
	var fixed [lenCentral]byte
	if _, err := io.ReadFull(br, fixed[:]); err != nil {
		return e, false, ioOnly(err)
	}
	if le32(fixed[:]) != sigCentral {
		return e, false, nil
	}
	nameLen, extraLen, commentLen := int(le16(fixed[28:])), int(le16(fixed[30:])), int(le16(fixed[32:]))
	// At most 128 KiB, and only once the bytes were read from the file.
	buf := make([]byte, nameLen+extraLen)
	if _, err := io.ReadFull(br, buf); err != nil {
		return e, false, ioOnly(err)
	}
	if _, err := br.Discard(commentLen); err != nil {
		return e, false, ioOnly(err)
	}
	e = Entry{
		Name:             string(buf[:nameLen]),
		Flags:            le16(fixed[8:]),
		Method:           le16(fixed[10:]),
		CRC32:            le32(fixed[16:]),
		CompressedSize:   uint64(le32(fixed[20:])),
		UncompressedSize: uint64(le32(fixed[24:])),
		CreatorOS:        fixed[5],
		ExternalAttrs:    le32(fixed[38:]),
		Listed:           true,
	}
	offset := uint64(le32(fixed[42:]))
	e.Zip64 = centralZip64(&e, &offset, buf[nameLen:])
	e.HeaderOffset = int64(min(offset, 1<<62))
	e.Encrypted = e.Flags&flagsEncrypted != 0 || e.Method == methodAES
	return e, true, nil
}

// centralZip64 applies a zip64 extra field: it holds, in this order, the
// uncompressed size, compressed size and header offset, each only when the
// 32-bit field is saturated (APPNOTE 4.5.3).
func centralZip64(e *Entry, offset *uint64, extra []byte) bool {
	f := findExtra(extra, extZip64)
	used := false
	for _, p := range []*uint64{&e.UncompressedSize, &e.CompressedSize, offset} {
		if *p != sat32 || len(f) < 8 {
			continue
		}
		*p, f, used = le64(f), f[8:], true
	}
	return used
}

// ioOnly keeps real I/O errors and drops end-of-data, which in a central
// directory only means it is truncated.
func ioOnly(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return nil
	}
	return fmt.Errorf("zip: reading the central directory: %w", err)
}

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// addListed resolves a central directory entry against its local header and
// keeps it, or skips it with an anomaly when the header cannot be found.
func (a *Archive) addListed(e Entry) error {
	a.listed++
	off := e.HeaderOffset + a.base
	if e.HeaderOffset > a.size || off > a.size-lenLocal {
		a.note(KindBadOffset, e.Name, "local header offset %d lies beyond the end of the %d-byte file; member skipped", e.HeaderOffset, a.size)
		return nil
	}
	h, ok, err := a.readLocal(off)
	if err != nil {
		return err
	}
	if !ok {
		a.note(KindBadOffset, e.Name, "no local header at offset %d, where the central directory points; member skipped", off)
		return nil
	}
	e.HeaderOffset, e.DataOffset, e.LocalName = off, h.dataOffset, h.name
	a.compareLocal(&e, &h)
	a.checkEntry(&e)
	a.Entries = append(a.Entries, e)
	return nil
}
