package manifest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Limits applied by ParseStatement.
const (
	MaxStatementSize  = 256 << 20 // bytes
	MaxResources      = 1 << 20
	MaxIgnorePaths    = 1 << 12
	maxNameLen        = 4096
	maxSafeIntInFloat = 1 << 53
)

type parseStatement struct {
	Type          string      `json:"_type"`
	Subject       subjectList `json:"subject"`
	PredicateType string      `json:"predicateType"`
	Predicate     struct {
		Serialization struct {
			Method        string      `json:"method"`
			HashType      string      `json:"hash_type"`
			AllowSymlinks *bool       `json:"allow_symlinks"`
			ShardSize     json.Number `json:"shard_size"`
			IgnorePaths   stringList  `json:"ignore_paths"`
		} `json:"serialization"`
		Resources resourceList `json:"resources"`
	} `json:"predicate"`
}

// ParseStatement decodes an in-toto Statement as written by model_signing
// v1.0.x or v1.1.x (any key order, resources in any order, shard_size as an
// integer or an integral float). It checks sizes, hex digests, algorithms,
// duplicate names and that the subject digest matches the resources (in
// payload order). Resources keep payload order.
func ParseStatement(b []byte) (*Manifest, error) {
	if len(b) > MaxStatementSize {
		return nil, fmt.Errorf("manifest: statement is %d bytes, limit %d", len(b), MaxStatementSize)
	}
	var st parseStatement
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("manifest: decoding statement: %w", err)
	}
	if dec.More() {
		return nil, errors.New("manifest: trailing data after statement")
	}
	if st.Type != StatementType {
		return nil, fmt.Errorf("manifest: unexpected statement type %q", st.Type)
	}
	if st.PredicateType != PredicateType {
		return nil, fmt.Errorf("manifest: unexpected predicate type %q", st.PredicateType)
	}
	if len(st.Subject) != 1 {
		return nil, fmt.Errorf("manifest: expected exactly one subject, got %d", len(st.Subject))
	}
	ser := st.Predicate.Serialization
	m := &Manifest{
		Method:    ser.Method,
		HashType:  ser.HashType,
		ModelName: st.Subject[0].Name,
	}
	if ser.AllowSymlinks != nil {
		m.AllowSymlinks = *ser.AllowSymlinks
	}
	// The statement must name a hash type exactly; only the Python API's
	// "blake2" spelling is folded onto the digest name it writes.
	ht, err := NormalizeHashType(ser.HashType)
	if err != nil || ser.HashType == "" || ser.HashType == "sha-256" {
		return nil, fmt.Errorf("manifest: unsupported hash type %q", ser.HashType)
	}
	m.HashType = ht
	wantAlg := ht
	switch m.Method {
	case MethodFiles:
		if ser.ShardSize != "" {
			return nil, errors.New("manifest: shard_size given for method files")
		}
	case MethodShards:
		size, err := parseShardSize(ser.ShardSize)
		if err != nil {
			return nil, err
		}
		m.ShardSize = size
		wantAlg = shardAlgorithm(ht, size)
	default:
		return nil, fmt.Errorf("manifest: unknown serialization method %q", m.Method)
	}
	if len(ser.IgnorePaths) > 0 {
		m.IgnorePaths = append([]string(nil), ser.IgnorePaths...)
		sort.Strings(m.IgnorePaths)
	}
	seen := make(map[string]bool, len(st.Predicate.Resources))
	m.Resources = make([]Resource, 0, len(st.Predicate.Resources))
	for i, r := range st.Predicate.Resources {
		if r.Name == "" || len(r.Name) > maxNameLen {
			return nil, fmt.Errorf("manifest: resource %d has an invalid name", i)
		}
		if seen[r.Name] {
			return nil, fmt.Errorf("manifest: duplicate resource %q", r.Name)
		}
		seen[r.Name] = true
		if r.Algorithm != wantAlg {
			return nil, fmt.Errorf("manifest: resource %q has algorithm %q, want %q", r.Name, r.Algorithm, wantAlg)
		}
		if m.Method == MethodShards {
			if err := checkShardName(r.Name, m.ShardSize); err != nil {
				return nil, err
			}
		}
		d, err := decodeDigest(r.Digest, digestSize(ht))
		if err != nil {
			return nil, fmt.Errorf("manifest: resource %q: %w", r.Name, err)
		}
		m.Resources = append(m.Resources, Resource{Name: r.Name, Algorithm: r.Algorithm, Digest: d})
	}
	sd, err := decodeDigest(st.Subject[0].Digest[HashSHA256], sha256.Size)
	if err != nil {
		return nil, fmt.Errorf("manifest: subject: %w", err)
	}
	if !bytes.Equal(sd, m.SubjectDigest()) {
		return nil, errors.New("manifest: subject digest does not match the resources")
	}
	return m, nil
}

