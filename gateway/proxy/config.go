package proxy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/modelward/modelward/gateway/harden"
	"github.com/modelward/modelward/gateway/ratelimit"
	"github.com/modelward/modelward/gateway/wire"
)

// MaxConfigBytes bounds the configuration file.
const MaxConfigBytes = 1 << 20

// Response policies for flagged clients.
const (
	PolicyLog      = "log"      // record the decision, answer as usual
	PolicyAlert    = "alert"    // also raise a registry alert (an audit entry, so webhooks carry it)
	PolicyDegrade  = "degrade"  // answer with the label only
	PolicyThrottle = "throttle" // hold the client to the model's throttle rate
	PolicyReview   = "review"   // hold each answer until a reviewer approves it (202 and a ticket)
	PolicyBlock    = "block"    // refuse with 403
)

var policies = []string{PolicyLog, PolicyAlert, PolicyDegrade, PolicyThrottle, PolicyReview, PolicyBlock}

// Config is the gateway's configuration file.
type Config struct {
	Listen        string        `yaml:"listen"`
	MetricsListen string        `yaml:"metrics_listen"`
	Limits        Limits        `yaml:"limits"`
	Auth          AuthConfig    `yaml:"auth"`
	Admin         AdminConfig   `yaml:"admin"`
	Redis         RedisConfig   `yaml:"redis"`
	Breaker       BreakerConfig `yaml:"breaker"`
	Review        ReviewConfig  `yaml:"review"`
	// Telemetry writes one prediction record per answered row; off when nil.
	Telemetry *TelemetryConfig `yaml:"telemetry"`
	Models    []ModelConfig    `yaml:"models"`
}

// ReviewConfig bounds the human-review queue (gateway/review); zero
// fields take its defaults.
type ReviewConfig struct {
	TTL             time.Duration `yaml:"ttl"` // how long a held answer waits for a decision
	MaxPending      int           `yaml:"max_pending"`
	MaxPerPrincipal int           `yaml:"max_per_principal"`
}

// TelemetryConfig sets the prediction-record file (gateway/telemetry).
type TelemetryConfig struct {
	Path     string  `yaml:"path"`
	Sample   float64 `yaml:"sample"` // share of records kept, (0, 1]; default 1
	MaxBytes int64   `yaml:"max_bytes"`
	Keep     int     `yaml:"keep"`
	// SaltFile holds a secret that keys the sampling, so that clients
	// cannot tell which of their queries go unrecorded.
	SaltFile string `yaml:"salt_file"`
}

// Limits bound every request and connection.
type Limits struct {
	MaxBodyBytes      int64         `yaml:"max_body_bytes"`
	MaxResponseBytes  int64         `yaml:"max_response_bytes"`
	MaxBatch          int           `yaml:"max_batch"`
	RequestTimeout    time.Duration `yaml:"request_timeout"`
	UpstreamTimeout   time.Duration `yaml:"upstream_timeout"`
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	IdleTimeout       time.Duration `yaml:"idle_timeout"`
	UpstreamIdle      time.Duration `yaml:"upstream_idle_timeout"`
}

// AuthConfig selects how callers are authenticated: registry API keys,
// JWTs, both, or (for a closed network only) none.
type AuthConfig struct {
	None     bool           `yaml:"none"`
	Registry *RegistryAuth  `yaml:"registry"`
	JWT      *JWTAuthConfig `yaml:"jwt"`
}

// RegistryAuth opens the registry's local store (DATA/registry.db).
type RegistryAuth struct {
	Data string        `yaml:"data"`
	Poll time.Duration `yaml:"poll"` // how often the audit log is read; default 250ms
}

// JWTAuthConfig configures bearer JWTs.
type JWTAuthConfig struct {
	Issuer      string   `yaml:"issuer"`
	Audiences   []string `yaml:"audiences"`
	JWKSFile    string   `yaml:"jwks_file"`
	JWKSURL     string   `yaml:"jwks_url"`
	Algorithms  []string `yaml:"algorithms"`
	ModelsClaim string   `yaml:"models_claim"`
	OpsClaim    string   `yaml:"ops_claim"`
}

