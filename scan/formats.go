package scan

import (
	"archive/tar"
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/scan/compress"
	"github.com/modelward/modelward/scan/joblib"
	"github.com/modelward/modelward/scan/keras"
	"github.com/modelward/modelward/scan/npy"
	"github.com/modelward/modelward/scan/pickle"
	"github.com/modelward/modelward/scan/safetensors"
	"github.com/modelward/modelward/scan/zipx"
)

// pickle scans a pickle stream. streams > 0 caps the concatenated streams
// read (legacy PyTorch files hold five, then raw storage bytes).
func (j *job) pickle(r io.Reader, size int64, member []string, depth, streams int, trailingData bool) string {
	fs, _, format := j.runPickle(r, size, member, depth, streams, trailingData, true)
	j.stream(member)
	j.add(fs...)
	return format
}

// inMemory is the largest stream read whole before analysis. In memory the
// pickle package can clear a clean pickle with its fast screen; larger
// streams go through the streaming machine so memory stays bounded.
const inMemory = 16 << 20

// scanPickle reads a stream of up to inMemory bytes whole and scans it in
// memory; a longer one is scanned as a stream, the bytes already read
// first.
func (j *job) scanPickle(r io.Reader, cfg pickle.Config) ([]finding.Finding, *pickle.Result) {
	r = j.budget(r)
	buf, err := io.ReadAll(io.LimitReader(r, inMemory+1))
	if err != nil || len(buf) > inMemory {
		// Too long, or the read failed part way: the streaming machine
		// sees the same bytes and reports where they end.
		return pickle.Scan(io.MultiReader(bytes.NewReader(buf), errReader{err}, r), cfg)
	}
	return pickle.ScanBytes(buf, cfg)
}

// errReader replays a read error after the bytes read before it.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	return 0, io.EOF
}

// probePickle scans a stream that may be a pickle and keeps the result only
// if it is one that does something: it imports a name or completes. A
// stream that breaks before any import runs nothing when loaded.
func (j *job) probePickle(r io.Reader, size int64, member []string, depth int) string {
	// Streamed, not read whole: a probe usually fails within a few bytes,
	// and an arbitrary large file must not be read into memory to find out.
	fs, res, format := j.runPickle(r, size, member, depth, 0, false, false)
	if res.Imports == 0 && res.Streams == 0 {
		return ""
	}
	j.recognised = true
	j.stream(member)
	j.add(fs...)
	return format
}

func (j *job) runPickle(r io.Reader, size int64, member []string, depth, streams int, trailingData, whole bool) ([]finding.Finding, *pickle.Result, string) {
	hook := &joblib.Hook{}
	cfg := pickle.Config{
		Policy:   j.pol,
		Location: j.loc(member, -1),
		Nested:   j.nested(member, depth),
		Options:  pickle.Options{Hook: hook.Build, Streams: streams, TrailingData: trailingData, SizeHint: max(size, 0), KeepBudget: j.keep},
	}
	var fs []finding.Finding
	var res *pickle.Result
	if whole {
		fs, res = j.scanPickle(r, cfg)
	} else {
		fs, res = pickle.Scan(j.budget(r), cfg)
	}
	fs = append(fs, j.externalFiles(hook, member)...)
	if hook.Arrays > 0 || len(hook.External) > 0 {
		return fs, res, "joblib"
	}
	return fs, res, "pickle"
}

// nested scans bytes found inside a pickle as content of their own.
func (j *job) nested(member []string, depth int) pickle.NestedFunc {
	return func(data []byte, where string) []finding.Finding {
		sub := j.sub()
		sub.inspectAt(bytes.NewReader(data), int64(len(data)), child(member, where), depth+1, roleMember)
		j.read = sub.read // nested bytes count against the file's budget too
		j.streams = append(j.streams, sub.streams...)
		return sub.findings
	}
}

