// Package zipx reads zip archives (PyTorch torch.save files, NumPy .npz
// files) as tolerantly as PyTorch's own reader, miniz, so that a crafted
// archive cannot hide a member from the scanner that torch.load would still
// run. It reports every structural oddity it meets as an Anomaly instead of
// refusing the archive.
//
// It differs from archive/zip on purpose:
//   - member names come from the central directory, as miniz takes them, and
//     data offsets from the local headers, as miniz computes them;
//   - CRC mismatches and odd flag bits are anomalies, not errors, since
//     PyTorch ignores both;
//   - a member flagged as encrypted whose data is in fact plain is returned
//     (and reported), because PyTorch loads it;
//   - when the central directory is missing or unusable, the local headers
//     are walked from the start of the file;
//   - every size read from the file is checked against the file size and the
//     Limits before anything is allocated or decompressed.
//
// Cost follows what the caller reads: Open reads the end of the file, the
// central directory, one local header per member and any local header that
// starts a gap between members (see KindHiddenMember); member data is read only
// through Archive.Open.
package zipx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrNotZip: the data has neither an end-of-central-directory record
	// nor a local file header at its start.
	ErrNotZip = errors.New("not a zip archive")
	// ErrEncrypted: the member is encrypted and its data does not read as
	// plain data either; it cannot be inspected.
	ErrEncrypted = errors.New("member is encrypted")
	// ErrUnsupportedMethod: the member uses a compression method this
	// package does not decode; it cannot be inspected.
	ErrUnsupportedMethod = errors.New("compression method not supported")
	// ErrLimit: the archive or a member goes past one of the Limits.
	ErrLimit = errors.New("limit exceeded")
	// ErrRatio: a member expands more than MaxRatio times its compressed
	// size, the mark of a compression bomb. It wraps ErrLimit.
	ErrRatio error = ratioError{}
)

// Limits bound the work and memory spent on one archive. A zero or negative
// field takes its value from DefaultLimits.
type Limits struct {
	// MaxEntries is the most members Open accepts.
	MaxEntries int
	// MaxEntryBytes is the most decompressed bytes one member may produce.
	MaxEntryBytes int64
	// MaxRatio is the most decompressed bytes per compressed byte a member
	// may produce once it has produced more than 1 MiB; below that, any
	// ratio is allowed since it costs nothing.
	MaxRatio int64
}

// DefaultLimits fill the zero fields of the Limits given to Open.
var DefaultLimits = Limits{
	MaxEntries:    100_000,
	MaxEntryBytes: 1 << 30,
	// Deflate cannot pass about 1032:1, so this bites only on zstd,
	// bzip2 and LZMA bombs; MaxEntryBytes bounds deflate ones.
	MaxRatio: 2000,
}

func (l Limits) withDefaults() Limits {
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultLimits.MaxEntries
	}
	if l.MaxEntryBytes <= 0 {
		l.MaxEntryBytes = DefaultLimits.MaxEntryBytes
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = DefaultLimits.MaxRatio
	}
	return l
}

// Entry describes one member.
type Entry struct {
	// Name is the name in the central directory: the one PyTorch uses. For
	// a member found only by walking local headers it is LocalName.
	Name string
	// LocalName is the name in the local file header.
	LocalName string
	// Method is the compression method: 0 stored, 8 deflate, 12 bzip2,
	// 14 LZMA, 93 zstd, 99 AES (encrypted), others unsupported.
	Method uint16
	// Flags is the general-purpose bit flag from the central directory.
	Flags uint16
	// CRC32, CompressedSize and UncompressedSize are as the central
	// directory (else the local header or data descriptor) declares them.
	CRC32            uint32
	CompressedSize   uint64
	UncompressedSize uint64
	// HeaderOffset is the offset of the local file header in the file.
	HeaderOffset int64
	// DataOffset is the offset of the member's (compressed) data.
	DataOffset int64
	// CreatorOS is the host system that wrote the member (the high byte of
	// "version made by"); 3 is Unix. ExternalAttrs holds, for Unix-like
	// creators, the file mode in its high 16 bits (see IsSymlink).
	CreatorOS     uint8
	ExternalAttrs uint32
	// Zip64 is set when a size or offset came from a zip64 extra field.
	Zip64 bool
	// Encrypted is set when the flags or the method claim encryption;
	// Archive.Open still tries the data as plain (see ErrEncrypted).
	Encrypted bool
	// Listed is set when the member is listed in the central directory;
	// members found by walking local headers have it unset.
	Listed bool
}

// Host systems ("version made by" high byte, APPNOTE 4.4.2) whose members an
// extractor creates as symbolic links when the high 16 bits of the external
// attributes hold a Unix symlink mode.
const (
	creatorFAT    = 0
	creatorVMS    = 2
	creatorUnix   = 3
	creatorAtari  = 5
	creatorNTFS   = 11
	creatorBeOS   = 16
	creatorMacOSX = 19
	creatorAtheOS = 30
)

// MS-DOS attribute bits in the low byte of the external attributes.
const (
	msdosReadOnly = 0x01
	msdosDir      = 0x10
)