// AdminConfig names the file holding the admin API key, which guards
// /admin and (without metrics_listen) /metrics.
type AdminConfig struct {
	KeyFile string `yaml:"key_file"`
}

// RedisConfig shares rate limits, quotas and flags across replicas when
// Addr is set.
type RedisConfig struct {
	Addr   string `yaml:"addr"`
	Prefix string `yaml:"prefix"`
}

// BreakerConfig sets every upstream's circuit breaker.
type BreakerConfig struct {
	Failures int           `yaml:"failures"` // consecutive failures that open it; default 5
	Cooldown time.Duration `yaml:"cooldown"` // how long it stays open; default 10s
}

// ModelConfig is one model the gateway serves.
type ModelConfig struct {
	Name      string       `yaml:"name"`
	Enabled   *bool        `yaml:"enabled"`
	Upstreams []string     `yaml:"upstreams"`
	Rate      RateConfig   `yaml:"rate"`
	ModelRate *RateConfig  `yaml:"model_rate"` // all principals together; optional
	Input     InputConfig  `yaml:"input"`
	Classes   int          `yaml:"classes"`
	Harden    HardenConfig `yaml:"harden"`
	Detect    DetectConfig `yaml:"detect"`
	Policy    string       `yaml:"policy"`
	// Throttle is a flagged client's limit under policy throttle;
	// default 1 query a second, burst 1.
	Throttle *RateConfig `yaml:"throttle"`
	// FlagTTL is how long a flagged client stays flagged; default 1h.
	FlagTTL time.Duration `yaml:"flag_ttl"`
	// Registry gates serving on the registry's deployed version.
	Registry *ModelRegistry `yaml:"registry"`
	// Protocol is what the upstreams speak: oip (default; KServe, Triton,
	// MLServer), tfserving, or json (a mapping of your own). Clients
	// always speak OIP v2 to the gateway.
	Protocol string `yaml:"protocol"`
	// UpstreamModel is the model's name on the upstreams; default Name.
	UpstreamModel string           `yaml:"upstream_model"`
	OIP           *OIPUpstream     `yaml:"oip"`
	TFServing     *TFServingConfig `yaml:"tfserving"`
	JSON          *JSONUpstream    `yaml:"json"`
}

// Upstream protocols.
const (
	ProtocolOIP       = "oip"
	ProtocolTFServing = "tfserving"
	ProtocolJSON      = "json"
)

// OIPUpstream mirrors wire.OIPConfig (the input name comes from input.name).
type OIPUpstream struct {
	Output  string `yaml:"output"`
	Version string `yaml:"version"`
}

// TFServingConfig mirrors wire.TFServingConfig.
type TFServingConfig struct {
	SignatureName string `yaml:"signature_name"`
	Version       string `yaml:"version"`
	Label         string `yaml:"label"`
	InputKey      string `yaml:"input_key"`
	OutputKey     string `yaml:"output_key"`
	Columnar      bool   `yaml:"columnar"`
}

// JSONUpstream mirrors wire.JSONConfig.
type JSONUpstream struct {
	Path           string `yaml:"path"`
	Template       string `yaml:"template"`
	InputPointer   string `yaml:"input_pointer"`
	OutputPointer  string `yaml:"output_pointer"`
	VersionPointer string `yaml:"version_pointer"`
	Softmax        bool   `yaml:"softmax"`
	ReadyPath      string `yaml:"ready_path"`
	MetadataPath   string `yaml:"metadata_path"`
}