func (j *job) zip(r io.ReaderAt, size int64, member []string, depth int) string {
	j.recognised = true
	lim := j.pol.Limits
	a, err := zipx.Open(newBlockCache(r, size), size, zipx.Limits{MaxEntries: lim.MaxArchiveMembers, MaxEntryBytes: lim.MaxDecompressedBytes, MaxRatio: lim.MaxCompressionRatio})
	if err != nil {
		j.archiveError(member, err, "zip archive")
		return "zip"
	}
	format := zipFormat(a.Entries)
	// Keras reads config.json whatever else the archive holds, so the
	// check does not depend on the layout the format name comes from.
	kerasZip := format == "keras" || keras.IsKerasZip(entryNames(a.Entries))
	var links []archiveLink
	seen := map[zipSpan]string{}
	for i := range a.Entries {
		e := &a.Entries[i]
		if j.ctx.Err() != nil {
			break
		}
		if first, dup := seen[spanOf(e)]; dup {
			// Members that share their data (overlapping entries, the
			// trick of non-recursive zip bombs) are read once: their
			// bytes are the same.
			j.anomaly(member, "shared-data", e.Name, fmt.Sprintf("the member %q reads the same data as %q; it was scanned once", e.Name, first))
			continue
		}
		seen[spanOf(e)] = e.Name
		j.checkMemberName(member, "zip", e.Name)
		j.checkDeclaredRatio(member, e)
		if e.LocalName != "" && e.LocalName != e.Name {
			j.checkMemberName(member, "zip", e.LocalName)
		}
		if e.IsDir() {
			if e.CompressedSize == 0 && e.UncompressedSize == 0 {
				continue
			}
			// numpy.load and others read a "directory" entry like any other.
			j.anomaly(member, "directory-with-data", e.Name, fmt.Sprintf("the directory entry %q holds %d bytes; they are scanned", e.Name, e.UncompressedSize))
		}
		if e.IsSymlink() {
			// Extractors make a link of it; zip readers (torch, zipfile)
			// still hand its bytes to loaders, so they are scanned too,
			// by content alone: its name belongs to what it links to.
			if l, ok := j.zipLink(a, e, member); ok {
				links = append(links, l)
			}
			j.zipMember(a, e, member, depth, roleStorage)
			continue
		}
		if kerasZip && pythonZipName(e.Name) == "config.json" {
			j.zipKerasConfig(a, e, member)
			continue
		}
		j.zipMember(a, e, member, depth, memberRole(format, e.Name))
	}
	j.checkLinks(member, "zip", links)
	for _, an := range a.Anomalies() {
		j.anomaly(member, string(an.Kind), an.Entry, an.Detail)
	}
	return format
}

func (j *job) zipMember(a *zipx.Archive, e *zipx.Entry, member []string, depth int, ro role) {
	rc, err := a.Open(e)
	if err != nil {
		j.archiveError(child(member, e.Name), err, "archive member")
		return
	}
	defer rc.Close()
	j.inspectMember(rc, int64(e.UncompressedSize), child(member, e.Name), depth+1, ro)
}

// maxBuffered is the largest member read whole into memory, so that it can
// be inspected with random access: its end checked for a zip (a pickle
// that torch.load reads as an archive once extracted), HDF5 after a user
// block, and so on. Larger members are streamed.
const maxBuffered = 16 << 20

// inspectMember inspects an archive member: small ones whole, as a file is
// inspected, larger ones as a stream. Raw tensor storage is always streamed.
func (j *job) inspectMember(r io.Reader, size int64, member []string, depth int, ro role) string {
	if ro == roleStorage || size < 0 || size > maxBuffered || depth > j.pol.Limits.MaxNesting {
		// Streamed: inspectStream also reports a member nested too deep
		// before anything is read.
		return j.inspectStream(r, size, member, depth, ro)
	}
	b, err := io.ReadAll(io.LimitReader(j.budget(r), maxBuffered+1))
	if err != nil || int64(len(b)) > maxBuffered {
		// Read again as a stream from what was read: the stream path
		// reports errors and limits where they happen.
		return j.inspectStream(io.MultiReader(bytes.NewReader(b), errReader{err}, r), size, member, depth, ro)
	}
	format := j.inspectAt(bytes.NewReader(b), int64(len(b)), member, depth, ro)
	j.polyglotMember(bytes.NewReader(b), int64(len(b)), member, depth, format)
	return format
}

