// Package auth authenticates and authorises callers of the model gateway.
//
// A caller presents one bearer credential (RFC 6750, section 2.1) in the
// Authorization header. Two kinds are understood:
//
//   - API keys: registry tokens ("mwt_<id>_<secret>"), checked by a
//     KeyChecker (registry.Service). Revocation and expiry are the
//     registry's, so a revoked key stops working on the next request.
//   - JWTs (RFC 7519) signed as JWS compact serialisations (RFC 7515) and
//     verified against the issuer's JSON Web Key Set (RFC 7517), fetched from
//     the jwks_uri of an OpenID Connect provider (OpenID Connect Discovery 1.0,
//     section 3) or given inline.
//
// JWT verification follows the JSON Web Token Best Current Practices
// (RFC 8725): the algorithm comes from an allow-list of asymmetric
// algorithms (RFC 7518, section 3, and RFC 8037 for EdDSA) and must match the
// type of the key selected by "kid" (section 3.1: no "none", no HMAC keyed
// with a public key); "iss" must equal the configured issuer and "aud" must
// name one of the configured audiences (section 3.9); "exp" is required and
// "nbf"/"iat" are honoured with a small leeway (RFC 7519, section 4.1).
// Tokens are bounded in size before any decoding. A remote JWKS is cached
// and refetched on an unknown kid at most once a minute, so a forged kid
// cannot make the gateway hammer the issuer. An optional cache of verified
// tokens (keyed by SHA-256, never past "exp", at most CacheTTL) spares
// clients that resend their token the signature check.
//
// Authorisation is per model and per operation. A Principal carries the
// models ("*" for all) and operations it may use; its zero value may do
// nothing. API keys: any valid registry token, whatever its role, may
// "infer", read "metadata" and ask "ready" on the models in its scope (a
// token with no model scope covers every model). The registry's roles order
// lifecycle powers (publish, approve, administer); none of them is needed to
// call a deployed model, and asking consumers for a publisher token would
// hand them the power to push versions. Deny a key by scoping or revoking
// it. JWTs: the models and operations come from configurable claims (a
// JSON array of strings or a space-separated string, as OAuth's "scope" is,
// RFC 8693 section 4.2); when a claim is not configured, that dimension is
// unrestricted, and when it is configured but missing, nothing is allowed.
//
// Errors: ErrUnauthenticated (HTTP 401) never tells the client why, but the
// returned error wraps the reason for the logs; ErrForbidden (403); and
// ErrUnavailable (503) when the key store or the JWKS cannot be reached, so
// that an outage is not reported to clients as a bad credential. Status
// maps an error to its HTTP status.
package auth
