// Package sign signs and verifies models with the OpenSSF model signing
// format (the reference is the Python package model_signing v1.x) using an
// ECDSA key pair. It ties package manifest (what is signed) to package bundle
// (how it is signed); the command line only wires flags to it.
package sign

import (
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/modelward/modelward/sign/bundle"
	"github.com/modelward/modelward/sign/manifest"
)

// ErrMismatch: the signature is valid but the model on disk differs from
// what was signed (files missing, changed or, unless ignored, extra).
var ErrMismatch = errors.New("model does not match its signature")

// KeyOptions controls SignWithKey and VerifyWithKey.
type KeyOptions struct {
	// Signature is the path of the signature file. When it lies inside the
	// model folder it is never hashed.
	Signature string
	// IgnorePaths are paths relative to the model root that are not hashed
	// (a path ignores itself and everything below it).
	IgnorePaths []string
	// IgnoreUnsignedFiles (verify only): files present in the model but not
	// in the signature are reported in Result.Extra but are not an error.
	IgnoreUnsignedFiles bool
	// ShardSize (sign only): when > 0 the model is hashed with the "shards"
	// method in pieces of this many bytes; otherwise with "files".
	ShardSize int64
	// HashType (sign only): sha256 (default), blake2b or blake3.
	HashType string
}

// Result lists the differences between the signed manifest and the model.
// Names are resource names: file paths relative to the model root ("." for
// a single-file model), or "path:start:end" for sharded signatures.
type Result struct {
	Missing, Extra, Changed []string
}

// ignores returns opt.IgnorePaths plus the signature file's path relative
// to modelPath when it lies inside it.
func ignores(modelPath string, opt KeyOptions) []string {
	out := append([]string{}, opt.IgnorePaths...)
	if opt.Signature == "" {
		return out
	}
	root, err1 := filepath.Abs(modelPath)
	sig, err2 := filepath.Abs(opt.Signature)
	if err1 != nil || err2 != nil {
		return out
	}
	rel, err := filepath.Rel(root, sig)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return out
	}
	return append(out, filepath.ToSlash(rel))
}

// StatementSigner turns the in-toto statement of a model into a Sigstore
// bundle (JSON). Key and certificate signing implement it here; it is also
// the seam for signers modelward does not ship: a Sigstore keyless signer
// (OIDC token, Fulcio certificate, Rekor entry: it needs those public
// services) or a KMS or HSM that keeps the key. See docs/signing.md.
type StatementSigner interface {
	SignStatement(ctx context.Context, statement []byte) ([]byte, error)
}

// StatementSignerFunc adapts a function to StatementSigner.
type StatementSignerFunc func(ctx context.Context, statement []byte) ([]byte, error)

// SignStatement calls f.
func (f StatementSignerFunc) SignStatement(ctx context.Context, st []byte) ([]byte, error) {
	return f(ctx, st)
}

// Sign hashes the model at modelPath (a folder or a single file), ignoring
// the signature file and opt.IgnorePaths (recorded in the statement's
// ignore_paths), and has s sign the statement. It returns the bundle JSON;
// the caller writes it.
func Sign(ctx context.Context, modelPath string, s StatementSigner, opt KeyOptions) ([]byte, error) {
	st, err := statement(ctx, modelPath, opt)
	if err != nil {
		return nil, err
	}
	return s.SignStatement(ctx, st)
}

// SignWithKey signs the model with the private key(s) of a PEM file: one
// ECDSA key (what the reference reads), one ML-DSA-65 key, or a hybrid
// pair. The key is read before the model is hashed, so a bad key fails
// fast.
func SignWithKey(ctx context.Context, modelPath string, keyPEM []byte, opt KeyOptions) ([]byte, error) {
	keys, err := bundle.LoadSignersPEM(keyPEM)
	if err != nil {
		return nil, err
	}
	return Sign(ctx, modelPath, StatementSignerFunc(func(_ context.Context, st []byte) ([]byte, error) {
		return bundle.SignKeys(st, keys, nil)
	}), opt)
}

// statement hashes the model (files, or shards when opt.ShardSize is set)
// without the signature file and opt.IgnorePaths, and renders the in-toto
// statement that gets signed.
func statement(ctx context.Context, modelPath string, opt KeyOptions) ([]byte, error) {
	mo := manifest.Options{Method: manifest.MethodFiles, HashType: opt.HashType, IgnorePaths: ignores(modelPath, opt)}
	if opt.ShardSize > 0 {
		mo.Method, mo.ShardSize = manifest.MethodShards, opt.ShardSize
	} else if opt.ShardSize < 0 {
		return nil, fmt.Errorf("sign: invalid shard size %d", opt.ShardSize)
	}
	m, err := manifest.Build(ctx, modelPath, mo)
	if err != nil {
		return nil, err
	}
	return m.Statement()
}