// codec builds the model's upstream codec from its protocol settings.
func (m *ModelConfig) codec() (wire.Codec, error) {
	switch m.Protocol {
	case ProtocolOIP:
		c := wire.OIPConfig{Input: m.Input.Name}
		if m.OIP != nil {
			c.Output, c.Version = m.OIP.Output, m.OIP.Version
		}
		return wire.NewOIP(c)
	case ProtocolTFServing:
		c := wire.TFServingConfig{}
		if t := m.TFServing; t != nil {
			c = wire.TFServingConfig{SignatureName: t.SignatureName, Version: t.Version, Label: t.Label,
				InputKey: t.InputKey, OutputKey: t.OutputKey, Columnar: t.Columnar}
		}
		return wire.NewTFServing(c)
	case ProtocolJSON:
		j := m.JSON
		if j == nil {
			return nil, errors.New("protocol json needs a json: section")
		}
		return wire.NewJSON(wire.JSONConfig{Path: j.Path, Template: j.Template, InputPointer: j.InputPointer,
			OutputPointer: j.OutputPointer, VersionPointer: j.VersionPointer, Softmax: j.Softmax,
			ReadyPath: j.ReadyPath, MetadataPath: j.MetadataPath})
	}
	return nil, fmt.Errorf("protocol %q is not oip, tfserving or json", m.Protocol)
}

// ModelRegistry ties a served model to a registry model.
type ModelRegistry struct {
	Model string `yaml:"model"` // registry model name; default the served name
}

// RateConfig mirrors ratelimit.Limit.
type RateConfig struct {
	Rate  float64 `yaml:"rate"`
	Burst int     `yaml:"burst"`
	Daily int64   `yaml:"daily"`
}

// InputConfig is the model's single FP32 input and its valid range.
type InputConfig struct {
	Name     string  `yaml:"name"`
	Features int     `yaml:"features"`
	Min      float32 `yaml:"min"`
	Max      float32 `yaml:"max"`
}

// HardenConfig mirrors harden.Config.
type HardenConfig struct {
	Mode     string        `yaml:"mode"`
	K        int           `yaml:"k"`
	Decimals int           `yaml:"decimals"`
	Beta     float64       `yaml:"beta"`
	Gamma    float64       `yaml:"gamma"`
	Sigma    float64       `yaml:"sigma"`
	Seed     uint64        `yaml:"seed"`
	Stages   []HardenStage `yaml:"stages"`
}

// HardenStage mirrors harden.Stage.
type HardenStage struct {
	Mode     string  `yaml:"mode"`
	K        int     `yaml:"k"`
	Decimals int     `yaml:"decimals"`
	Beta     float64 `yaml:"beta"`
	Gamma    float64 `yaml:"gamma"`
	Sigma    float64 `yaml:"sigma"`
}

// DetectConfig switches the extraction detectors on. Zero fields take the
// detectors' defaults (gateway/extraction); every parameter can be set.
type DetectConfig struct {
	PRADA      *PRADAConfig      `yaml:"prada"`
	Blacklight *BlacklightConfig `yaml:"blacklight"`
	Signals    *SignalsConfig    `yaml:"signals"`
	MaxClients int               `yaml:"max_clients"`
	// MaxMemory, in bytes, lowers MaxClients so that the clients tracked
	// cannot hold more than this at the worst (every detector's bound per
	// client, times the clients); 0 sets no budget.
	MaxMemory int64 `yaml:"max_memory"`
	// IdleTTL forgets a client that sent nothing for this long.
	IdleTTL time.Duration `yaml:"idle_ttl"`
}

// PRADAConfig sets extraction.Config.
type PRADAConfig struct {
	Enabled      bool    `yaml:"enabled"`
	Threshold    float64 `yaml:"threshold"`     // delta: flag when W < threshold
	MinQueries   int     `yaml:"min_queries"`   // distances before W is tested
	MaxPerClass  int     `yaml:"max_per_class"` // growing-set members per class
	MaxDistances int     `yaml:"max_distances"` // the window W is computed over
}

