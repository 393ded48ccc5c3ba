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
	start := time.Now()
	rep := &Report{Files: make([]FileResult, len(files))}
	next := make(chan int)
	var wg sync.WaitGroup
	var done, bytes atomic.Int64
	for w := 0; w < min(s.opt.Workers, max(len(files), 1)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				rep.Files[i] = s.ScanFile(ctx, files[i])
				n := done.Add(1)
				b := bytes.Add(rep.Files[i].Size)
				if s.opt.Progress != nil {
					s.opt.Progress(int(n), len(files), b)
				}
			}
		}()
	}
	for i := range files {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	for i := range rep.Files {
		if rep.Files[i].Path == "" { // cancelled before it started
			rep.Files[i] = FileResult{Path: files[i], Verdict: Failed, Error: "scan cancelled"}
		}
		rep.Bytes += rep.Files[i].Size
	}
	rep.Duration = time.Since(start)
	return rep
}

// ScanFile scans one file.
func (s *Scanner) ScanFile(ctx context.Context, path string) FileResult {
	start := time.Now()
	fr := FileResult{Path: path, Format: "unknown"}
	f, err := os.Open(path)
	if err != nil {
		fr.Verdict, fr.Error = Failed, fmt.Sprintf("cannot open: %v", errors.Unwrap(err))
		return fr
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		fr.Verdict, fr.Error = Failed, err.Error()
		return fr
	}
	fr.Size = info.Size()
	lim := s.opt.Policy.Limits
	if fr.Size > lim.MaxFileBytes {
		fr.Findings = []finding.Finding{finding.New(finding.LimitReached, finding.Location{Path: path, Offset: -1},
			fmt.Sprintf("file of %d bytes is larger than max_file_bytes (%d): not inspected", fr.Size, lim.MaxFileBytes), finding.Evidence{})}
		fr.Verdict = verdictOf(fr.Findings, true)
		return fr
	}
	ctx, cancel := context.WithTimeout(ctx, lim.FileTimeout)
	defer cancel()
	j := newJob(ctx, s.opt.Policy, path)
	fr.Format = j.inspectAt(ctxReaderAt{ctx, f}, fr.Size, nil, 0, roleFile)
	if ctx.Err() != nil && !errors.Is(context.Cause(ctx), context.Canceled) {
		j.add(finding.New(finding.LimitReached, finding.Location{Path: path, Offset: -1},
			fmt.Sprintf("scanning took longer than file_timeout (%s): the rest was not inspected", lim.FileTimeout), finding.Evidence{}))
	}
	fr.Findings, fr.Streams = j.findings, j.streams
	finding.Sort(fr.Findings)
	fr.Verdict = verdictOf(fr.Findings, j.recognised)
	if errors.Is(ctx.Err(), context.Canceled) {
		fr.Verdict, fr.Error = Failed, "scan cancelled"
	}
	fr.Duration = time.Since(start)
	return fr
}
