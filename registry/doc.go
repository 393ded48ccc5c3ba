// Package registry is modelward's model registry: versions of models move
// through a lifecycle whose gates come from the policy (scanned clean,
// signed by a trusted identity, evaluated, approved), every change is
// authorised and written to a hash-chained audit log in the same
// transaction, and artifacts live in a content-addressed blob store.
//
// This package holds the vocabulary (versions, states, tokens, audit
// entries), the lifecycle rules and the Store interface; the stores
// themselves are registry/sqlite (the embedded default) and
// registry/postgres (for several instances), both checked by one suite,
// registry/storetest.
package registry
