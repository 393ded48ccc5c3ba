package registry_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/modelward/modelward/policy"
	"github.com/modelward/modelward/registry"
	"github.com/modelward/modelward/registry/sqlite"
)

// An alert is an audit entry: it is published, chained and checked.
func TestRecordAlert(t *testing.T) {
	ctx := context.Background()
	svc, st := alertService(t)
	events, stop := svc.Events().Subscribe(4)
	defer stop()
	gw := registry.Actor{ID: "gateway", Role: registry.RoleAdmin}
	e, err := svc.RecordAlert(ctx, gw, "digits", "alert.extraction", "sign steps", map[string]any{"client": "tok_1", "score": 0.9})
	if err != nil {
		t.Fatal(err)
	}
	got := <-events
	if got.Action != "alert.extraction" || got.Model != "digits" || got.Seq != e.Seq || string(got.Detail) != `{"client":"tok_1","score":0.9}` {
		t.Fatalf("published %+v", got)
	}
	if rep, err := registry.VerifyAudit(ctx, st, nil); err != nil || rep.Entries == 0 {
		t.Fatalf("audit %+v %v", rep, err)
	}
	viewer := registry.Actor{ID: "tok_v", Role: registry.RoleViewer}
	if _, err := svc.RecordAlert(ctx, viewer, "digits", "alert.extraction", "", nil); !errors.Is(err, registry.ErrForbidden) {
		t.Errorf("viewer: %v", err)
	}
	for _, kind := range []string{"version.transition", "alert." + string(make([]byte, 64))} {
		if _, err := svc.RecordAlert(ctx, gw, "digits", kind, "", nil); err == nil {
			t.Errorf("kind %q accepted", kind)
		}
	}
	if _, err := svc.RecordAlert(ctx, gw, "digits", "alert.x", "", string(make([]byte, registry.MaxAlertDetail))); err == nil {
		t.Error("oversized detail accepted")
	}
}

func alertService(t *testing.T) (*registry.Service, registry.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return registry.NewService(st, nil, nil, policy.Gates{}, nil), st
}
