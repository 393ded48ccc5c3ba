// Package proxy is the runtime gateway: a reverse proxy for Open Inference
// Protocol v2 upstreams (the KServe "V2 inference protocol" REST API that
// KServe, Triton and MLServer speak) that wires together the gateway's
// building blocks.
//
// Every request is authenticated before it is routed (gateway/auth: registry
// API keys or JWTs, RFC 6750 bearer tokens); the route is matched exactly on
// the raw path, so encoded slashes or dots, double slashes and case variants
// name no route. Then, for POST /v2/models/{name}/infer:
//
//  1. the principal's scope must cover the model and the operation (403);
//  2. the model must be enabled and, when gated on the registry, have a
//     deployed version (503);
//  3. rate limits per principal and per model (gateway/ratelimit, GCRA;
//     429 with Retry-After as in RFC 9110, section 10.2.3);
//  4. the body is bounded (413) and parsed by gateway/oip's strict parser,
//     and every value must lie in the configured input range (400); the
//     request forwarded upstream is rebuilt from the parsed form;
//  5. an upstream is picked round robin among those whose circuit breaker
//     (M. Nygard, "Release It!", 2007) lets calls through; unreachable or
//     5xx upstreams and malformed answers are 502, slow ones 504;
//  6. the "probabilities" output feeds the extraction detectors
//     (gateway/extraction: PRADA, Juuti et al. 2019; Blacklight, Li et al.
//     2022; volume and diversity signals) per model and principal;
//  7. the model's response policy acts on a flagged client: log, alert,
//     degrade (label only) or block (403, also for its later requests
//     for flag_ttl);
//  8. the output is hardened (gateway/harden) and answered in OIP v2 form.
//
// GET /v2/models/{name} and /v2/models/{name}/ready are passed through
// after the same checks (no validation or detection); /v2/health/live is
// the gateway's own, /v2/health/ready says whether any model is servable.
// Errors are RFC 9457 problem details that also carry OIP's "error" member.
//
// /admin/models/{name}/disable and /enable (the kill switch) and /metrics
// (Prometheus, through client_golang) take the admin key only.
// One JSON log line per request names the principal, model, status and
// latency, and the detector's decision when one flagged; never a credential
// or an input.
package proxy
