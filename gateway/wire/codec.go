package wire

import (
	"fmt"
	"net/url"
)

// Codec is one model-server protocol: how to ask for a batch of
// predictions and how to read the answer. A Codec is safe for concurrent
// use; it holds only its configuration.
type Codec interface {
	// InferRequest returns the path (relative to the upstream base URL,
	// starting with "/") and JSON body for a batch.
	InferRequest(model string, batch [][]float32) (path string, body []byte, err error)
	// InferResponse reads the answer: exactly rows rows of classes
	// probabilities each, and the model version when the protocol
	// reports one. Bounding the body's size is the caller's job.
	InferResponse(body []byte, rows, classes int) (probs [][]float32, version string, err error)
	// MetadataPath is the GET path of model metadata ("" when none).
	MetadataPath(model string) string
	// ReadyPath is the GET path answering 200 when the model is ready
	// ("" when none).
	ReadyPath(model string) string
}

// ReadyChecker is implemented by codecs whose readiness endpoint answers
// 200 whatever the model's state, so the body must be read too (TF
// Serving's model status).
type ReadyChecker interface {
	// Ready reports whether a 200 answer from ReadyPath says the model
	// can serve.
	Ready(body []byte) bool
}

// maxName bounds model names, versions and labels put in paths.
const maxName = 256

// checkName refuses names that cannot be a path segment.
func checkName(what, s string) error {
	if s == "" {
		return fmt.Errorf("empty %s", what)
	}
	if len(s) > maxName {
		return fmt.Errorf("%s longer than %d bytes", what, maxName)
	}
	return nil
}

// segment escapes a name for one path segment: url.PathEscape also
// escapes "/", so a name can never add a segment. "." and ".." are
// escaped too, which PathEscape leaves alone and a server would resolve.
func segment(s string) string {
	switch s {
	case ".":
		return "%2E"
	case "..":
		return "%2E%2E"
	}
	return url.PathEscape(s)
}

// codecError prefixes every error with the protocol's name, so a log line
// says which codec refused an answer.
func codecError(proto string, err error) error {
	return fmt.Errorf("%s: %w", proto, err)
}
