package registry

import (
	"fmt"
	"slices"
)

// State is where a model version is in its lifecycle.
type State string

// The lifecycle. A version moves forward through the gates, one step at a
// time; quarantine is reachable from every state but retired, and retired
// is final.
const (
	Registered  State = "registered"  // pushed; nothing checked yet
	Verified    State = "verified"    // scanned clean under the policy, signature valid from a trusted identity
	Evaluated   State = "evaluated"   // evaluation results recorded and meeting the thresholds
	Approved    State = "approved"    // approved by a user with the approver role
	Deployed    State = "deployed"    // the version serving components may load
	Deprecated  State = "deprecated"  // was deployed; replaced, still approved (a rollback target)
	Retired     State = "retired"     // never deployable again; artifacts archived or shredded
	Quarantined State = "quarantined" // suspected compromised: nothing may load it
)

// States lists every state in lifecycle order.
var States = []State{Registered, Verified, Evaluated, Approved, Deployed, Deprecated, Retired, Quarantined}

// transitions is the lifecycle's edge list. Quarantine and retirement are
// added for every state by allowed, so they are not listed here.
var transitions = map[State][]State{
	Registered:  {Verified},
	Verified:    {Evaluated},
	Evaluated:   {Approved},
	Approved:    {Deployed},
	Deployed:    {Deprecated},
	Deprecated:  {Deployed},   // rollback or redeploy, after re-verification
	Quarantined: {Registered}, // released: every gate runs again
}

// Valid reports whether s is a known state.
func (s State) Valid() bool { return slices.Contains(States, s) }

// Next lists the states s may move to.
func (s State) Next() []State {
	if s == Retired || !s.Valid() {
		return nil
	}
	out := append([]State(nil), transitions[s]...)
	if s != Quarantined {
		out = append(out, Quarantined)
	}
	return append(out, Retired)
}

// CheckTransition says why from → to is not a lifecycle step, or nil.
func CheckTransition(from, to State) error {
	switch {
	case !from.Valid():
		return fmt.Errorf("%w: unknown state %q", ErrIllegalTransition, from)
	case !to.Valid():
		return fmt.Errorf("%w: unknown state %q", ErrIllegalTransition, to)
	case from == Retired:
		return fmt.Errorf("%w: the version is retired, which is final", ErrIllegalTransition)
	case from == to:
		return fmt.Errorf("%w: the version is already %s", ErrIllegalTransition, to)
	case slices.Contains(from.Next(), to):
		return nil
	}
	return fmt.Errorf("%w: %s → %s is not a lifecycle step (from %s the version may become %s)",
		ErrIllegalTransition, from, to, from, joinStates(from.Next()))
}

func joinStates(ss []State) string {
	out := ""
	for i, s := range ss {
		switch {
		case i == 0:
		case i == len(ss)-1:
			out += " or "
		default:
			out += ", "
		}
		out += string(s)
	}
	return out
}

// Loadable reports whether serving components may fetch a version in s.
func (s State) Loadable() bool { return s == Deployed }