// checkDeclaredRatio reports a member whose declared sizes make it a
// compression bomb for whatever extracts it, though the scan itself may
// read only its head (content of no model format is not read through).
func (j *job) checkDeclaredRatio(member []string, e *zipx.Entry) {
	ratio := j.pol.Limits.MaxCompressionRatio
	if e.CompressedSize == 0 || e.UncompressedSize < 1<<20 || e.UncompressedSize/e.CompressedSize <= uint64(ratio) {
		return
	}
	j.add(finding.New(finding.ArchiveBomb, j.loc(child(member, e.Name), -1),
		fmt.Sprintf("zip member %q declares %d bytes from %d compressed bytes, more than %d times: extracting it floods the disk or memory", e.Name, e.UncompressedSize, e.CompressedSize, ratio),
		finding.Evidence{Detail: fmt.Sprintf("%d/%d", e.UncompressedSize, e.CompressedSize)}))
}

// zipSpan identifies a member's data as a reader decodes it.
type zipSpan struct {
	offset           int64
	method           uint16
	compressed, size uint64
}

func spanOf(e *zipx.Entry) zipSpan {
	return zipSpan{e.HeaderOffset, e.Method, e.CompressedSize, e.UncompressedSize}
}

// zipLink reads a symbolic link member, whose data is its target.
func (j *job) zipLink(a *zipx.Archive, e *zipx.Entry, member []string) (archiveLink, bool) {
	rc, err := a.Open(e)
	if err != nil {
		j.archiveError(child(member, e.Name), err, "archive member")
		return archiveLink{}, false
	}
	defer rc.Close()
	target, err := io.ReadAll(io.LimitReader(rc, maxLinkTarget))
	if err != nil {
		j.archiveError(child(member, e.Name), err, "archive member")
		return archiveLink{}, false
	}
	return archiveLink{name: e.Name, target: string(target)}, true
}

// pythonZipName is a member name as Python's zipfile gives it to Keras
// and other loaders: cut at the first NUL.
func pythonZipName(name string) string {
	if i := strings.IndexByte(name, 0); i >= 0 {
		return name[:i]
	}
	return name
}

func entryNames(es []zipx.Entry) []string {
	names := make([]string, len(es))
	for i := range es {
		names[i] = pythonZipName(es[i].Name)
	}
	return names
}

func (j *job) zipKerasConfig(a *zipx.Archive, e *zipx.Entry, member []string) {
	rc, err := a.Open(e)
	if err != nil {
		j.archiveError(child(member, e.Name), err, "archive member")
		return
	}
	defer rc.Close()
	j.kerasConfig(rc, child(member, e.Name))
}

// maxLinkTarget bounds a link target read from member data (PATH_MAX).
const maxLinkTarget = 4096

// memberRole tells a member's role from the archive's layout and the
// member's name: PyTorch keeps tensor storage under <archive>/data/, and
// loaders unpickle members by name.
func memberRole(format, name string) role {
	if (format == "pytorch-zip" || format == "torchscript") && strings.Contains(name, "/data/") {
		return roleStorage
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".pkl", ".pickle", ".joblib", ".pt", ".pth", ".bin", ".ckpt":
		return roleLoaded
	}
	return roleMember
}

// zipFormat names what a zip holds, by its layout.
func zipFormat(es []zipx.Entry) string {
	npz := len(es) > 0
	for _, e := range es {
		base := path.Base(e.Name)
		switch {
		case base == "constants.pkl" || strings.Contains(e.Name, "/code/") || strings.HasPrefix(e.Name, "code/"):
			return "torchscript"
		case base == "data.pkl":
			return "pytorch-zip"
		}
		npz = npz && strings.HasSuffix(e.Name, ".npy")
	}
	if npz {
		return "npz"
	}
	// A root config.json alone is also a zipped Hugging Face repository:
	// the name "keras" needs Keras's own metadata or weights file.
	names := entryNames(es)
	if keras.IsKerasZip(names) && slices.ContainsFunc(names, func(n string) bool {
		return n == "metadata.json" || n == "model.weights.h5" || n == "model.weights.npz"
	}) {
		return "keras"
	}
	return "zip"
}

func (j *job) anomaly(member []string, kind, entry, detail string) {
	loc := j.loc(member, -1)
	if entry != "" {
		loc = j.loc(child(member, entry), -1)
	}
	rule := finding.ArchiveAnomaly
	if kind == string(zipx.KindNameMismatch) {
		rule = finding.ArchiveNameMismatch
	}
	f := finding.New(rule, loc, fmt.Sprintf("zip %s: %s", kind, detail), finding.Evidence{Detail: kind})
	if kind == string(zipx.KindTwoDirectories) || kind == string(zipx.KindHiddenMember) {
		// Readers disagree on which members exist (streaming readers
		// extract members the central directory does not list): as
		// serious as a name that differs between headers.
		f.Severity = finding.Medium
	}
	j.add(f)
}

