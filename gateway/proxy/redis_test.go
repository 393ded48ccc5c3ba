package proxy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/modelward/modelward/gateway/digits"
)

const redisAddr = "127.0.0.1:6379"

// Two gateways sharing Redis share a principal's bucket: the second
// replica refuses what the first used up.
func TestSharedRedisLimit(t *testing.T) {
	ctx := context.Background()
	probe := redis.NewClient(&redis.Options{Addr: redisAddr})
	defer probe.Close()
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := probe.Ping(pctx).Err(); err != nil {
		if os.Getenv("MODELWARD_REQUIRE_REDIS") == "1" {
			t.Fatalf("redis at %s: %v", redisAddr, err)
		}
		t.Skipf("redis at %s unreachable: %v", redisAddr, err)
	}
	var raw [8]byte
	_, _ = rand.Read(raw[:])
	prefix := "modelward-test:gateway:" + hex.EncodeToString(raw[:]) + ":"
	t.Cleanup(func() {
		iter := probe.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			probe.Del(ctx, iter.Val())
		}
	})
	top := "redis: {addr: " + redisAddr + ", prefix: \"" + prefix + "\"}"
	a := newWorld(t, worldOpts{top: top})
	a.gw.models["digits"].cfg.Rate = RateConfig{Rate: 0.001, Burst: 2}
	// The second replica reads the same registry, so the same token works.
	b := newWorld(t, worldOpts{top: top})
	b.gw.auth = a.gw.auth
	b.gw.models["digits"].cfg.Rate = RateConfig{Rate: 0.001, Burst: 2}
	good := inferBody(digits.UCI().Row(1))
	for i, w := range []*world{a, b} {
		if st, body := w.infer(a.tokens["all"], good); st != 200 {
			t.Fatalf("replica %d: %d %s", i, st, body)
		}
	}
	if st, _ := b.infer(a.tokens["all"], good); st != 429 {
		t.Fatalf("third request across replicas: %d, want 429", st)
	}
}
