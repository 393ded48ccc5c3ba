package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/modelward/modelward/finding"
)

// Target is one file to scan, wherever its bytes come from: the local
// disk, a Hugging Face cache, or a remote repository read by ranges.
type Target struct {
	// Name is how reports name the file: a path, or a URL-like name for
	// remote files.
	Name string
	// Model names the model the file belongs to (a repository and
	// revision), or "" for loose files; reports group files by it.
	Model string
	// Dir is the folder side files are read from (joblib side files, ONNX
	// external data), or "" when there is none.
	Dir string
	// Roots are further folders side files may resolve into through
	// symbolic links: a Hugging Face cache snapshot links every file into
	// its repository's blobs/.
	Roots []string
	// Open returns random access to the bytes, their size, and what to
	// close when done. A nil Open means there is nothing to read (an
	// unsafe link, say): the result is Findings alone.
	Open func(ctx context.Context) (io.ReaderAt, int64, io.Closer, error)
	// Findings are reported with the file's own: what was learned while
	// finding it (an unsafe link in a cache, say).
	Findings []finding.Finding
}

// LocalFile is a file on the local disk.
func LocalFile(path string) Target {
	return Target{Name: path, Dir: filepath.Dir(path), Open: func(context.Context) (io.ReaderAt, int64, io.Closer, error) {
		return openLocal(path)
	}}
}

func openLocal(path string) (io.ReaderAt, int64, io.Closer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("cannot open: %w", unwrapPath(err))
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, nil, err
	}
	return f, info.Size(), f, nil
}

// unwrapPath drops the path an *os.PathError repeats: reports already
// name the file.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