// archiveError turns a container error into a finding: encrypted or
// unsupported content is "not inspected", a limit is a limit, anything else
// means the container could not be read.
func (j *job) archiveError(member []string, err error, what string) {
	loc := j.loc(member, -1)
	switch {
	case errors.Is(err, zipx.ErrEncrypted) || errors.Is(err, sevenZipEncrypted):
		j.add(finding.New(finding.NotInspected, loc, what+" is encrypted: not inspected; decrypt it and scan the contents", finding.Evidence{Detail: err.Error()}))
	case errors.Is(err, zipx.ErrUnsupportedMethod) || errors.Is(err, compress.ErrUnsupported) || errors.Is(err, sevenZipUnsupported):
		j.add(finding.New(finding.NotInspected, loc, what+" uses a compression method modelward cannot read: not inspected", finding.Evidence{Detail: err.Error()}))
	case errors.Is(err, zipx.ErrRatio) || errors.Is(err, compress.ErrRatio):
		j.add(finding.New(finding.ArchiveBomb, loc, what+": "+err.Error()+"; the rest was not inspected", finding.Evidence{}))
	case errors.Is(err, zipx.ErrLimit) || errors.Is(err, compress.ErrLimit) || errors.Is(err, errTotalBytes) || errors.Is(err, sevenZipLimit):
		j.add(finding.New(finding.LimitReached, loc, what+": "+err.Error(), finding.Evidence{}))
	default:
		j.add(finding.New(finding.NotInspected, loc, what+" cannot be read: "+err.Error(), finding.Evidence{}))
	}
}

func (j *job) tar(r io.Reader, member []string, depth int) string {
	j.recognised = true
	tr := tar.NewReader(j.budget(r))
	format := "tar"
	var links []archiveLink
	defer func() { j.checkLinks(member, "tar", links) }()
	for n := 0; ; n++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			j.archiveError(member, err, "tar archive")
			break
		}
		if n >= j.pol.Limits.MaxArchiveMembers {
			j.add(finding.New(finding.LimitReached, j.loc(member, -1),
				fmt.Sprintf("more than %d archive members (max_archive_members): the rest was not inspected", n), finding.Evidence{}))
			break
		}
		name := h.Name
		j.checkMemberName(member, "tar", name)
		switch name {
		case "pickle", "sys_info":
			format = "pytorch-tar"
		}
		if h.Typeflag == tar.TypeSymlink || h.Typeflag == tar.TypeLink {
			links = append(links, archiveLink{name: h.Name, target: h.Linkname, hard: h.Typeflag == tar.TypeLink})
		}
		if !j.tarEntry(h, member) {
			continue
		}
		switch name {
		case "storages", "tensors":
			// The legacy tar format interleaves pickles with raw bytes. A
			// member of that name that cannot begin with a pickle is some
			// other file and is inspected as one.
			br := bufio.NewReader(tr)
			if head, _ := br.Peek(1); len(head) == 1 && pickle.OpName(head[0]) != "" {
				j.recognised = true
				j.torchTarMember(br, h, child(member, name), depth)
			} else {
				j.inspectStream(br, h.Size, child(member, name), depth+1, roleMember)
			}
		case "pickle", "sys_info":
			j.inspectMember(tr, h.Size, child(member, name), depth+1, roleLoaded)
		default:
			j.inspectMember(tr, h.Size, child(member, name), depth+1, memberRole("", name))
		}
	}
	return format
}

// torchTarNames are the members legacy torch.load opens by name.
var torchTarNames = map[string]bool{"pickle": true, "sys_info": true, "storages": true, "tensors": true}

// tarEntry says whether a member holds data to inspect. Python's tarfile,
// which legacy torch.load uses, reads every type that is not a directory,
// link or device as a regular file (contiguous files, unknown types), so
// those are inspected too. A link standing where torch opens a member by
// name makes torch read whatever the link points to.
func (j *job) tarEntry(h *tar.Header, member []string) bool {
	switch h.Typeflag {
	case tar.TypeDir, tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		return false
	case tar.TypeSymlink, tar.TypeLink:
		if torchTarNames[h.Name] {
			j.add(finding.New(finding.ExternalLoad, j.loc(child(member, h.Name), -1),
				fmt.Sprintf("the legacy PyTorch member %q is a link to %q: torch.load unpickles whatever it points to", h.Name, h.Linkname),
				finding.Evidence{Detail: h.Linkname}))
		}
		return false
	}
	return true
}

