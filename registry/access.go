package registry

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// ErrForbidden: the actor's role or scope does not allow the action.
var ErrForbidden = errors.New("forbidden")

// Actor is who asks: a token's id, role and model scope.
type Actor struct {
	ID     string
	Role   Role
	Models []string // empty: every model
}

var roleRank = map[Role]int{RoleViewer: 1, RolePublisher: 2, RoleApprover: 3, RoleAdmin: 4}

// ValidRole reports whether r is a known role.
func ValidRole(r Role) bool { return roleRank[r] > 0 }

// Allow says whether the actor may act with at least role need on model
// ("" for actions on no model, such as listing tokens).
func (a Actor) Allow(need Role, model string) error {
	if roleRank[a.Role] < roleRank[need] || roleRank[need] == 0 {
		return fmt.Errorf("%w: %s needs the %s role, the token has %s", ErrForbidden, a.ID, need, a.Role)
	}
	if model != "" && len(a.Models) > 0 && !slices.Contains(a.Models, model) {
		return fmt.Errorf("%w: the token %s is not scoped to model %q", ErrForbidden, a.ID, model)
	}
	return nil
}

// modelNameRE: lowercase names with optional one-level namespace, as hub
// ids are ("team/classifier"); nothing that could be a path trick.
var modelNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}(/[a-z0-9][a-z0-9._-]{0,63})?$`)

// ValidModelName reports whether name may name a model.
func ValidModelName(name string) error {
	if !modelNameRE.MatchString(name) || strings.Contains(name, "..") {
		return fmt.Errorf("invalid model name %q: use lowercase letters, digits, '.', '_' and '-', optionally as team/name", name)
	}
	return nil
}
