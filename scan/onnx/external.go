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
	root  string   // dir with symlinks resolved, or "" when dir is ""
	roots []string // further folders links may resolve into, resolved
	byLoc map[string]*extFile
}

// extFile is one distinct location and what is known of it.
type extFile struct {
	tensors int
	where   string // first tensor using it
	at      int64
	escape  string // why the location leaves the folder, or ""
	suspect string // why the location is written to leave the folder, or ""
	missing string // why the file could not be opened, or ""
	notFile bool
	size    int64
	statted bool
}

func newExternals(dir string, roots ...string) *externals {
	e := &externals{dir: dir, byLoc: map[string]*extFile{}}
	if dir != "" {
		e.root = resolved(dir)
		for _, r := range roots {
			e.roots = append(e.roots, resolved(r))
		}
	}
	return e
}

// resolved is a folder with symbolic links resolved, made absolute.
func resolved(dir string) string {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		root = dir
	}
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	return root
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
		f = &extFile{where: t.where, at: t.at, escape: escapes(loc), suspect: suspicious(loc)}
		w.ext.byLoc[loc] = f
	}
	f.tensors++
}

// escapes says why a location leaves the model's folder, or "".
// ortMemoryTag is the location onnxruntime reserves for initializers
// whose data is already in memory (GetExtDataFromTensorProto): the offset
// field is then a raw pointer. No exporter writes it to a file.
const ortMemoryTag = "*/_ORT_MEM_ADDR_/*"

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
	case strings.Contains(loc, ortMemoryTag):
		return "is onnxruntime's in-memory tag " + ortMemoryTag + ": the runtime then reads the tensor from the process address given as its offset, so the model reads (or crashes on) arbitrary memory"
	}
	for _, part := range strings.FieldsFunc(loc, func(r rune) bool { return r == '/' || r == '\\' }) {
		// Windows drops trailing dots and spaces, so "... " climbs like "..".
		if strings.Count(part, ".") >= 2 && strings.Trim(part, ". ") == "" {
			return "climbs out of the model's folder with \"..\""
		}
		if dev := windowsDevice(part); dev != "" {
			return "names the Windows device " + dev + ": on Windows, opening it in any folder opens the device (console, printer, serial port, null), not a file beside the model"
		}
	}
	return ""
}

// windowsDevice returns the reserved DOS device name a path component
// opens on Windows, or "". Win32 maps CON, PRN, AUX, NUL, COM0-9, LPT0-9
// (and COM/LPT with a superscript 1-3), CONIN$ and CONOUT$ to devices in
// every folder, in any case, whatever follows a dot or a colon, and after
// dropping trailing spaces and dots (learn.microsoft.com, "Naming Files,
// Paths, and Namespaces").
func windowsDevice(part string) string {
	base := part
	if i := strings.IndexAny(base, ".:"); i >= 0 {
		base = base[:i]
	}
	base = strings.ToUpper(strings.TrimRight(base, " "))
	switch base {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
		return base
	}
	for _, prefix := range []string{"COM", "LPT"} {
		if rest, ok := strings.CutPrefix(base, prefix); ok && isDeviceDigit(rest) {
			return base
		}
	}
	return ""
}

func isDeviceDigit(s string) bool {
	return (len(s) == 1 && s[0] >= '0' && s[0] <= '9') || s == "¹" || s == "²" || s == "³"
}

// suspicious says why a location that stays in the model's folder as the
// loaders read it is still written to leave it, or "": onnx joins the
// location to the folder verbatim, so "~", "$HOME", "%USERPROFILE%" and
// percent-encoded dots are not expanded, but no exporter writes them, and
// a tool that does expand or decode them reads outside the folder.
func suspicious(loc string) string {
	first, _, more := strings.Cut(strings.ReplaceAll(loc, `\`, "/"), "/")
	if strings.HasPrefix(first, "~") && (first == "~" || more) {
		return "starts with a home-folder \"~\", which a shell or a path-expanding loader turns into a path outside the model's folder"
	}
	for i := 0; i < len(loc); i++ {
		switch loc[i] {
		case '$':
			if i+1 < len(loc) && (loc[i+1] == '{' || loc[i+1] == '(' || loc[i+1] == '_' || isLetter(loc[i+1])) {
				return "holds a shell variable (" + short(loc[i:min(len(loc), i+16)]) + "), which an expanding loader turns into a path outside the model's folder"
			}
		case '%':
			if name, ok := percentVar(loc[i+1:]); ok {
				return "holds a Windows environment variable %" + short(name) + "%, which an expanding loader turns into a path outside the model's folder"
			}
			if i+2 < len(loc) {
				switch strings.ToLower(loc[i+1 : i+3]) {
				case "2e", "2f", "5c", "00", "25":
					return "holds percent-encoded path characters (%" + loc[i+1:i+3] + "), which a decoding loader turns into \"..\", a separator or a NUL"
				}
			}
		}
	}
	return ""
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// percentVar reports whether s starts with NAME% (after a '%'), NAME being
// an environment variable name such as USERPROFILE or ProgramFiles(x86).
func percentVar(s string) (string, bool) {
	end := strings.IndexByte(s, '%')
	if end < 1 || !isLetter(s[0]) && s[0] != '_' {
		return "", false
	}
	for i := 0; i < end; i++ {
		c := s[i]
		if !isLetter(c) && (c < '0' || c > '9') && c != '_' && c != '(' && c != ')' {
			return "", false
		}
	}
	return s[:end], true
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
	for _, root := range append([]string{e.root}, e.roots...) {
		rel, err := filepath.Rel(root, path)
		if err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return ""
		}
	}
	return why
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
		if f.escape == "" && f.suspect != "" {
			w.rep.emit(finding.ExternalDataEscape, finding.High, f.where, f.at, ev,
				"external data location %s (used by %d tensor(s)) %s: the onnx loaders do not, and read the literal name inside the folder, but no exporter writes such a location", q, f.tensors, f.suspect)
		}
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