// torchTarMember follows the layout legacy torch.load reads from the
// storages and tensors members: a pickled count, then per item a pickled
// tuple of arguments followed by raw bytes whose length the arguments and a
// binary header give. Every pickle is scanned; a layout that cannot be
// followed is reported, never skipped.
func (j *job) torchTarMember(r io.Reader, h *tar.Header, member []string, depth int) {
	if h.Size > inMemory*4 {
		j.add(finding.New(finding.LimitReached, j.loc(member, -1),
			fmt.Sprintf("legacy PyTorch member of %d bytes is too large to follow: not inspected", h.Size), finding.Evidence{}))
		return
	}
	b, err := io.ReadAll(io.LimitReader(j.budget(r), h.Size))
	if err != nil {
		j.archiveError(member, err, "tar member")
		return
	}
	j.stream(member)
	pos, err := j.followTorchTar(b, path.Base(member[len(member)-1]), member, depth)
	if err != nil {
		j.add(finding.New(finding.PickleMalformed, j.loc(member, pos),
			fmt.Sprintf("legacy PyTorch %s layout cannot be followed: %v; the rest was not inspected", member[len(member)-1], err), finding.Evidence{}))
	}
}

func (j *job) followTorchTar(b []byte, name string, member []string, depth int) (int64, error) {
	var pos int64
	next := func() (pickle.Value, error) {
		cfg := pickle.Config{Policy: j.pol, Location: j.loc(child(member, fmt.Sprintf("<pickle@%d>", pos)), -1),
			Nested: j.nested(member, depth), Options: pickle.Options{Streams: 1, TrailingData: true, KeepBudget: j.keep}}
		fs, res := pickle.Scan(bytes.NewReader(b[pos:]), cfg)
		j.add(fs...)
		if res.Streams != 1 {
			return pickle.Value{}, errors.New("a pickle does not end")
		}
		pos += res.Bytes
		return res.Value, nil
	}
	count, err := next()
	if err != nil {
		return pos, err
	}
	if count.K != pickle.KInt || count.I < 0 || count.I > int64(len(b)) {
		return pos, fmt.Errorf("the item count is %s", count)
	}
	for i := int64(0); i < count.I; i++ {
		args, err := next()
		if err != nil {
			return pos, err
		}
		n, err := torchTarSkip(name, args, b[pos:])
		if err != nil {
			return pos, err
		}
		pos += n
	}
	return pos, nil
}

// elementSizes are the item sizes of the legacy storage classes.
var elementSizes = map[string]int64{"DoubleStorage": 8, "FloatStorage": 4, "HalfStorage": 2, "LongStorage": 8,
	"IntStorage": 4, "ShortStorage": 2, "CharStorage": 1, "ByteStorage": 1, "BoolStorage": 1, "BFloat16Storage": 2,
	"ComplexDoubleStorage": 16, "ComplexFloatStorage": 8, "QUInt8Storage": 1, "QInt8Storage": 1, "QInt32Storage": 4,
	"QUInt4x2Storage": 1, "QUInt2x4Storage": 1}

// torchTarSkip returns how many raw bytes follow an item's argument pickle.
func torchTarSkip(name string, args pickle.Value, rest []byte) (int64, error) {
	if args.K != pickle.KTuple || args.O == nil || len(args.O.Items) != 3 {
		return 0, fmt.Errorf("item arguments are %s, not a 3-tuple", args)
	}
	if name == "storages" {
		cls := args.O.Items[2].GlobalName()
		size, ok := elementSizes[cls[strings.LastIndexByte(cls, '.')+1:]]
		if !ok || len(rest) < 8 {
			return 0, fmt.Errorf("storage type %s has no known element size", args.O.Items[2])
		}
		numel := int64(binary.LittleEndian.Uint64(rest))
		if numel < 0 || numel > int64(len(rest)-8)/size {
			return 0, fmt.Errorf("storage of %d elements runs past the member", numel)
		}
		return 8 + numel*size, nil
	}
	if len(rest) < 8 {
		return 0, errors.New("tensor header runs past the member")
	}
	ndim := int64(int32(binary.LittleEndian.Uint32(rest)))
	n := 8 + 16*ndim + 8
	if ndim < 0 || n > int64(len(rest)) {
		return 0, fmt.Errorf("tensor of %d dimensions runs past the member", ndim)
	}
	return n, nil
}