// BlacklightConfig sets extraction.BlacklightConfig.
type BlacklightConfig struct {
	Enabled        bool    `yaml:"enabled"`
	Scale          float32 `yaml:"scale"`
	Step           int     `yaml:"step"`
	Window         int     `yaml:"window"`
	TopS           int     `yaml:"top_s"`
	MatchThreshold int     `yaml:"match_threshold"`
	AlarmCount     int     `yaml:"alarm_count"`
	MaxHashes      int     `yaml:"max_hashes"`
	Salt           string  `yaml:"salt"`
}

// SignalsConfig sets extraction.SignalsConfig.
type SignalsConfig struct {
	Enabled       bool          `yaml:"enabled"`
	ShortWindow   time.Duration `yaml:"short_window"`
	LongWindow    time.Duration `yaml:"long_window"`
	MaxShortRate  float64       `yaml:"max_short_rate"`
	MaxLongRate   float64       `yaml:"max_long_rate"`
	DigestRing    int           `yaml:"digest_ring"`
	MaxRepeat     float64       `yaml:"max_repeat"`
	Bins          int           `yaml:"bins"`
	MaxCoverage   float64       `yaml:"max_coverage"`
	FewCoords     int           `yaml:"few_coords"`
	MaxStructure  float64       `yaml:"max_structure"`
	StepRing      int           `yaml:"step_ring"`
	MinStepCoords int           `yaml:"min_step_coords"`
	MaxSignSteps  float64       `yaml:"max_sign_steps"`
	MinQueries    int           `yaml:"min_queries"`
}

// LoadConfig reads and checks a configuration file.
func LoadConfig(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxConfigBytes {
		return nil, fmt.Errorf("config %s is larger than %d bytes", path, MaxConfigBytes)
	}
	return ParseConfig(data)
}

// ParseConfig decodes YAML strictly (unknown fields are errors: a typo
// in a security setting must not silently leave it off) and checks it.
func ParseConfig(data []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("config: more than one YAML document")
	}
	c.defaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Config) defaults() {
	l := &c.Limits
	setDefault(&l.MaxBodyBytes, 1<<20)
	setDefault(&l.MaxResponseBytes, 4<<20)
	setDefault(&l.MaxBatch, 64)
	setDefault(&l.RequestTimeout, 30*time.Second)
	setDefault(&l.UpstreamTimeout, 10*time.Second)
	setDefault(&l.ReadHeaderTimeout, 10*time.Second)
	setDefault(&l.IdleTimeout, 60*time.Second)
	setDefault(&l.UpstreamIdle, 90*time.Second)
	setDefault(&c.Breaker.Failures, 5)
	setDefault(&c.Breaker.Cooldown, 10*time.Second)
	if c.Auth.Registry != nil {
		setDefault(&c.Auth.Registry.Poll, 250*time.Millisecond)
	}
	if c.Redis.Prefix == "" {
		c.Redis.Prefix = "modelward:gw:"
	}
	for i := range c.Models {
		m := &c.Models[i]
		if m.Policy == "" {
			m.Policy = PolicyLog
		}
		if m.Protocol == "" {
			m.Protocol = ProtocolOIP
		}
		if m.UpstreamModel == "" {
			m.UpstreamModel = m.Name
		}
		if m.Throttle == nil {
			m.Throttle = &RateConfig{Rate: 1, Burst: 1}
		}
		setDefault(&m.FlagTTL, time.Hour)
		setDefault(&m.Detect.MaxClients, 10000)
		if m.Harden.Mode == "" && len(m.Harden.Stages) == 0 {
			m.Harden.Mode = harden.ModeNone
		}
	}
}

func setDefault[T int | int64 | time.Duration](p *T, v T) {
	if *p <= 0 {
		*p = v
	}
}

