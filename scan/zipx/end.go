package zipx

import "encoding/binary"

// Record signatures and fixed sizes, from the PKWARE APPNOTE (section 4.3).
const (
	sigLocal      = 0x04034b50
	sigCentral    = 0x02014b50
	sigEnd        = 0x06054b50
	sigEnd64      = 0x06064b50
	sigLocator64  = 0x07064b50
	sigDescriptor = 0x08074b50

	lenLocal     = 30
	lenCentral   = 46
	lenEnd       = 22
	lenEnd64     = 56
	lenLocator64 = 20
	maxComment   = 0xffff
)

func le16(b []byte) uint16 { return binary.LittleEndian.Uint16(b) }
func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }
func le64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }

// directory is what the end records say about the central directory.
type directory struct {
	found     bool  // an end-of-central-directory record exists
	endOffset int64 // offset of that record
	// dirEnd is where the central directory should end: the zip64 end
	// record when there is one, else the end record.
	dirEnd  int64
	offset  uint64 // declared offset of the central directory
	size    uint64 // declared size of the central directory
	entries uint64 // declared number of members
	zip64   bool
	// start and stop delimit the central directory as parsed, once
	// readCentral has run.
	start, stop int64
}

// readEnd finds the end-of-central-directory record the way miniz does: the
// last signature in the final 64 KiB + 22 bytes that leaves room for a whole
// record. A missing record is not an error (found stays false).
func (a *Archive) readEnd() (directory, error) {
	var d directory
	n := min(a.size, lenEnd+maxComment)
	tail := make([]byte, n)
	if err := a.readAt(tail, a.size-n); err != nil {
		return d, err
	}
	i := lastIndexSig(tail, sigEnd, lenEnd)
	if i < 0 {
		return d, nil
	}
	rec := tail[i:]
	d.found = true
	d.endOffset = a.size - n + int64(i)
	d.dirEnd = d.endOffset
	d.entries = uint64(le16(rec[10:]))
	d.size = uint64(le32(rec[12:]))
	d.offset = uint64(le32(rec[16:]))
	a.checkEndRecord(rec, d.endOffset)
	return d, a.readZip64(&d)
}

// lastIndexSig returns the last index in b of sig that has at least
// recLen bytes from it to the end of b, or -1.
func lastIndexSig(b []byte, sig uint32, recLen int) int {
	for i := len(b) - recLen; i >= 0; i-- {
		if le32(b[i:]) == sig {
			return i
		}
	}
	return -1
}

// checkEndRecord notes what is odd about the end record itself.
func (a *Archive) checkEndRecord(rec []byte, off int64) {
	disk, dirDisk := le16(rec[4:]), le16(rec[6:])
	if disk != 0 || dirDisk != 0 {
		a.note(KindBadEndRecord, "", "the end record describes a multi-disk archive (disk %d, directory on disk %d); it was read as one file", disk, dirDisk)
	}
	if here, total := le16(rec[8:]), le16(rec[10:]); here != total {
		a.note(KindBadEndRecord, "", "the end record counts %d members on this disk but %d in all", here, total)
	}
	end := off + lenEnd + int64(le16(rec[20:]))
	switch {
	case end > a.size:
		a.note(KindBadEndRecord, "", "the archive comment is declared %d bytes long but the file ends %d bytes after the end record", le16(rec[20:]), a.size-off-lenEnd)
	case end < a.size:
		a.note(KindTrailingData, "", "%d bytes follow the end record and its comment (offset %d to %d)", a.size-end, end, a.size)
	}
}

// readZip64 reads the zip64 end record when a locator precedes the end
// record. As miniz does, its values replace those of the end record. A broken
// zip64 record is an anomaly and the 32-bit values are kept.
func (a *Archive) readZip64(d *directory) error {
	if d.endOffset < lenLocator64 {
		return nil
	}
	var loc [lenLocator64]byte
	if err := a.readAt(loc[:], d.endOffset-lenLocator64); err != nil {
		return err
	}
	if le32(loc[:]) != sigLocator64 {
		return nil
	}
	off := le64(loc[8:])
	if off > uint64(a.size) || uint64(a.size)-off < lenEnd64 {
		a.note(KindBadEndRecord, "", "the zip64 locator points to offset %d, beyond the end of the %d-byte file", off, a.size)
		return nil
	}
	var rec [lenEnd64]byte
	if err := a.readAt(rec[:], int64(off)); err != nil {
		return err
	}
	if le32(rec[:]) != sigEnd64 {
		a.note(KindBadEndRecord, "", "no zip64 end record at offset %d, where the zip64 locator points", off)
		return nil
	}
	d.zip64 = true
	d.dirEnd = int64(off)
	d.entries = le64(rec[32:])
	d.size = le64(rec[40:])
	d.offset = le64(rec[48:])
	return nil
}