// compressed inspects what a compressed stream holds. Inside an archive a
// stream must first decompress cleanly for a while (probeSize bytes, or to
// its end) before it counts as compressed: raw tensor bytes can begin with
// a valid zlib header by chance.
func (j *job) compressed(r io.Reader, size int64, m compress.Method, member []string, depth int, ro role) string {
	top := ro == roleFile
	lim := j.pol.Limits
	dr, err := compress.NewReader(m, r, size, compress.Limits{MaxBytes: lim.MaxDecompressedBytes, MaxRatio: lim.MaxCompressionRatio})
	if err != nil {
		// zlib's two-byte header turns up in raw data by chance; the other
		// formats' magic numbers do not, so a member that has one and
		// cannot be read is reported rather than passed over.
		if top || (m != compress.Zlib && ro != roleStorage) {
			j.recognised = true
			j.archiveError(member, err, string(m)+" stream")
		}
		return string(m)
	}
	defer dr.Close()
	br := bufio.NewReaderSize(dr, probeSize)
	head, err := br.Peek(probeSize)
	head = append([]byte(nil), head...)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) && !top &&
		(m == compress.Zlib || ro == roleStorage) {
		return "data"
	}
	j.recognised = true
	// A compressed file is read whole by its loader (joblib, gzip.open).
	inner := ro
	if top {
		inner = roleLoaded
	}
	trap := &errTrap{r: br, j: j, member: member, what: string(m) + " stream"}
	format := j.inspectStream(trap, -1, member, depth+1, inner)
	if format == "unknown" {
		// Nothing read the content past its head. Read on a little so a
		// compression bomb shows itself: a stream still going after
		// bombProbe bytes that has expanded bombRatio times the input it
		// consumed is one, whatever it would reach at its end.
		limit := min(bombProbe, *j.probe)
		n, _ := io.Copy(io.Discard, io.LimitReader(trap, limit))
		*j.probe -= n
		if c, ok := dr.(interface{ Counts() (int64, int64) }); ok && n == bombProbe && !trap.done {
			in, out := c.Counts()
			if in > 0 && out/in >= bombRatio {
				j.add(finding.New(finding.ArchiveBomb, j.loc(member, -1),
					fmt.Sprintf("%s stream expands %d times (%d bytes from the first %d compressed bytes) and was not read to its end", m, out/in, out, in),
					finding.Evidence{}))
			}
		}
		if top {
			j.recognised = false
			j.unrecognised(head)
		}
	}
	return string(m) + "/" + format
}

const probeSize = 4096

// bombProbe is how much unrecognised decompressed content is read to let
// the ratio check see a bomb; bombRatio is the ratio past which a stream
// still going at that point is reported as one. Real data compresses a
// few times, zeros and other bomb fillings hundreds to millions of times.
const (
	bombProbe = 64 << 20
	bombRatio = 200
	maxProbe  = 4 * bombProbe // for all of a file's members together
)

// errTrap reports decompression errors (limits, corrupt data) that the
// inner analyser would otherwise see only as a truncated stream.
type errTrap struct {
	r      io.Reader
	j      *job
	member []string
	what   string
	done   bool
}

func (t *errTrap) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && !t.done {
		t.done = true
		t.j.archiveError(t.member, err, t.what)
	}
	return n, err
}

func (j *job) npy(r io.Reader, member []string, depth int) string {
	j.recognised = true
	br := bufio.NewReader(r)
	h, err := npy.ParseHeader(br, npy.Limits{})
	if err != nil {
		j.add(finding.New(finding.PickleMalformed, j.loc(member, 0), "NumPy header cannot be read: "+err.Error(), finding.Evidence{}))
		return "npy"
	}
	j.stream(member)
	if !h.HasObject {
		return "npy"
	}
	j.add(finding.New(finding.ObjectArray, j.loc(member, h.DataOffset),
		fmt.Sprintf("array of Python objects (dtype %s, shape %v): its pickle payload is scanned", h.Descr, h.Shape), finding.Evidence{}))
	j.streams = j.streams[:len(j.streams)-1]
	j.pickle(br, -1, child(member, fmt.Sprintf("<object pickle@%d>", h.DataOffset)), depth, 1, false)
	return "npy"
}