// Validate checks what defaults cannot fill in.
func (c *Config) Validate() error {
	if c.Listen == "" {
		return errors.New("config: listen is required")
	}
	a := c.Auth
	if a.None == (a.Registry != nil || a.JWT != nil) {
		return errors.New("config: auth needs registry, jwt or both, or none: true alone")
	}
	if a.Registry != nil && a.Registry.Data == "" {
		return errors.New("config: auth.registry.data is required")
	}
	if j := a.JWT; j != nil && (j.Issuer == "" || len(j.Audiences) == 0 || (j.JWKSFile == "") == (j.JWKSURL == "")) {
		return errors.New("config: auth.jwt needs issuer, audiences and one of jwks_file or jwks_url")
	}
	if t := c.Telemetry; t != nil && (t.Path == "" || t.Sample < 0 || t.Sample > 1) {
		return errors.New("config: telemetry needs a path and a sample in (0, 1]")
	}
	if len(c.Models) == 0 {
		return errors.New("config: no models")
	}
	seen := map[string]bool{}
	for i := range c.Models {
		m := &c.Models[i]
		if err := m.validate(a.Registry != nil); err != nil {
			return fmt.Errorf("config: model %q: %w", m.Name, err)
		}
		if seen[m.Name] {
			return fmt.Errorf("config: model %q listed twice", m.Name)
		}
		seen[m.Name] = true
	}
	return nil
}

func (m *ModelConfig) validate(haveRegistry bool) error {
	if !plainName(m.Name, maxModelName) || m.Name == "." || m.Name == ".." {
		return errors.New("name must be 1-128 of A-Z a-z 0-9 _ . - starting with a letter or digit")
	}
	if len(m.Upstreams) == 0 {
		return errors.New("no upstreams")
	}
	for _, u := range m.Upstreams {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.RawQuery != "" || p.Fragment != "" {
			return fmt.Errorf("upstream %q is not an http(s) base URL", u)
		}
	}
	if err := m.Rate.limit().Validate(); err != nil {
		return fmt.Errorf("rate: %w", err)
	}
	if m.ModelRate != nil {
		if err := m.ModelRate.limit().Validate(); err != nil {
			return fmt.Errorf("model_rate: %w", err)
		}
	}
	if err := m.Throttle.limit().Validate(); err != nil {
		return fmt.Errorf("throttle: %w", err)
	}
	in := m.Input
	if in.Name == "" || in.Features < 1 || in.Features > 1<<16 || !(in.Min < in.Max) ||
		math.IsInf(float64(in.Min), 0) || math.IsInf(float64(in.Max), 0) {
		return errors.New("input needs name, features in [1, 65536] and finite min < max")
	}
	if m.Classes < 2 || m.Classes > harden.MaxClasses {
		return fmt.Errorf("classes must be in [2, %d]", harden.MaxClasses)
	}
	if m.Detect.MaxMemory < 0 {
		return errors.New("detect.max_memory must not be negative")
	}
	if !slices.Contains(policies, m.Policy) {
		return fmt.Errorf("policy %q is not one of %s", m.Policy, strings.Join(policies, ", "))
	}
	if m.Registry != nil && !haveRegistry {
		return errors.New("registry gating needs auth.registry")
	}
	if _, err := harden.New(m.Harden.config()); err != nil {
		return fmt.Errorf("harden: %w", err)
	}
	if _, err := m.codec(); err != nil {
		return err
	}
	return nil
}

func (r RateConfig) limit() ratelimit.Limit {
	return ratelimit.Limit{Rate: r.Rate, Burst: r.Burst, Daily: r.Daily}
}

// enabled reads the kill switch; absent means on.
func (m *ModelConfig) enabled() bool { return m.Enabled == nil || *m.Enabled }

func (h HardenConfig) config() harden.Config {
	c := harden.Config{Mode: h.Mode, K: h.K, Decimals: h.Decimals, Beta: h.Beta, Gamma: h.Gamma, Sigma: h.Sigma, Seed: h.Seed}
	for _, s := range h.Stages {
		c.Stages = append(c.Stages, harden.Stage{Mode: s.Mode, K: s.K, Decimals: s.Decimals, Beta: s.Beta, Gamma: s.Gamma, Sigma: s.Sigma})
	}
	return c
}
