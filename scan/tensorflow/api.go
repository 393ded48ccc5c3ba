package tensorflow

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/modelward/modelward/finding"
)

// DefaultMaxBytes is the largest protobuf read whole when Config.MaxBytes is
// zero. Protobuf messages cannot exceed 2 GiB and real saved_model.pb files
// are far smaller; the bound keeps memory use predictable.
const DefaultMaxBytes = 512 << 20

// Config says where the file is and how much of it may be read.
type Config struct {
	Location finding.Location
	// MaxBytes is the largest .pb read whole (default DefaultMaxBytes).
	MaxBytes int64
}

// Result is what the caller may want beyond findings.
type Result struct {
	// KerasMetadata holds the JSON documents of keras_metadata.pb (and the
	// deprecated SavedUserObject.metadata of saved_model.pb), unanalysed:
	// the Keras JSON checks live elsewhere.
	KerasMetadata []string
	// Ops counts operations by name: graph and function nodes for
	// SavedModel, operator uses for TFLite (builtins by enum name, custom
	// ops by their custom code).
	Ops map[string]int
}

// tfliteIdent is the file_identifier of schema.fbs, stored at offset 4.
const tfliteIdent = "TFL3"

// IsTFLite reports whether head has the TFLite file identifier.
func IsTFLite(head []byte) bool {
	return len(head) >= 8 && bytes.Equal(head[4:8], []byte(tfliteIdent))
}

// Kind tells which TensorFlow protobuf a file is, by base name:
// "saved_model", "keras_metadata", "fingerprint", or "".
func Kind(name string) string {
	base := path.Base(strings.ReplaceAll(name, "\\", "/"))
	switch strings.ToLower(base) {
	case "saved_model.pb":
		return "saved_model"
	case "keras_metadata.pb":
		return "keras_metadata"
	case "fingerprint.pb":
		return "fingerprint"
	}
	return ""
}

func (c Config) maxBytes() int64 {
	if c.MaxBytes <= 0 {
		return DefaultMaxBytes
	}
	return c.MaxBytes
}

// at returns the caller's location with extra members appended, on a fresh
// slice so findings never share backing arrays.
func (c Config) at(off int64, members ...string) finding.Location {
	loc := c.Location
	loc.Member = append(append([]string(nil), c.Location.Member...), members...)
	loc.Offset = off
	return loc
}

// readWhole reads a protobuf that must be parsed in one piece. It returns a
// finding instead of data when the file is too large or cannot be read.
func readWhole(r io.ReaderAt, size int64, cfg Config, what string) ([]byte, *finding.Finding) {
	if size < 0 {
		f := finding.New(finding.StructureInvalid, cfg.at(-1), what+" has a negative size.", finding.Evidence{})
		return nil, &f
	}
	if size > cfg.maxBytes() {
		f := finding.New(finding.LimitReached, cfg.at(-1),
			fmt.Sprintf("%s is %d bytes, over the %d-byte limit for protobufs read whole: not inspected.", what, size, cfg.maxBytes()),
			finding.Evidence{Detail: "raise Config.MaxBytes to inspect it"})
		return nil, &f
	}
	buf := make([]byte, size)
	n, err := r.ReadAt(buf, 0)
	if int64(n) < size {
		f := finding.New(finding.StructureInvalid, cfg.at(int64(n)),
			fmt.Sprintf("%s could not be read past byte %d (%v): not inspected.", what, n, err), finding.Evidence{})
		return nil, &f
	}
	return buf, nil
}
