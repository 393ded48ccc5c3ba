// Package source turns what a user asks to scan into scan targets: files,
// folders (recursively), Hugging Face hub caches, whose files are reported
// once per repository and revision, and remote repositories named
// hf://org/name[@revision], read through the hub's HTTP API by ranges.
package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/scan"
	"github.com/modelward/modelward/scan/hf"
)

// Options configure Expand.
type Options struct {
	// Hub reads hf:// repositories; nil means hf.NewClientFromEnv().
	Hub *hf.Client
}

// Expand returns the targets for args in order: for each argument, its
// files. A folder that is a hub cache (or holds one in hub/) yields each
// snapshot's files, tagged with their repository and revision; any other
// folder yields its files as scan.Collect finds them.
func Expand(ctx context.Context, args []string, opt Options) ([]scan.Target, error) {
	var out []scan.Target
	for _, a := range args {
		ts, err := expandOne(ctx, a, &opt)
		if err != nil {
			return nil, err
		}
		out = append(out, ts...)
	}
	return out, nil
}

func expandOne(ctx context.Context, arg string, opt *Options) ([]scan.Target, error) {
	if hf.IsRef(arg) {
		return remote(ctx, arg, opt)
	}
	info, err := os.Stat(arg)
	if err != nil {
		return nil, fmt.Errorf("cannot scan %s: %w", arg, errors.Unwrap(err))
	}
	if info.IsDir() {
		snaps, err := findCache(arg)
		if err != nil {
			return nil, err
		}
		if snaps != nil {
			loose, err := outsideRepos(arg, snaps)
			if err != nil {
				return nil, err
			}
			return append(cacheTargets(snaps), loose...), nil
		}
	}
	files, err := scan.Collect([]string{arg})
	if err != nil {
		return nil, err
	}
	out := make([]scan.Target, len(files))
	for i, f := range files {
		out[i] = scan.LocalFile(f)
	}
	return out, nil
}

// findCache looks for a hub cache at root, or in root/hub (the layout of
// ~/.cache/huggingface).
func findCache(root string) ([]hf.Snapshot, error) {
	snaps, err := hf.FindCache(root)
	if err != nil || snaps != nil {
		return snaps, err
	}
	if st, err := os.Stat(filepath.Join(root, "hub")); err == nil && st.IsDir() {
		return hf.FindCache(filepath.Join(root, "hub"))
	}
	return nil, nil
}

// outsideRepos lists the files under root that no snapshot covers: loose
// files beside the repositories, and ~/.cache/huggingface/modules, where
// transformers keeps the remote code it has run. Skipping them would let
// a payload sit in a scanned folder unseen. Repository folders are left
// out: their files are read through the snapshots.
func outsideRepos(root string, snaps []hf.Snapshot) ([]scan.Target, error) {
	repos := map[string]bool{}
	for _, s := range snaps {
		repos[filepath.Clean(filepath.Dir(filepath.Dir(s.Dir)))] = true
	}
	files, err := scan.Collect([]string{root})
	if err != nil {
		return nil, err
	}
	var out []scan.Target
	for _, f := range files {
		if !insideAny(filepath.Clean(f), repos) {
			out = append(out, scan.LocalFile(f))
		}
	}
	return out, nil
}

func insideAny(p string, dirs map[string]bool) bool {
	for d := p; ; {
		parent := filepath.Dir(d)
		if dirs[d] {
			return true
		}
		if parent == d {
			return false
		}
		d = parent
	}
}

// cacheTargets lists each snapshot's files under the snapshot path a user
// knows, reading the blob each link resolves to. A link that does not
// resolve safely inside the repository's blobs/ is reported, not read.
func cacheTargets(snaps []hf.Snapshot) []scan.Target {
	var out []scan.Target
	for _, s := range snaps {
		model := s.Repo + "@" + s.Revision
		for _, f := range s.Files {
			name := filepath.Join(s.Dir, filepath.FromSlash(f.Path))
			// Read the blob the link resolves to, under the name users know.
			t := scan.Target{Name: name}
			if f.Real != "" {
				t = scan.LocalFile(f.Real)
				t.Name = name
			}
			t.Model, t.Dir = model, filepath.Dir(name)
			t.Roots = []string{filepath.Join(filepath.Dir(filepath.Dir(s.Dir)), "blobs")}
			switch {
			case f.Limit:
				t.Findings = []finding.Finding{finding.New(finding.LimitReached, finding.Location{Path: name, Offset: -1},
					fmt.Sprintf("cache of %s: %s; the rest was not inspected", model, f.Problem), finding.Evidence{})}
			case f.Real == "":
				t.Findings = []finding.Finding{finding.New(finding.ArchiveLinkEscape, finding.Location{Path: name, Offset: -1},
					fmt.Sprintf("cache entry %q of %s is not read: %s", f.Path, model, f.Problem), finding.Evidence{Detail: f.Problem})}
			}
			out = append(out, t)
		}
	}
	return out
}

// remote resolves an hf:// reference to its commit and lists its files;
// each file is read by ranges when scanned.
func remote(ctx context.Context, arg string, opt *Options) ([]scan.Target, error) {
	ref, err := hf.ParseRef(arg)
	if err != nil {
		return nil, err
	}
	c := opt.Hub
	if c == nil {
		c = hf.NewClientFromEnv()
	}
	repo, err := c.Resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	model := repo.Ref.Repo + "@" + repo.Commit
	out := make([]scan.Target, 0, len(repo.Files))
	for _, f := range repo.Files {
		f := f
		out = append(out, scan.Target{
			Name:  "hf://" + model + "/" + f.Path,
			Model: model,
			Open: func(ctx context.Context) (io.ReaderAt, int64, io.Closer, error) {
				rf, err := c.Open(ctx, repo, f)
				if err != nil {
					return nil, 0, nil, err
				}
				return rf, rf.Size(), io.NopCloser(nil), nil
			},
		})
	}
	return out, nil
}
