package proxy

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelward/modelward/gateway/digits"
	"github.com/modelward/modelward/gateway/extraction"
)

func digitsDetectConfig(maxClients int, maxMemory int64) ModelConfig {
	return ModelConfig{Input: InputConfig{Name: "pixels", Features: 64, Min: 0, Max: 16}, Classes: 10,
		Detect: DetectConfig{MaxClients: maxClients, MaxMemory: maxMemory, PRADA: &PRADAConfig{Enabled: true},
			Blacklight: &BlacklightConfig{Enabled: true, Scale: 16, AlarmCount: 3}, Signals: &SignalsConfig{Enabled: true}}}
}

// max_memory lowers max_clients to what it holds at the worst, every
// detector keeps to the lower bound, and a budget below one client is a
// configuration error.
func TestDetectMaxMemory(t *testing.T) {
	full := digitsDetectConfig(10000, 0)
	d, err := newDetectors(&full, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	per := d.perClient
	want := d.prada.MemoryPerClient() + d.blacklight.MemoryPerClient()
	if per <= want || d.maxClients != 10000 {
		t.Fatalf("per client %d (PRADA and Blacklight alone %d), max clients %d", per, want, d.maxClients)
	}
	t.Logf("digits, every detector on: at most %d bytes per client", per)

	mc := digitsDetectConfig(10000, int64(per)*(25+extraction.ClientSlack)+int64(per/2))
	small, err := newDetectors(&mc, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if small.maxClients != 25 || small.worstCase() > mc.Detect.MaxMemory {
		t.Fatalf("max clients %d (worst case %d bytes) under a budget of %d bytes, want 25", small.maxClients, small.worstCase(), mc.Detect.MaxMemory)
	}
	rows := digits.UCI()
	for i := range 500 {
		small.observe("client-"+strconv.Itoa(i), rows.Row(i), 0)
	}
	// The trackers are sharded: they may hold ClientSlack clients more.
	if n, limit := small.prada.Len(), 25+extraction.ClientSlack; n > limit {
		t.Errorf("PRADA tracks %d clients, bound %d", n, limit)
	}
	if n, limit := small.blacklight.Len(), 25+extraction.ClientSlack; n > limit {
		t.Errorf("Blacklight tracks %d clients, bound %d", n, limit)
	}
	if n := small.signals.lru.Len(); n > 25 {
		t.Errorf("signals track %d clients, bound 25", n)
	}

	tiny := digitsDetectConfig(10000, int64(per)*(1+extraction.ClientSlack)-1)
	if _, err := newDetectors(&tiny, time.Now); err == nil || !strings.Contains(err.Error(), "max_memory") {
		t.Fatalf("a budget below one client: %v", err)
	}
	// A budget above what max_clients needs changes nothing.
	roomy := digitsDetectConfig(100, int64(per)*1000)
	if d, err := newDetectors(&roomy, time.Now); err != nil || d.maxClients != 100 {
		t.Fatalf("roomy budget: %v, %d clients", err, d.maxClients)
	}
}
