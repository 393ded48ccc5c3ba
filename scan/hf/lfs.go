package hf

import (
	"bytes"
	"strconv"
)

// MaxLFSPointer is the Git LFS specification's bound: pointer files are
// smaller than 1024 bytes.
const MaxLFSPointer = 1024

var lfsVersions = [][]byte{
	[]byte("version https://git-lfs.github.com/spec/v1\n"),
	[]byte("version https://hawser.github.com/spec/v1\n"), // pre-release name, still accepted by git-lfs
}

// IsLFSPointer reports whether head is a Git LFS pointer file: what a clone
// made without `git lfs pull` holds in place of the model bytes. Pass the
// whole file when it is smaller than MaxLFSPointer; a longer head is never a
// pointer. Per the specification a pointer is UTF-8 "key value\n" lines,
// "version" first, with an "oid sha256:<64 hex>" and a decimal "size".
func IsLFSPointer(head []byte) bool {
	if len(head) >= MaxLFSPointer || !hasVersionLine(head) {
		return false
	}
	var oid, size bool
	lines := bytes.Split(head, []byte("\n"))
	if len(lines[len(lines)-1]) != 0 {
		return false // every line ends with "\n"
	}
	for _, line := range lines[1 : len(lines)-1] {
		key, val, ok := bytes.Cut(line, []byte(" "))
		if !ok || !validLFSKey(key) || len(val) == 0 {
			return false
		}
		switch string(key) {
		case "oid":
			h, ok := bytes.CutPrefix(val, []byte("sha256:"))
			oid = ok && len(h) == 64 && isLowerHex(string(h))
		case "size":
			n, err := strconv.ParseInt(string(val), 10, 64)
			size = err == nil && n >= 0
		}
	}
	return oid && size
}

func hasVersionLine(head []byte) bool {
	for _, v := range lfsVersions {
		if bytes.HasPrefix(head, v) {
			return true
		}
	}
	return false
}

// validLFSKey: keys are lowercase letters, digits, '.' and '-'.
func validLFSKey(k []byte) bool {
	if len(k) == 0 {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}