// IsSymlink reports whether the member is a symbolic link, whose data is the
// link target, for at least one common extractor:
//   - Info-ZIP unzip (mapattr in unix/unix.c) takes the high 16 bits as a
//     Unix mode and makes a link for the hosts of its SYMLINK_HOST macro:
//     VMS, Unix, Atari, BeOS and AtheOS; and for FAT (0) when the owner bits
//     agree with the MS-DOS read-only and directory bits. It takes the mode
//     from Acorn, QDOS, Tandem and THEOS members too but makes no link, so
//     those are not links here;
//   - 7-Zip makes a link for FAT and NTFS members that are not directories;
//   - Go's archive/zip reads the mode of Unix and OS X (19) members, so Go
//     extractors make links for both.
func (e *Entry) IsSymlink() bool {
	const modeType, modeSymlink = 0xf000, 0xa000
	mode := e.ExternalAttrs >> 16
	if mode&modeType != modeSymlink {
		return false
	}
	dir := e.ExternalAttrs&msdosDir != 0 || e.IsDir()
	switch e.CreatorOS {
	case creatorVMS, creatorUnix, creatorAtari, creatorBeOS, creatorAtheOS, creatorMacOSX:
		return true
	case creatorNTFS:
		return !dir
	case creatorFAT:
		return !dir || unzipFATMode(e.ExternalAttrs, dir)
	}
	return false
}

// unzipFATMode reports whether unzip keeps the high 16 bits of a FAT member's
// attributes as its Unix mode: when the owner bits are r, w unless the
// read-only bit is set, and x for directories.
func unzipFATMode(attrs uint32, dir bool) bool {
	owner := uint32(0o400)
	if attrs&msdosReadOnly == 0 {
		owner |= 0o200
	}
	if dir {
		owner |= 0o100
	}
	return (attrs>>16)&0o700 == owner
}

// IsDir reports whether the member's name marks it as a directory.
func (e *Entry) IsDir() bool {
	return len(e.Name) > 0 && e.Name[len(e.Name)-1] == '/'
}

// Archive is an opened zip archive. Its methods are safe for concurrent use.
type Archive struct {
	// Entries lists the members in central directory order (file order
	// when the central directory was unusable), then any hidden members:
	// unlisted ones found where a streaming reader would meet them (see
	// KindHiddenMember). Do not modify it.
	Entries []Entry

	r    io.ReaderAt
	size int64
	lim  Limits
	// base is added to every offset the archive declares: it is non-zero
	// when data was prepended to an archive built without it.
	base int64
	// listed counts central directory entries, including skipped ones.
	listed int

	mu        sync.Mutex
	anomalies []Anomaly
	seen      map[Anomaly]bool
}

// IsZip reports whether head, the first bytes of a file, starts like a zip
// archive: a local file header, or the end record of an empty archive.
func IsZip(head []byte) bool {
	return bytes.HasPrefix(head, []byte("PK\x03\x04")) || bytes.HasPrefix(head, []byte("PK\x05\x06"))
}

// Open reads the structure of the zip archive held in r, which is size bytes
// long. It returns an error only for I/O errors, ErrNotZip, and ErrLimit;
// anything else odd is recorded in Anomalies.
func Open(r io.ReaderAt, size int64, lim Limits) (*Archive, error) {
	if size < 0 {
		return nil, fmt.Errorf("zip: negative size %d", size)
	}
	a := &Archive{r: r, size: size, lim: lim.withDefaults()}
	dir, err := a.readEnd()
	if err != nil {
		return nil, err
	}
	listed := false
	if dir.found {
		if listed, err = a.readCentral(&dir); err != nil {
			return nil, err
		}
	}
	if !listed {
		if err := a.fallback(dir.found); err != nil {
			return nil, err
		}
	}
	if err := a.checkLayout(dir, listed); err != nil {
		return nil, err
	}
	return a, nil
}

// Anomalies returns a copy of the anomalies found so far: those of Open,
// then those found while members were read.
func (a *Archive) Anomalies() []Anomaly {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.anomalies)
}

// maxAnomalies caps the list so that a hostile archive with many odd members
// cannot grow it without bound; the last entry says the list was cut.
const maxAnomalies = 10_000

// note records an anomaly once, however often it is met.
func (a *Archive) note(kind AnomalyKind, entry, format string, args ...any) {
	an := Anomaly{Kind: kind, Entry: entry, Detail: fmt.Sprintf(format, args...)}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.seen[an] || len(a.anomalies) > maxAnomalies {
		return
	}
	if a.seen == nil {
		a.seen = make(map[Anomaly]bool)
	}
	a.seen[an] = true
	if len(a.anomalies) == maxAnomalies {
		an = Anomaly{Kind: KindTooManyAnomalies, Detail: fmt.Sprintf("more than %d anomalies; the rest were not recorded", maxAnomalies)}
	}
	a.anomalies = append(a.anomalies, an)
}

// readAt fills p from offset off, turning a short read into
// io.ErrUnexpectedEOF so callers can tell truncation from other I/O errors.
func (a *Archive) readAt(p []byte, off int64) error {
	if off < 0 || off > a.size || int64(len(p)) > a.size-off {
		return io.ErrUnexpectedEOF
	}
	n, err := a.r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return fmt.Errorf("zip: reading %d bytes at offset %d: %w", len(p), off, err)
}

// ratioError is ErrRatio: its own message, and errors.Is(err, ErrLimit)
// still holds for callers that only care that a limit was reached.
type ratioError struct{}

func (ratioError) Error() string { return "compression ratio limit exceeded" }
func (ratioError) Unwrap() error { return ErrLimit }
