package scan

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/policy"
	"github.com/modelward/modelward/scan/hdf5"
	"github.com/modelward/modelward/scan/hf"
	"github.com/modelward/modelward/scan/zipx"
)

// job is the state of scanning one file: its findings, the streams it
// inspected and the byte budget shared by every member and nested stream.
type job struct {
	ctx        context.Context
	pol        *policy.Policy
	path       string   // as shown in findings
	dir        string   // the folder side files are read from; "" when there is none (remote files)
	roots      []string // further folders side files may resolve into (a hub cache's blobs/)
	findings   []finding.Finding
	streams    []string
	recognised bool
	read       int64 // bytes read from decompressed and member streams
	// keep is the budget of byte-string bytes kept for nested analysis,
	// shared by every pickle of the file, nested ones included.
	keep *int64
	// probe is the budget of decompressed bytes read past unrecognised
	// content to find bombs, shared by every member of the file.
	probe *int64
	// dropped counts findings past maxFindings, which are not kept.
	dropped *int
}

// maxFindings caps the findings one file keeps: a crafted archive can
// make millions of members that each earn one, and memory must not follow.
const maxFindings = 10000

func newJob(ctx context.Context, pol *policy.Policy, path, dir string) *job {
	keep, probe, dropped := pol.Limits.MaxNestedBytes, int64(maxProbe), 0
	return &job{ctx: ctx, pol: pol, path: path, dir: dir, keep: &keep, probe: &probe, dropped: &dropped}
}

// sub returns a job for content found inside this one (nested bytes, side
// files) that shares its budgets.
func (j *job) sub() *job {
	s := newJob(j.ctx, j.pol, j.path, j.dir)
	s.read, s.keep, s.roots, s.probe, s.dropped = j.read, j.keep, j.roots, j.probe, j.dropped
	return s
}

// name is the file or member name a stream goes by, which is how loaders
// pick formats that have no magic number (saved_model.pb, model.onnx).
func (j *job) name(member []string) string {
	if len(member) > 0 {
		return path.Base(member[len(member)-1])
	}
	return path.Base(filepath.ToSlash(j.path))
}

func (j *job) add(fs ...finding.Finding) {
	room := maxFindings - len(j.findings)
	if len(fs) > room {
		*j.dropped += len(fs) - max(room, 0)
		fs = fs[:max(room, 0)]
	}
	j.findings = append(j.findings, fs...)
}

// finish closes a file's findings: the count of those dropped at the cap.
func (j *job) finish() {
	if *j.dropped > 0 {
		j.findings = append(j.findings, finding.New(finding.LimitReached, j.loc(nil, -1),
			fmt.Sprintf("%d more findings were not kept (at most %d per file): the file is crafted to flood the report", *j.dropped, maxFindings),
			finding.Evidence{}))
	}
}

func (j *job) loc(member []string, off int64) finding.Location {
	return finding.Location{Path: j.path, Member: append([]string(nil), member...), Offset: off}
}

func (j *job) stream(member []string) {
	name := strings.Join(member, "!/")
	if name == "" {
		name = "(whole file)"
	}
	j.streams = append(j.streams, name)
}

func child(member []string, name string) []string {
	return append(append([]string(nil), member...), name)
}

// inspectAt inspects random-access content: archives are read in place,
// everything else as a stream.
func (j *job) inspectAt(r io.ReaderAt, size int64, member []string, depth int, ro role) string {
	head := make([]byte, min(size, headSize))
	n, err := r.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		j.add(finding.New(finding.NotInspected, j.loc(member, 0), "cannot read: "+err.Error(), finding.Evidence{}))
		return "unreadable"
	}
	head = head[:n]
	if kind := executable(head, ro); kind != "" {
		// Programs first: a name that promises a template or a protobuf
		// must not make an ELF file pass as one. A program with a zip at
		// its end is a self-extracting archive: both are read.
		j.recognised = true
		j.reportExecutable(member, kind, ro)
		if ro == roleFile {
			j.polyglotZip(r, size, "executable")
		}
		return "executable"
	}
	k, _ := j.detectNamed(head, member, ro)
	// An HDF5 superblock after a user block: h5py finds it whatever the
	// user block holds.
	var userBlock bool
	if k != kindHDF5 && ro != roleStorage {
		userBlock = j.hasUserBlock(k, r, size, head, member)
		if userBlock && k == kindUnknown {
			k, userBlock = kindHDF5, false
		}
	}
	format := j.inspectKind(k, r, size, member, depth, ro)
	if userBlock {
		j.userBlockHDF5(format, r, size, member)
		if format == "unknown" {
			format = "hdf5"
		}
	}
	if ro == roleFile && k != kindZip {
		j.polyglotZip(r, size, format)
	}
	return format
}

