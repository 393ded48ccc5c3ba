package proxy

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/modelward/modelward/policy"
	"github.com/modelward/modelward/registry"
	"github.com/modelward/modelward/registry/sqlite"
)

// OpenRegistry opens the registry's local store in DATA (registry.db) and
// wraps it in a Service for API keys and deployed versions. The gateway
// only reads versions and tokens; it needs no blob store or policy.
func OpenRegistry(ctx context.Context, data string) (*registry.Service, func() error, error) {
	st, err := sqlite.Open(ctx, filepath.Join(data, "registry.db"))
	if err != nil {
		return nil, nil, fmt.Errorf("registry: %w", err)
	}
	return registry.NewService(st, nil, nil, policy.Gates{}, nil), st.Close, nil
}

// Start reads the deployed versions once, then follows the registry:
// in-process events (Service.Events) when the registry runs in this
// process, and the audit log's head every auth.registry.poll otherwise
// (another process's changes reach us only through the store). Either way
// a quarantine, rollback or retirement is seen well within a second. With
// Redis configured it also starts sharing flags with the other replicas.
func (g *Gateway) Start(ctx context.Context) error {
	g.startFlagShare(ctx)
	if g.reg == nil {
		return nil
	}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		g.sendAlerts(ctx)
	}()
	if !g.gated() {
		return nil
	}
	head, err := g.refresh(ctx)
	if err != nil {
		return err
	}
	var events <-chan registry.AuditEntry
	unsubscribe := func() {}
	if ev := g.reg.Events(); ev != nil {
		events, unsubscribe = ev.Subscribe(64)
	}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		defer unsubscribe()
		g.watch(ctx, events, head)
	}()
	return nil
}

func (g *Gateway) gated() bool {
	for _, m := range g.models {
		if m.cfg.Registry != nil {
			return true
		}
	}
	return false
}

func (g *Gateway) watch(ctx context.Context, events <-chan registry.AuditEntry, head int64) {
	tick := time.NewTicker(g.cfg.Auth.Registry.Poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-g.stop:
			return
		case _, ok := <-events:
			if !ok {
				events = nil // a nil channel blocks: polling goes on
				continue
			}
		case <-tick.C:
			h, _, err := g.reg.Store().Head(ctx)
			if err != nil || h == head {
				continue
			}
		}
		h, err := g.refresh(ctx)
		if err != nil {
			g.log.Error("registry refresh", "err", err)
			continue
		}
		head = h
	}
}

// refresh reads every gated model's deployed version and returns the
// audit head it read them at (read first, so that a change racing the
// reads is seen again on the next tick).
func (g *Gateway) refresh(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	head, _, err := g.reg.Store().Head(ctx)
	if err != nil {
		return 0, fmt.Errorf("registry head: %w", err)
	}
	for _, m := range g.models {
		if m.cfg.Registry == nil {
			continue
		}
		name := m.cfg.Registry.Model
		if name == "" {
			name = m.cfg.Name
		}
		n, err := deployedVersion(ctx, g.reg.Store(), name)
		if err != nil {
			return 0, err
		}
		if old := m.deployed.Swap(n); old != n {
			g.log.Warn("deployed version changed", "model", m.cfg.Name, "from", old, "to", n)
		}
	}
	return head, nil
}

// deployedVersion is the number of the model's deployed version, 0 when
// none is (or the model is unknown).
func deployedVersion(ctx context.Context, st registry.Store, model string) (int64, error) {
	p := registry.Page{Limit: 100}
	for range 1000 { // at most 100,000 versions: a bound, not a expectation
		vs, next, err := st.Versions(ctx, model, p)
		if err != nil {
			return 0, fmt.Errorf("registry versions of %q: %w", model, err)
		}
		for _, v := range vs {
			if v.State == registry.Deployed {
				return v.Number, nil
			}
		}
		if next == "" {
			return 0, nil
		}
		p.After = next
	}
	return 0, nil
}
