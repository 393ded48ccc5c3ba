package tensorflow

import (
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/modelward/modelward/finding"
	"google.golang.org/protobuf/encoding/protowire"
)

// CheckKerasMetadata parses keras_metadata.pb (SavedMetadata) and returns
// the JSON document of every Keras object in Result.KerasMetadata, for the
// Keras configuration checks to analyse. Only the protobuf structure is
// judged here.
func CheckKerasMetadata(r io.ReaderAt, size int64, cfg Config) (*Result, []finding.Finding) {
	res := &Result{Ops: map[string]int{}}
	rep := &report{cfg: cfg}
	buf, fail := readWhole(r, size, cfg, "keras_metadata.pb")
	if fail != nil {
		return res, []finding.Finding{*fail}
	}
	err := walk(buf, 0, func(f field) error {
		if f.num != 1 {
			return nil
		}
		if err := f.want(protowire.BytesType, "SavedMetadata.nodes"); err != nil {
			return err
		}
		if len(res.KerasMetadata) >= maxKerasDocs {
			return &limitError{off: f.off, msg: "more than 65536 Keras objects"}
		}
		doc, err := kerasObject(f.buf, f.boff)
		if doc != "" {
			res.KerasMetadata = append(res.KerasMetadata, doc)
		}
		return err
	})
	rep.parseFailure(err, "keras_metadata.pb")
	return res, rep.done()
}

// kerasObject reads one SavedObject {version=1, node_id=2, node_path=3,
// identifier=4, metadata=5} and returns its metadata JSON.
func kerasObject(buf []byte, base int64) (doc string, err error) {
	err = walk(buf, base, func(f field) error {
		switch f.num {
		case 1:
			return f.want(protowire.BytesType, "SavedObject.version")
		case 2:
			_, err := f.varint("SavedObject.node_id")
			return err
		case 3, 4:
			_, err := f.str("SavedObject path/identifier")
			return err
		case 5:
			s, err := f.str("SavedObject.metadata")
			if err == nil && !utf8.ValidString(s) {
				return structErr(f.off, "SavedObject.metadata is not UTF-8 (proto3 strings must be)")
			}
			doc = s
			return err
		}
		return nil
	})
	return
}

// CheckFingerprint checks that fingerprint.pb is a FingerprintDef: five
// uint64 hashes and a VersionDef. The hashes cannot be verified without
// recomputing TensorFlow's graph hashing, so only the structure is judged.
func CheckFingerprint(r io.ReaderAt, size int64, cfg Config) []finding.Finding {
	rep := &report{cfg: cfg}
	buf, fail := readWhole(r, size, cfg, "fingerprint.pb")
	if fail != nil {
		return []finding.Finding{*fail}
	}
	err := walk(buf, 0, func(f field) error {
		switch {
		case f.num >= 1 && f.num <= 5:
			_, err := f.varint(fmt.Sprintf("FingerprintDef hash %d", f.num))
			return err
		case f.num == 6:
			if err := f.want(protowire.BytesType, "FingerprintDef.version"); err != nil {
				return err
			}
			return walk(f.buf, f.boff, func(v field) error {
				if v.num == 1 || v.num == 2 {
					_, err := v.varint("VersionDef")
					return err
				}
				return nil
			})
		}
		return nil
	})
	rep.parseFailure(err, "fingerprint.pb")
	return rep.done()
}