func decodeDigest(s string, size int) ([]byte, error) {
	if len(s) != 2*size {
		return nil, fmt.Errorf("digest must be %d hex characters", 2*size)
	}
	d, err := hex.DecodeString(s)
	if err != nil {
		return nil, errors.New("digest is not valid hex")
	}
	return d, nil
}

func parseShardSize(n json.Number) (int64, error) {
	if n == "" {
		return 0, errors.New("manifest: shards method without shard_size")
	}
	if v, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		if v <= 0 {
			return 0, fmt.Errorf("manifest: invalid shard_size %s", n)
		}
		return v, nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f <= 0 || f > maxSafeIntInFloat || f != math.Trunc(f) {
		return 0, fmt.Errorf("manifest: invalid shard_size %s", n)
	}
	return int64(f), nil
}

// SplitShardName splits a "path:start:end" resource name; ok is false
// when the name does not have that shape.
func SplitShardName(name string) (path string, start, end int64, ok bool) {
	j := strings.LastIndexByte(name, ':')
	i := -1
	if j > 0 {
		i = strings.LastIndexByte(name[:j], ':')
	}
	if i <= 0 {
		return name, 0, 0, false
	}
	start, err1 := strconv.ParseInt(name[i+1:j], 10, 64)
	end, err2 := strconv.ParseInt(name[j+1:], 10, 64)
	if err1 != nil || err2 != nil {
		return name, 0, 0, false
	}
	return name[:i], start, end, true
}

// checkShardName validates "path:start:end" with 0 <= start < end and
// end-start <= size.
func checkShardName(name string, size int64) error {
	_, start, end, ok := SplitShardName(name)
	if !ok {
		return fmt.Errorf("manifest: shard name %q is not path:start:end", name)
	}
	if start < 0 || end <= start || end-start > size {
		return fmt.Errorf("manifest: shard name %q has an invalid range", name)
	}
	return nil
}

// Equal compares m (the expected, signed manifest) with o (the actual one)
// by resource name. missing: in m but not in o; extra: in o but not in m;
// changed: in both with a different algorithm or digest. Each list is sorted.
func (m *Manifest) Equal(o *Manifest) (missing, extra, changed []string) {
	mine := make(map[string]Resource, len(m.Resources))
	for _, r := range m.Resources {
		mine[r.Name] = r
	}
	theirs := make(map[string]bool, len(o.Resources))
	for _, r := range o.Resources {
		theirs[r.Name] = true
		mr, ok := mine[r.Name]
		switch {
		case !ok:
			extra = append(extra, r.Name)
		case mr.Algorithm != r.Algorithm || !bytes.Equal(mr.Digest, r.Digest):
			changed = append(changed, r.Name)
		}
	}
	for _, r := range m.Resources {
		if !theirs[r.Name] {
			missing = append(missing, r.Name)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	sort.Strings(changed)
	return missing, extra, changed
}

type (
	subjectList  []jsonSubject
	stringList   []string
	resourceList []jsonResource
)

func (l *subjectList) UnmarshalJSON(b []byte) error {
	v, err := decodeBounded[jsonSubject](b, 16, "subjects")
	*l = v
	return err
}

func (l *stringList) UnmarshalJSON(b []byte) error {
	v, err := decodeBounded[string](b, MaxIgnorePaths, "ignore paths")
	*l = v
	return err
}

func (l *resourceList) UnmarshalJSON(b []byte) error {
	v, err := decodeBounded[jsonResource](b, MaxResources, "resources")
	*l = v
	return err
}

// decodeBounded decodes a JSON array element by element, failing as soon as
// it holds more than limit elements, so hostile inputs cannot make us
// allocate far more than their own size.
func decodeBounded[T any](b []byte, limit int, what string) ([]T, error) {
	if string(b) == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, fmt.Errorf("manifest: %s must be an array", what)
	}
	out := []T{}
	for dec.More() {
		if len(out) >= limit {
			return nil, fmt.Errorf("manifest: too many %s (limit %d)", what, limit)
		}
		var v T
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return out, nil
}