// inspectKind hands random-access content to the analyser of its kind.
func (j *job) inspectKind(k kind, r io.ReaderAt, size int64, member []string, depth int, ro role) string {
	switch {
	case k == kindZip:
		return j.zip(r, size, member, depth)
	case k == kindSevenZip:
		return j.sevenZip(r, size, member, depth)
	case randomAccessKind(k):
		return j.randomAccess(k, r, size, member)
	}
	return j.inspectStream(io.NewSectionReader(r, 0, size), size, member, depth, ro)
}

// hasUserBlock looks for an HDF5 superblock after a user block. Offsets
// within the head cost nothing; the search further into the file (up to
// one read per doubling of the size) is made where h5py would be the
// loader: content of no other format, or an HDF5 or Keras name. Remote
// files pay a request per read, so a safetensors or GGUF file is not
// searched end to end.
func (j *job) hasUserBlock(k kind, r io.ReaderAt, size int64, head []byte, member []string) bool {
	if hdf5UserBlock(head) {
		return true
	}
	switch strings.ToLower(path.Ext(j.name(member))) {
	case ".h5", ".hdf5", ".hdf", ".he5", ".keras":
	default:
		if k != kindUnknown {
			return false
		}
	}
	off, ok := hdf5.Offset(r, size)
	return ok && off > 0
}

// userBlockHDF5 scans the HDF5 part of a file whose user block holds
// something else too. When that something is a format (a pickle, say),
// the file is a polyglot: loaders that look at the start see it, h5py and
// Keras see the HDF5 file.
func (j *job) userBlockHDF5(format string, r io.ReaderAt, size int64, member []string) {
	if format != "unknown" {
		j.add(finding.New(finding.Polyglot, j.loc(member, -1),
			fmt.Sprintf("the file is %s at its start and an HDF5 file after a user block: h5py and Keras read the HDF5 part, other loaders the start; both were scanned", format),
			finding.Evidence{Detail: format + "+hdf5"}))
	}
	j.randomAccess(kindHDF5, r, size, member)
}

// polyglotZip looks for a zip at the end of a file that is something else
// at its start. Zip readers find an archive by its end record, other
// readers look at the first bytes: a file that is both (a pickle that is
// also a PyTorch archive, say) shows each loader a different model.
// polyglotMember is polyglotZip for an archive member read whole.
func (j *job) polyglotMember(r io.ReaderAt, size int64, member []string, depth int, format string) {
	if format == "zip" || format == "pytorch-zip" || format == "torchscript" || format == "npz" || format == "keras" {
		return
	}
	j.polyglotZipAt(r, size, member, depth, format)
}

func (j *job) polyglotZip(r io.ReaderAt, size int64, format string) {
	j.polyglotZipAt(r, size, nil, 0, format)
}

func (j *job) polyglotZipAt(r io.ReaderAt, size int64, member []string, depth int, format string) {
	tail := make([]byte, min(size, 22+65535))
	if _, err := r.ReadAt(tail, size-int64(len(tail))); err != nil && !errors.Is(err, io.EOF) {
		// The end of the file, where a zip reader looks, is unread: the
		// scan cannot say there is no archive there.
		j.add(finding.New(finding.NotInspected, j.loc(member, -1), "the end of the file cannot be read to look for a zip archive there: "+err.Error(), finding.Evidence{}))
		return
	}
	if !bytes.Contains(tail, []byte("PK\x05\x06")) {
		return
	}
	a, err := zipx.Open(r, size, zipx.Limits{MaxEntries: j.pol.Limits.MaxArchiveMembers})
	if err != nil && !errors.Is(err, zipx.ErrNotZip) {
		// A zip is there but could not be listed (too many members, a
		// read error): it is reported, never passed over.
		j.archiveError(child(member, "<as zip>"), err, "zip archive at the end of the file")
		return
	}
	if err != nil || len(a.Entries) == 0 {
		return
	}
	j.add(finding.New(finding.Polyglot, j.loc(member, -1),
		fmt.Sprintf("the content is %s at its start and a zip archive of %d members at its end: loaders that look at each end see different content; both were scanned", format, len(a.Entries)),
		finding.Evidence{Detail: format + "+zip"}))
	j.zip(r, size, child(member, "<as zip>"), depth+1)
}

