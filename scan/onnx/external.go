package onnx

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/modelward/modelward/finding"
)

// externals collects the side files the model's tensors point at. The
// spec (onnx.proto, TensorProto.external_data) says a location is a POSIX
// path relative to the model's folder; loaders join it to that folder, so
// anything else reads files the model's author chose anywhere on disk.
type externals struct {
	dir   string
	root  string // dir with symlinks resolved, or "" when dir is ""
	byLoc map[string]*extFile
}

// extFile is one distinct location and what is known of it.
type extFile struct {
	tensors int
	where   string // first tensor using it
	at      int64
	escape  string // why the location leaves the folder, or ""
	missing string // why the file could not be opened, or ""
	notFile bool
	size    int64
	statted bool
}

func newExternals(dir string) *externals {
	e := &externals{dir: dir, byLoc: map[string]*extFile{}}
	if dir != "" {
		root, err := filepath.EvalSymlinks(dir)
		if err != nil {
			root = dir
		}
		if abs, err := filepath.Abs(root); err == nil {
			root = abs
		}
		e.root = root
	}
	return e
}

// external checks one tensor's external_data. Every "location" entry is
// checked, not only the last: protobuf merges repeated messages, and a
// scanner must not be the one reader that picks a harmless one.
func (w *walker) external(t *tensor) {
	kv := map[string]extEntry{}
	for _, e := range t.ext {
		kv[e.key] = e
		if e.key == "location" {
			w.useLocation(t, e.value)
		}
	}
	loc, ok := kv["location"]
	if !ok || loc.value == "" {
		w.structureAt(t.where, t.at, "tensor %s is stored externally but names no location", t.label())
		return
	}
	off, length, ok := w.span(t, kv)
	if !ok || t.location != 1 {
		return
	}
	if want, known := t.expectedBytes(); known && length >= 0 && length != want {
		w.rep.emit(finding.StructureInvalid, finding.High, t.where, loc.at, finding.Evidence{Args: []string{loc.value}},
			"tensor %s declares %d bytes of external data but its dims and data type need %d", t.label(), length, want)
	}
	if f := w.ext.byLoc[loc.value]; f != nil {
		w.checkSpan(t, f, loc.value, off, length)
	}
}

// useLocation records a location and checks it without touching the disk.
func (w *walker) useLocation(t *tensor, loc string) {
	f := w.ext.byLoc[loc]
	if f == nil {
		if len(w.ext.byLoc) >= maxDistinct {
			w.limit(t.at, "tensors name more than %d distinct external files; the rest were not inspected", maxDistinct)
			return
		}
		f = &extFile{where: t.where, at: t.at, escape: escapes(loc)}
		w.ext.byLoc[loc] = f
	}
	f.tensors++
}

