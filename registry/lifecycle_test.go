package registry

import (
	"errors"
	"strings"
	"testing"
)

// The whole transition relation, written out: every pair of states is
// either a lifecycle step or refused with a reason naming what is allowed.
func TestTransitions(t *testing.T) {
	allowed := map[[2]State]bool{}
	add := func(from State, tos ...State) {
		for _, to := range tos {
			allowed[[2]State{from, to}] = true
		}
	}
	add(Registered, Verified, Quarantined, Retired)
	add(Verified, Evaluated, Quarantined, Retired)
	add(Evaluated, Approved, Quarantined, Retired)
	add(Approved, Deployed, Quarantined, Retired)
	add(Deployed, Deprecated, Quarantined, Retired)
	add(Deprecated, Deployed, Quarantined, Retired)
	add(Quarantined, Registered, Retired)
	for _, from := range States {
		for _, to := range States {
			err := CheckTransition(from, to)
			if allowed[[2]State{from, to}] != (err == nil) {
				t.Errorf("%s → %s: %v", from, to, err)
			}
			if err != nil && !errors.Is(err, ErrIllegalTransition) {
				t.Errorf("%s → %s: unclassified %v", from, to, err)
			}
		}
	}
	err := CheckTransition(Registered, Deployed)
	if err == nil || !strings.Contains(err.Error(), "verified, quarantined or retired") {
		t.Errorf("reason: %v", err)
	}
	if err := CheckTransition(Retired, Deployed); err == nil || !strings.Contains(err.Error(), "final") {
		t.Errorf("retired: %v", err)
	}
	if err := CheckTransition("bogus", Verified); err == nil {
		t.Error("unknown state accepted")
	}
	if !Deployed.Loadable() || Approved.Loadable() || Quarantined.Loadable() {
		t.Error("only deployed versions are loadable")
	}
}