// VerifyWithKey checks bundleJSON against the PEM ECDSA public key, then
// hashes the model with the signed method, shard size and ignore paths
// (plus the signature file and opt.IgnorePaths) and compares it with the
// signed manifest. Errors wrap bundle.ErrWrongKey, bundle.ErrMalformed or
// bundle.ErrUnsupported for signature problems and ErrMismatch (with the
// Result filled in) when the model differs; anything else is an I/O error.
func VerifyWithKey(ctx context.Context, modelPath string, bundleJSON, pubPEM []byte, opt KeyOptions) (*Result, error) {
	keys, err := bundle.LoadVerifiersPEM(pubPEM)
	if err != nil {
		return nil, err
	}
	payload, err := bundle.VerifyKeys(bundleJSON, keys)
	if err != nil {
		return nil, err
	}
	return compareModel(ctx, modelPath, payload, opt)
}

// compareModel parses the verified statement and compares the model with
// it (the same steps as the tail of VerifyWithKey).
func compareModel(ctx context.Context, modelPath string, payload []byte, opt KeyOptions) (*Result, error) {
	res, _, err := compare(ctx, modelPath, payload, opt, nil)
	return res, err
}

// compare is compareModel that also returns the signed manifest once it
// parsed.
func compare(ctx context.Context, modelPath string, payload []byte, opt KeyOptions, known []manifest.FileDigest) (*Result, *manifest.Manifest, error) {
	want, err := manifest.ParseStatement(payload)
	if err != nil {
		if errors.Is(err, bundle.ErrMalformed) || errors.Is(err, bundle.ErrUnsupported) {
			return nil, nil, err
		}
		class := bundle.ErrMalformed
		if msg := err.Error(); strings.Contains(msg, "unsupported") || strings.Contains(msg, "unknown serialization method") {
			class = bundle.ErrUnsupported
		}
		return nil, nil, fmt.Errorf("%w: signed statement: %v", class, err)
	}
	if len(want.Resources) == 0 {
		// A statement that lists nothing vouches for nothing; accepting it
		// would make any folder of ignored files "verified".
		return nil, want, fmt.Errorf("%w: the signed statement lists no file", bundle.ErrMalformed)
	}
	ig := ignores(modelPath, opt)
	for _, p := range want.IgnorePaths {
		c := path.Clean(filepath.ToSlash(p))
		if c == "." || c == ".." || path.IsAbs(c) || filepath.IsAbs(p) || strings.HasPrefix(c, "../") {
			continue
		}
		ig = append(ig, c)
	}
	var got *manifest.Manifest
	if known != nil && want.Method == manifest.MethodFiles && want.HashType == manifest.HashSHA256 && !want.AllowSymlinks {
		got, err = manifest.FromDigests(want.ModelName, known, ig)
	} else {
		got, err = manifest.Build(ctx, modelPath, manifest.Options{
			Method:        want.Method,
			HashType:      want.HashType,
			ShardSize:     want.ShardSize,
			AllowSymlinks: want.AllowSymlinks,
			IgnorePaths:   ig,
			Expect:        want,
		})
	}
	if err != nil {
		return nil, want, err
	}
	res := &Result{}
	res.Missing, res.Extra, res.Changed = want.Equal(got)
	res.Extra = append(res.Extra, got.Unlisted...)
	if len(got.Resized) > 0 {
		// A resized file's shards were not hashed: report the file as
		// changed, not each of its shards as missing.
		res.Missing = slices.DeleteFunc(res.Missing, func(n string) bool {
			f, _, _, _ := manifest.SplitShardName(n)
			return slices.Contains(got.Resized, f)
		})
		res.Changed = append(res.Changed, got.Resized...)
	}
	slices.Sort(res.Extra)
	slices.Sort(res.Changed)
	var parts []string
	add := func(what string, names []string) {
		if len(names) > 0 {
			parts = append(parts, what+": "+strings.Join(names, ", "))
		}
	}
	add("missing", res.Missing)
	add("changed", res.Changed)
	if !opt.IgnoreUnsignedFiles {
		add("not signed", res.Extra)
	}
	if len(parts) > 0 {
		return res, want, fmt.Errorf("%w: %s", ErrMismatch, strings.Join(parts, "; "))
	}
	return res, want, nil
}