// inspectStream inspects sequential content. size is -1 when unknown.
func (j *job) inspectStream(r io.Reader, size int64, member []string, depth int, ro role) string {
	if depth > j.pol.Limits.MaxNesting {
		j.add(finding.New(finding.LimitReached, j.loc(member, -1),
			fmt.Sprintf("nested more than %d levels deep (max_nesting): not inspected", j.pol.Limits.MaxNesting), finding.Evidence{}))
		return "nested"
	}
	br := getReader(r)
	defer readers.Put(br)
	head, err := br.Peek(headSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		j.add(finding.New(finding.NotInspected, j.loc(member, 0), "cannot read: "+err.Error(), finding.Evidence{}))
		return "unreadable"
	}
	if kind := executable(head, ro); kind != "" {
		j.recognised = true
		j.reportExecutable(member, kind, ro)
		return "executable"
	}
	k, method := j.detectNamed(head, member, ro)
	switch {
	case randomAccessKind(k):
		return j.spool(br, member, depth)
	case k == kindTokenizerConfig || k == kindTemplate || k == kindHFConfig || k == kindJSON:
		return j.document(k, br, member)
	}
	switch k {
	case kindTar:
		return j.tar(br, member, depth)
	case kindCompressed:
		return j.compressed(br, size, method, member, depth, ro)
	case kindNPY:
		return j.npy(br, member, depth)
	case kindSafetensors:
		return j.safetensors(br, size, member)
	case kindTorchLegacy:
		j.recognised = true
		j.pickle(br, size, member, depth, 5, true)
		return "pytorch-legacy"
	case kindPickle:
		j.recognised = true
		return j.pickle(br, size, member, depth, 0, false)
	case kindMaybePickle:
		if format := j.probePickle(br, size, member, depth); format != "" {
			return format
		}
	}
	if ro == roleFile && hf.IsLFSPointer(head) {
		// A clone without `git lfs pull`: the model's bytes are not here.
		f := finding.New(finding.NotInspected, j.loc(member, -1),
			"the file is a Git LFS pointer: the model it stands for was never downloaded, so it was not inspected; run `git lfs pull` and scan again",
			finding.Evidence{Detail: "git-lfs pointer"})
		f.Severity = finding.Medium
		j.recognised = true
		j.add(f)
		return "git-lfs-pointer"
	}
	if ro == roleFile {
		j.unrecognised(head)
	}
	return "unknown"
}

// readers recycles the head buffers of streams: a PyTorch archive has a
// member per tensor, and a fresh 4 KiB buffer for each was most of the
// garbage a large checkpoint made.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, headSize) }}

func getReader(r io.Reader) *bufio.Reader {
	br := readers.Get().(*bufio.Reader)
	br.Reset(r)
	return br
}

// modelExtensions are file endings that promise a model format.
var modelExtensions = map[string]bool{".pt": true, ".pth": true, ".bin": true, ".pkl": true, ".pickle": true,
	".joblib": true, ".npy": true, ".npz": true, ".ckpt": true, ".dat": true, ".model": true, ".sav": true}

func (j *job) unrecognised(head []byte) {
	what := "content"
	if len(head) == 0 {
		what = "an empty file"
	}
	j.add(finding.New(finding.FormatUnknown, j.loc(nil, -1), fmt.Sprintf("%s is not a recognised model format; nothing was analysed", what), finding.Evidence{}))
	if ext := strings.ToLower(filepath.Ext(j.path)); modelExtensions[ext] {
		j.add(finding.New(finding.FormatMismatch, j.loc(nil, -1),
			fmt.Sprintf("the %s extension promises a model, but the content is not a format modelward recognises", ext), finding.Evidence{}))
	}
}

// budget counts every byte read from inner streams against max_total_bytes.
func (j *job) budget(r io.Reader) io.Reader { return &budgetReader{j: j, r: r} }

var errTotalBytes = errors.New("max_total_bytes reached")

type budgetReader struct {
	j *job
	r io.Reader
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if err := b.j.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := b.r.Read(p)
	b.j.read += int64(n)
	if b.j.read > b.j.pol.Limits.MaxTotalBytes {
		return n, fmt.Errorf("%w (%d bytes)", errTotalBytes, b.j.pol.Limits.MaxTotalBytes)
	}
	return n, err
}

// spool copies a stream that needs random access (a zip or 7z inside a
// compressed stream or another archive) to a temporary file, bounded by the
// decompression limit.
func (j *job) spool(r io.Reader, member []string, depth int) string {
	tmp, err := os.CreateTemp("", "modelward-*")
	if err != nil {
		j.add(finding.New(finding.NotInspected, j.loc(member, -1), "cannot create a temporary file to inspect a nested archive: "+err.Error(), finding.Evidence{}))
		return "archive"
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	limit := min(j.pol.Limits.MaxSpoolBytes, j.pol.Limits.MaxDecompressedBytes)
	n, err := io.Copy(tmp, io.LimitReader(j.budget(r), limit+1))
	if err != nil {
		j.add(finding.New(finding.NotInspected, j.loc(member, -1), "cannot read nested archive: "+err.Error(), finding.Evidence{}))
		return "archive"
	}
	if n > limit {
		j.add(finding.New(finding.LimitReached, j.loc(member, -1),
			fmt.Sprintf("nested archive larger than max_spool_bytes (%d), the most copied to disk to read it: not inspected", limit), finding.Evidence{}))
		return "archive"
	}
	return j.inspectAt(ctxReaderAt{j.ctx, tmp}, n, member, depth, roleMember)
}

// ctxReaderAt stops reads once the scan's context is done, which is how a
// per-file timeout reaches parsers that know nothing of contexts.
type ctxReaderAt struct {
	ctx context.Context
	r   io.ReaderAt
}

func (c ctxReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.ReadAt(p, off)
}
