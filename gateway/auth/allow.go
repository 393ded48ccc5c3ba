package auth

import (
	"fmt"
	"slices"
)

// Operations a principal may be granted.
const (
	OpInfer    = "infer"
	OpMetadata = "metadata"
	OpReady    = "ready"
)

func allOperations() []string { return []string{OpInfer, OpMetadata, OpReady} }

func knownOperation(op string) bool {
	return op == OpInfer || op == OpMetadata || op == OpReady
}

// Allow says whether p may perform operation on model. Names are compared
// exactly: the caller canonicalises the model name from the route first,
// so that case or encoding tricks cannot widen a scope.
func (p Principal) Allow(model, operation string) error {
	if !knownOperation(operation) {
		return fmt.Errorf("%w: unknown operation %q", ErrForbidden, operation)
	}
	if model == "" {
		return fmt.Errorf("%w: no model named", ErrForbidden)
	}
	if !slices.Contains(p.Operations, operation) && !slices.Contains(p.Operations, "*") {
		return fmt.Errorf("%w: %s may not %s", ErrForbidden, p.ID, operation)
	}
	if !slices.Contains(p.Models, model) && !slices.Contains(p.Models, "*") {
		return fmt.Errorf("%w: %s is not scoped to model %q", ErrForbidden, p.ID, model)
	}
	return nil
}