// externalFiles reports the files an old joblib dump makes joblib load with
// numpy.load(allow_pickle=True). A name that is absolute or climbs out of
// the dump's folder reaches any file on the machine; a plain name next to
// the dump is scanned here, as part of this file.
func (j *job) externalFiles(h *joblib.Hook, member []string) []finding.Finding {
	var out []finding.Finding
	for _, ext := range h.External {
		loc := j.loc(member, ext.Offset)
		clean := filepath.Clean(filepath.FromSlash(ext.Name))
		if filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) || strings.ContainsRune(ext.Name, 0) {
			out = append(out, finding.New(finding.ExternalLoad, loc,
				fmt.Sprintf("joblib loads %q, outside the model's folder, with numpy.load(allow_pickle=True)", ext.Name),
				finding.Evidence{Detail: ext.Name}))
			continue
		}
		out = append(out, finding.New(finding.ExternalLoad, loc,
			fmt.Sprintf("joblib loads the side file %q with numpy.load(allow_pickle=True); it is scanned with this file", ext.Name),
			finding.Evidence{Detail: ext.Name}))
		out[len(out)-1].Severity = finding.Info
		switch {
		case len(member) == 0 && j.dir != "":
			out = append(out, j.sideFile(filepath.Join(j.dir, clean), ext.Name)...)
		case len(member) == 0:
			out = append(out, finding.New(finding.NotInspected, j.loc([]string{ext.Name}, -1),
				fmt.Sprintf("joblib side file %q was not fetched with the dump: not inspected; scan the folder it is in", ext.Name), finding.Evidence{}))
		}
	}
	return out
}

// sideFile scans a file next to the dump, if it is a regular file. A link
// is followed only into the dump's folder or the target's roots (a hub
// cache's blobs/).
func (j *job) sideFile(path, name string) []finding.Finding {
	real, err := filepath.EvalSymlinks(path)
	var info os.FileInfo
	if err == nil {
		info, err = os.Stat(real)
	}
	if err != nil || !info.Mode().IsRegular() || !j.within(real) {
		return []finding.Finding{finding.New(finding.NotInspected, j.loc([]string{name}, -1),
			fmt.Sprintf("joblib side file %q is missing, not a regular file, or a link out of the model's folder: not inspected", name), finding.Evidence{})}
	}
	path = real
	fh, err := os.Open(path)
	if err != nil {
		return []finding.Finding{finding.New(finding.NotInspected, j.loc([]string{name}, -1), "cannot read side file: "+err.Error(), finding.Evidence{})}
	}
	defer fh.Close()
	sub := newJob(j.ctx, j.pol, j.path, j.dir)
	sub.keep = j.keep
	sub.inspectAt(ctxReaderAt{j.ctx, fh}, info.Size(), []string{name}, 1, roleLoaded)
	return sub.findings
}

// safetensors checks a safetensors header; the tensor bytes are never read.
func (j *job) safetensors(r io.Reader, size int64, member []string) string {
	j.recognised = true
	j.stream(member)
	h, err := safetensors.Read(r, size)
	if err != nil {
		j.add(finding.New(finding.SafetensorsInvalid, j.loc(member, 0), err.Error()+": the header could not be read", finding.Evidence{}))
		return "safetensors"
	}
	for _, p := range h.Problems {
		rule := map[safetensors.ProblemKind]string{safetensors.Malformed: finding.SafetensorsInvalid,
			safetensors.Span: finding.SafetensorsSpan, safetensors.Metadata: finding.MetadataInjection}[p.Kind]
		loc := j.loc(member, 8)
		j.add(finding.New(rule, loc, "safetensors: "+p.Detail, finding.Evidence{Detail: p.Tensor}))
	}
	return "safetensors"
}

// within reports whether a resolved path lies in the target's folder or
// one of its roots.
func (j *job) within(real string) bool {
	for _, root := range append([]string{j.dir}, j.roots...) {
		r, err := filepath.EvalSymlinks(root)
		if err != nil {
			continue
		}
		r, _ = filepath.Abs(r)
		p, _ := filepath.Abs(real)
		if rel, err := filepath.Rel(r, p); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return true
		}
	}
	return false
}
