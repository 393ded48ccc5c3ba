// Package sevenz lists and reads 7z archives for the scanner, wrapping
// github.com/bodgit/sevenzip with the guards hostile input needs.
//
// The wrapped library trusts the counts and sizes in an archive's header: a
// few bytes can make it allocate terabytes, or derive an AES key for ever. So
// before the library sees an archive, this package parses the header itself,
// with the same grammar, and checks every count against the Limits, every
// dictionary against MaxDictionary, and every method against the list of
// those it can decode within bounds. Encrypted folders are refused up front
// (ErrEncrypted) so the library never runs a key derivation. Any panic that
// still escapes the library becomes an error.
package sevenz

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/bodgit/sevenzip"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrEncrypted: the header or the member is encrypted; the content
	// cannot be inspected.
	ErrEncrypted = errors.New("content is encrypted")
	// ErrUnsupportedMethod: a coder this package does not decode, or does
	// not decode within bounds.
	ErrUnsupportedMethod = errors.New("compression method not supported")
	// ErrLimit: the archive or a member goes past one of the Limits.
	ErrLimit = errors.New("limit exceeded")
	// ErrFormat: not a 7z archive, or a malformed one.
	ErrFormat = errors.New("malformed archive")
)

// Limits bound the work and memory spent on one archive. A zero or negative
// field takes its value from DefaultLimits.
type Limits struct {
	// MaxEntries is the most members (and folders, and packed streams)
	// an archive may declare.
	MaxEntries int
	// MaxEntryBytes is the most decompressed bytes one Open may produce.
	// It also bounds the bytes of a solid block decoded and discarded to
	// reach a member, since that work is hidden from the caller.
	MaxEntryBytes int64
	// MaxDictionary is the largest LZMA/LZMA2 dictionary (the memory the
	// decoder allocates) a folder may ask for.
	MaxDictionary int64
}

// DefaultLimits fill the zero fields of the Limits given to Open.
var DefaultLimits = Limits{
	MaxEntries:    100_000,
	MaxEntryBytes: 1 << 30,
	MaxDictionary: 256 << 20,
}

func (l Limits) withDefaults() Limits {
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultLimits.MaxEntries
	}
	if l.MaxEntryBytes <= 0 {
		l.MaxEntryBytes = DefaultLimits.MaxEntryBytes
	}
	if l.MaxDictionary <= 0 {
		l.MaxDictionary = DefaultLimits.MaxDictionary
	}
	return l
}

// maxHeaderBytes caps the archive header, packed and unpacked. A header
// lists names, sizes and times: 64 MiB is several hundred thousand members.
const maxHeaderBytes = 64 << 20

// Entry describes one member.
type Entry struct {
	Name string
	// Size is the decompressed size the header declares.
	Size  uint64
	IsDir bool
	// Symlink is set when the member's Unix mode (kept by p7zip in the
	// high bits of its attributes) makes it a symbolic link: its data is
	// the link target.
	Symlink bool
	// Encrypted is set when the member's folder uses AES; Open then
	// returns ErrEncrypted.
	Encrypted bool
	// Methods names the coders of the member's folder in header order
	// (for example "BCJ, LZMA2"); empty for members without data.
	Methods string
	// Folder is the index of the solid block holding the data, -1 when
	// the member has none (directories, empty files).
	Folder int

	offset uint64 // within the folder's decoded data
	err    error  // why Open must refuse, decided from the header
	file   *sevenzip.File
}

// Archive is an opened 7z archive.
type Archive struct {
	// Entries lists the members in header order. Do not modify it.
	Entries []Entry

	lim Limits
}

var signature = []byte{'7', 'z', 0xbc, 0xaf, 0x27, 0x1c}

// IsSevenZip reports whether head, the first bytes of a file, starts with
// the 7z signature.
func IsSevenZip(head []byte) bool {
	return bytes.HasPrefix(head, signature)
}

// Open lists the members of the 7z archive held in r, which is size bytes
// long. The archive must start at offset 0 (self-extracting archives are not
// read). An archive whose header is encrypted fails with ErrEncrypted.
func Open(r io.ReaderAt, size int64, lim Limits) (*Archive, error) {
	lim = lim.withDefaults()
	h, err := checkHeader(r, size, lim)
	if err != nil {
		return nil, err
	}
	a := &Archive{lim: lim}
	if h.empty {
		return a, nil
	}
	var z *sevenzip.Reader
	err = guard(func() error {
		var err error
		z, err = sevenzip.NewReader(r, size)
		return err
	})
	if err != nil {
		return nil, translate("reading the archive header", err)
	}
	if err := a.list(z, h); err != nil {
		return nil, err
	}
	return a, nil
}

// list builds Entries from the library's files and the header as checked.
// It works out each member's offset in its folder the way the library does.
func (a *Archive) list(z *sevenzip.Reader, h *header) error {
	if len(z.File) != len(h.files) {
		return fmt.Errorf("7z: the header lists %d members but was read as %d: %w", len(h.files), len(z.File), ErrFormat)
	}
	a.Entries = make([]Entry, len(z.File))
	folder, offset := 0, uint64(0)
	for i, f := range z.File {
		e := &a.Entries[i]
		*e = Entry{Name: f.Name, Size: f.UncompressedSize, IsDir: f.FileInfo().IsDir(), Folder: -1, file: f,
			Symlink: f.FileInfo().Mode()&fs.ModeSymlink != 0}
		if h.files[i].emptyStream {
			continue
		}
		if f.Stream != folder {
			offset = 0
		}
		folder = f.Stream
		e.Folder, e.offset = f.Stream, offset
		offset += f.UncompressedSize
		if f.Stream < 0 || f.Stream >= len(h.folders) {
			e.err = fmt.Errorf("7z: %s: folder %d does not exist: %w", e.Name, f.Stream, ErrFormat)
			continue
		}
		fo := &h.folders[f.Stream]
		e.Methods, e.Encrypted = fo.methods, fo.encrypted
		if fo.err != nil {
			e.err = fmt.Errorf("7z: %s: %w", e.Name, fo.err)
		}
	}
	return nil
}

// Open returns a reader of the member's data, which fails with an error
// wrapping ErrLimit past MaxEntryBytes.
func (a *Archive) Open(e *Entry) (io.ReadCloser, error) {
	if e == nil || e.file == nil {
		return nil, errors.New("7z: Open called with an entry not from this archive")
	}
	if e.err != nil {
		return nil, e.err
	}
	if e.offset > uint64(a.lim.MaxEntryBytes) {
		return nil, fmt.Errorf("7z: %s lies %d bytes into its solid block; reaching it means decoding more than %d bytes: %w",
			e.Name, e.offset, a.lim.MaxEntryBytes, ErrLimit)
	}
	var rc io.ReadCloser
	err := guard(func() error {
		var err error
		rc, err = e.file.Open()
		return err
	})
	if err != nil {
		return nil, translate("opening "+e.Name, err)
	}
	return &reader{rc: rc, name: e.Name, max: a.lim.MaxEntryBytes}, nil
}