// escapes says why a location leaves the model's folder, or "".
func escapes(loc string) string {
	switch {
	case strings.ContainsRune(loc, 0):
		return "contains a NUL byte, which cuts the path short in the C and C++ runtimes"
	case strings.HasPrefix(loc, "/"):
		return "is an absolute path"
	case strings.HasPrefix(loc, `\\`) || strings.HasPrefix(loc, "//"):
		return "is a Windows network (UNC) or device path"
	case strings.HasPrefix(loc, `\`):
		return "is an absolute Windows path"
	case len(loc) >= 2 && loc[1] == ':' && (loc[0]|0x20 >= 'a' && loc[0]|0x20 <= 'z'):
		return "names a Windows drive"
	case len(loc) >= 5 && strings.EqualFold(loc[:5], "file:"):
		return "is a file: URL"
	case strings.Contains(loc, "://"):
		return "is a URL"
	}
	for _, part := range strings.FieldsFunc(loc, func(r rune) bool { return r == '/' || r == '\\' }) {
		// Windows drops trailing dots and spaces, so "... " climbs like "..".
		if strings.Count(part, ".") >= 2 && strings.Trim(part, ". ") == "" {
			return "climbs out of the model's folder with \"..\""
		}
	}
	return ""
}

// span parses offset and length ("integer stored as string", onnx.proto).
// length is -1 when absent: the data then runs to the end of the file.
func (w *walker) span(t *tensor, kv map[string]extEntry) (off, length int64, ok bool) {
	off, length = 0, -1
	for _, key := range []string{"offset", "length"} {
		e, present := kv[key]
		if !present {
			continue
		}
		v, err := strconv.ParseInt(e.value, 10, 64)
		if err != nil || v < 0 {
			w.rep.emit(finding.StructureInvalid, finding.High, t.where, e.at, finding.Evidence{Args: []string{e.value}},
				"tensor %s has external-data %s %q, which is not a non-negative 64-bit integer", t.label(), key, short(e.value))
			return 0, 0, false
		}
		if key == "offset" {
			off = v
		} else {
			length = v
		}
	}
	if length > 0 && off > math.MaxInt64-length {
		w.rep.emit(finding.StructureInvalid, finding.High, t.where, t.at, finding.Evidence{},
			"tensor %s has an external-data offset %d and length %d whose sum overflows", t.label(), off, length)
		return 0, 0, false
	}
	return off, length, true
}

// checkSpan checks a tensor's bytes against its side file, when the model
// is on disk and the location stays in its folder.
func (w *walker) checkSpan(t *tensor, f *extFile, loc string, off, length int64) {
	if w.ext.root == "" || f.escape != "" {
		return
	}
	w.ext.stat(f, loc)
	if f.escape != "" || f.missing != "" || f.notFile {
		return
	}
	end := off + max(length, 0)
	if off > f.size || end > f.size {
		w.rep.emit(finding.StructureInvalid, finding.High, t.where, t.at, finding.Evidence{Args: []string{loc}},
			"tensor %s declares external bytes [%d, %d) of %s, past the end of that %d-byte file", t.label(), off, end, short(loc), f.size)
	}
}

// stat opens a side file once, resolving symlinks: a link inside the folder
// that points outside it escapes as surely as "..".
func (e *externals) stat(f *extFile, loc string) {
	if f.statted {
		return
	}
	f.statted = true
	full := filepath.Join(e.dir, filepath.FromSlash(loc))
	real, err := filepath.EvalSymlinks(full)
	if err != nil {
		f.missing = err.Error()
		if target, lerr := os.Readlink(full); lerr == nil {
			f.escape = e.outside(resolveLink(full, target), "is a symlink to "+target+", outside the model's folder")
		}
		return
	}
	if abs, err := filepath.Abs(real); err == nil {
		real = abs
	}
	if f.escape = e.outside(real, "resolves through a symlink to "+real+", outside the model's folder"); f.escape != "" {
		return
	}
	info, err := os.Stat(real)
	switch {
	case err != nil:
		f.missing = err.Error()
	case !info.Mode().IsRegular():
		f.notFile = true
	default:
		f.size = info.Size()
	}
}

func resolveLink(link, target string) string {
	if !filepath.IsAbs(target) {
		target = filepath.Join(filepath.Dir(link), target)
	}
	abs, err := filepath.Abs(target)
	if err != nil {
		return target
	}
	return abs
}

// outside returns why when path is not inside the model's folder.
func (e *externals) outside(path, why string) string {
	rel, err := filepath.Rel(e.root, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return why
	}
	return ""
}

// reportExternal reports each distinct location once, with how many
// tensors use it.
func (w *walker) reportExternal() {
	locs := make([]string, 0, len(w.ext.byLoc))
	for loc := range w.ext.byLoc {
		locs = append(locs, loc)
	}
	sort.Strings(locs)
	for _, loc := range locs {
		f := w.ext.byLoc[loc]
		ev := finding.Evidence{Args: []string{loc}, Detail: fmt.Sprintf("%d tensor(s)", f.tensors)}
		q := strconv.Quote(short(loc))
		switch {
		case f.escape != "":
			w.rep.emit(finding.ExternalDataEscape, finding.Critical, f.where, f.at, ev,
				"external data location %s (used by %d tensor(s)) %s: loading the model reads that file into the tensor, where the model's outputs can leak it", q, f.tensors, f.escape)
		case f.notFile:
			w.rep.emit(finding.StructureInvalid, finding.High, f.where, f.at, ev,
				"external data location %s is not a regular file: a device or pipe can hang or feed the loader", q)
		case f.missing != "":
			w.rep.emit(finding.NotInspected, finding.Medium, f.where, f.at, ev,
				"external data file %s (used by %d tensor(s)) is not beside the model, so its data was not checked: %s", q, f.tensors, f.missing)
		}
	}
}
