package main

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/modelward/modelward/registry"
	"github.com/modelward/modelward/registry/webhook"
)

// webhookFile is the shape of --webhooks: a list of endpoints whose secrets
// live in files of their own (whsec_<base64>), never in the list.
type webhookFile []struct {
	URL        string   `yaml:"url"`
	SecretFile string   `yaml:"secret_file"`
	Actions    []string `yaml:"actions"`
	Models     []string `yaml:"models"`
}

// loadWebhooks reads the endpoints file; relative secret files are taken
// relative to it.
func loadWebhooks(path string) ([]webhook.Endpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("webhooks: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var f webhookFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("webhooks %s: %w", path, err)
	}
	var out []webhook.Endpoint
	for i, e := range f {
		if e.SecretFile == "" {
			return nil, fmt.Errorf("webhooks %s: endpoint %d has no secret_file", path, i+1)
		}
		sf := e.SecretFile
		if !filepath.IsAbs(sf) {
			sf = filepath.Join(filepath.Dir(path), sf)
		}
		raw, err := os.ReadFile(sf)
		if err != nil {
			return nil, fmt.Errorf("webhooks %s: endpoint %d: %w", path, i+1, err)
		}
		secret, err := webhook.ParseSecret(strings.TrimSpace(string(raw)))
		if err != nil {
			return nil, fmt.Errorf("webhooks %s: endpoint %d: %w", path, i+1, err)
		}
		out = append(out, webhook.Endpoint{URL: e.URL, Secret: secret, Actions: e.Actions, Models: e.Models})
	}
	return out, nil
}

// newDispatcher builds the webhook dispatcher of a server, or nil when no
// endpoints are configured. Cursors live in DATA/webhooks.
func newDispatcher(f serveFlags, svc *registry.Service, log *slog.Logger) (*webhook.Dispatcher, error) {
	if f.webhooks == "" {
		return nil, nil
	}
	eps, err := loadWebhooks(f.webhooks)
	if err != nil {
		return nil, err
	}
	return webhook.New(svc.Store(), svc.Events(), eps, webhook.Options{
		Logger: log,
		Cursor: webhook.FileCursors(filepath.Join(f.data, "webhooks")),
		// Other processes append to the same log (the gateway's alerts, a
		// --local command): read it every second, not only on events of
		// this process, so their entries are delivered promptly.
		Poll: time.Second,
	})
}
