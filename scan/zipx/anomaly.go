package zipx

// AnomalyKind names one kind of structural oddity. The values are stable:
// callers turn them into findings.
type AnomalyKind string

// Anomaly kinds. Most are harmless in files written by ordinary tools only
// when absent; each is a way seen in the wild, or in scanner bypasses, to make
// one reader see something another does not.
const (
	// KindBadCRC: a member's data does not match its CRC-32. PyTorch does
	// not check CRCs, so the data is still returned.
	KindBadCRC AnomalyKind = "bad-crc"
	// KindFlagBits: general-purpose flag bits that ordinary writers do not
	// set (patched data, masked headers, reserved bits).
	KindFlagBits AnomalyKind = "flag-bits"
	// KindEncryptedButPlain: a member is flagged as encrypted but its data
	// reads as plain data, which PyTorch loads.
	KindEncryptedButPlain AnomalyKind = "encrypted-flag-but-plain"
	// KindNameMismatch: the local header names the member differently from
	// the central directory.
	KindNameMismatch AnomalyKind = "name-mismatch"
	// KindHeaderMismatch: the local header disagrees with the central
	// directory on method, flags or CRC.
	KindHeaderMismatch AnomalyKind = "header-mismatch"
	// KindSizeMismatch: declared sizes disagree with each other or with the
	// data actually read.
	KindSizeMismatch AnomalyKind = "size-mismatch"
	// KindNoCentralDirectory: the central directory is missing or unusable;
	// members were found by walking local headers.
	KindNoCentralDirectory AnomalyKind = "no-central-directory"
	// KindBadEndRecord: the end-of-central-directory record or its zip64
	// counterpart is inconsistent (comment past the end, multi-disk fields,
	// unreadable zip64 record).
	KindBadEndRecord AnomalyKind = "bad-end-record"
	// KindEntryCountMismatch: the end record declares a different number of
	// members from the one listed.
	KindEntryCountMismatch AnomalyKind = "entry-count-mismatch"
	// KindBadOffset: a member's header or data lies outside the file or
	// has no local header; the member is skipped.
	KindBadOffset AnomalyKind = "bad-offset"
	// KindTruncatedEntry: a member's data runs past the end of the file;
	// what exists is still readable.
	KindTruncatedEntry AnomalyKind = "truncated-entry"
	// KindOverlappingEntries: two members, or a member and the central
	// directory, share bytes (a zip-bomb and parser-confusion technique).
	KindOverlappingEntries AnomalyKind = "overlapping-entries"
	// KindDataBeforeFirstEntry: bytes precede the first local header
	// (a polyglot or self-extracting stub).
	KindDataBeforeFirstEntry AnomalyKind = "data-before-first-entry"
	// KindUnreferencedData: bytes between members, or between the last
	// member and the central directory, that no member accounts for.
	KindUnreferencedData AnomalyKind = "unreferenced-data"
	// KindHiddenMember: a local header at the start of the file, or where
	// the bytes between members (or before the central directory) start,
	// begins a member the central directory does not list. Readers that
	// use the directory never see it, but streaming readers (Java's
	// ZipInputStream, bsdtar reading a pipe) extract it. It is added to
	// Entries with Listed unset, so that it is scanned.
	KindHiddenMember AnomalyKind = "hidden-member"
	// KindTrailingData: bytes after the end record and its comment.
	KindTrailingData AnomalyKind = "trailing-data"
	// KindDuplicateName: two members share a name; readers disagree on
	// which one wins.
	KindDuplicateName AnomalyKind = "duplicate-name"
	// KindUnsafeName: a name that would escape an extraction directory
	// (absolute, "..", backslash, NUL).
	KindUnsafeName AnomalyKind = "unsafe-name"
	// KindTwoDirectories: the end record's offset and size fields point at
	// two different central directories; readers disagree on the members.
	KindTwoDirectories AnomalyKind = "two-central-directories"
	// KindTooManyAnomalies: the list was cut short.
	KindTooManyAnomalies AnomalyKind = "too-many-anomalies"
)

// Anomaly is one structural oddity. Entry names the member concerned, empty
// for the archive as a whole.
type Anomaly struct {
	Kind   AnomalyKind
	Entry  string
	Detail string
}

func (a Anomaly) String() string {
	if a.Entry == "" {
		return string(a.Kind) + ": " + a.Detail
	}
	return string(a.Kind) + " (" + a.Entry + "): " + a.Detail
}
