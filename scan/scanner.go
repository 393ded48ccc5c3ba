// Package scan inspects model files for embedded code and unsafe
// constructs without loading them. Formats are recognised by content; each
// file flows through format detection, a format analyser, and findings.
//
// Scanner walks paths and runs a bounded pool of workers; results come back
// in a deterministic order whatever the scheduling.
package scan

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelward/modelward/finding"
	"github.com/modelward/modelward/policy"
)

// Options configure a Scanner.
type Options struct {
	Policy *policy.Policy
	// Workers is how many files are scanned at once (0: one per CPU).
	Workers int
	// Progress, when set, is called after each file with the number of
	// files done, the total, and the bytes of the files done.
	Progress func(done, total int, bytes int64)
}

// Scanner scans files and directories.
type Scanner struct {
	opt Options
}

// New returns a Scanner; a nil policy means the embedded default.
func New(opt Options) *Scanner {
	if opt.Policy == nil {
		opt.Policy = policy.Default()
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	return &Scanner{opt: opt}
}

// Policy returns the scanner's effective policy.
func (s *Scanner) Policy() *policy.Policy { return s.opt.Policy }

// Collect expands paths into the regular files below them, sorted within
// each directory. Symbolic links to files are followed (a loader would
// follow them); links to directories are not, so a link loop cannot trap
// the walk.
func Collect(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("cannot scan %s: %w", p, errors.Unwrap(err))
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		var sub []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("walking %s: %w", path, err)
			}
			if d.IsDir() {
				if path != p && d.Name() == ".git" {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type()&fs.ModeSymlink != 0 {
				if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
					return nil
				}
			} else if !d.Type().IsRegular() {
				return nil
			}
			sub = append(sub, path)
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(sub)
		files = append(files, sub...)
	}
	return files, nil
}

// Scan scans every file under paths.
func (s *Scanner) Scan(ctx context.Context, paths []string) (*Report, error) {
	files, err := Collect(paths)
	if err != nil {
		return nil, err
	}
	return s.ScanFiles(ctx, files), nil
}

// ScanFiles scans the given files with the worker pool. The report lists
// them in the order given.
func (s *Scanner) ScanFiles(ctx context.Context, files []string) *Report {
	targets := make([]Target, len(files))
	for i, f := range files {
		targets[i] = LocalFile(f)
	}
	return s.ScanTargets(ctx, targets)
}

// ScanTargets scans targets with the worker pool. The report lists them in
// the order given.
func (s *Scanner) ScanTargets(ctx context.Context, targets []Target) *Report {
	start := time.Now()
	rep := &Report{Files: make([]FileResult, len(targets))}
	next := make(chan int)
	var wg sync.WaitGroup
	var done, bytes atomic.Int64
	for w := 0; w < min(s.opt.Workers, max(len(targets), 1)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				rep.Files[i] = s.ScanTarget(ctx, targets[i])
				n := done.Add(1)
				b := bytes.Add(rep.Files[i].Size)
				if s.opt.Progress != nil {
					s.opt.Progress(int(n), len(targets), b)
				}
			}
		}()
	}
	for i := range targets {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	for i := range rep.Files {
		if rep.Files[i].Path == "" { // cancelled before it started
			rep.Files[i] = FileResult{Path: targets[i].Name, Model: targets[i].Model, Verdict: Failed, Error: "scan cancelled"}
		}
		rep.Bytes += rep.Files[i].Size
	}
	rep.Models = summariseModels(rep.Files)
	rep.Duration = time.Since(start)
	return rep
}

// ScanFile scans one file.
func (s *Scanner) ScanFile(ctx context.Context, path string) FileResult {
	return s.ScanTarget(ctx, LocalFile(path))
}

// ScanTarget scans one target.
func (s *Scanner) ScanTarget(ctx context.Context, t Target) FileResult {
	start := time.Now()
	fr := FileResult{Path: t.Name, Model: t.Model, Format: "unknown"}
	lim := s.opt.Policy.Limits
	if t.Open == nil {
		// Nothing to read: the target is only what was learned finding it.
		fr.Format, fr.Findings = "none", append([]finding.Finding(nil), t.Findings...)
		fr.Verdict = verdictOf(fr.Findings, true)
		return fr
	}
	ctx, cancel := context.WithTimeout(ctx, lim.FileTimeout)
	defer cancel()
	r, size, closer, err := t.Open(ctx)
	if err != nil {
		fr.Verdict, fr.Error = Failed, err.Error()
		return fr
	}
	defer closer.Close()
	fr.Size = size
	if fr.Size > lim.MaxFileBytes {
		fr.Findings = []finding.Finding{finding.New(finding.LimitReached, finding.Location{Path: t.Name, Offset: -1},
			fmt.Sprintf("file of %d bytes is larger than max_file_bytes (%d): not inspected", fr.Size, lim.MaxFileBytes), finding.Evidence{})}
		fr.Verdict = verdictOf(fr.Findings, true)
		return fr
	}
	j := newJob(ctx, s.opt.Policy, t.Name, t.Dir)
	j.roots = t.Roots
	j.add(t.Findings...)
	fr.Format = j.inspectAt(ctxReaderAt{ctx, r}, fr.Size, nil, 0, roleFile)
	if ctx.Err() != nil && !errors.Is(context.Cause(ctx), context.Canceled) {
		j.add(finding.New(finding.LimitReached, finding.Location{Path: t.Name, Offset: -1},
			fmt.Sprintf("scanning took longer than file_timeout (%s): the rest was not inspected", lim.FileTimeout), finding.Evidence{}))
	}
	j.finish()
	fr.Findings, fr.Streams = j.findings, j.streams
	finding.Sort(fr.Findings)
	fr.Verdict = verdictOf(fr.Findings, j.recognised)
	if errors.Is(ctx.Err(), context.Canceled) {
		fr.Verdict, fr.Error = Failed, "scan cancelled"
	}
	fr.Duration = time.Since(start)
	return fr
}
