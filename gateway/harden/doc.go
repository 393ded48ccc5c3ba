// Package harden degrades the probability vectors a classifier returns, so
// that the answers of a deployed model teach an extraction attacker less,
// while the label a client reads from them stays the model's own label.
//
// A Hardener applies a pipeline of stages to each probability vector:
//
//   - "none": the vector unchanged (after sanitising, see below);
//   - "label": label only, a one-hot vector on the top class;
//   - "topk": the K largest probabilities kept, the rest zeroed, renormalised;
//   - "round": probabilities rounded to Decimals decimal places by the
//     largest-remainder (Hamilton) method, so the rounded values still sum
//     to exactly 1 in units of 10^-Decimals;
//   - "reverse-sigmoid": the deceptive perturbation of T. Lee, B. Edwards,
//     I. Molloy, D. Su, "Defending Against Neural Network Model Stealing
//     Attacks Using Deceptive Perturbations", IEEE Security and Privacy
//     Workshops (DLS) 2019, arXiv:1806.00054. Per class,
//     r = β·(s(γ·s⁻¹(y)) − ½) with s the logistic sigmoid, y' = y − r,
//     clamped to [0, 1] and renormalised (the paper's normaliser α). We
//     compute s(γ·s⁻¹(y)) as 1 / (1 + ((1−y)/y)^γ), the same function, which
//     is exact at y = 0 and y = 1 without clipping;
//   - "noise": Gaussian noise N(0, σ²) added per class, clamped to [0, 1] and
//     renormalised. The generator is math/rand/v2's PCG seeded with
//     (Config.Seed, request nonce): one generator per request on the stack,
//     so there is no shared lock, and a test that fixes the nonce gets the
//     same output every time. Apply draws the nonce from a counter;
//     ApplyNonce takes it from the caller, who can pass a digest of the
//     input so that repeating a query returns the same noise and averaging
//     repeated answers gains the attacker nothing.
//
// Label-only, top-k and rounding are the countermeasures F. Tramèr, F. Zhang,
// A. Juels, M. K. Reiter, T. Ristenpart, "Stealing Machine Learning Models via
// Prediction APIs", USENIX Security 2016, discuss. Gaussian variates come
// from the Box–Muller transform (G. E. P. Box, M. E. Muller, Ann. Math.
// Statist. 29 (1958) 610–611).
//
// The top label invariant. The top class t is the argmax of the sanitised
// input, ties going to the lowest index (as numpy.argmax reads a vector).
// Unless Config.AllowLabelChange is set, after every stage the argmax of the
// vector, read the same way, is t again: if a stage moved it, the Hardener
// swaps the values of t and of the new argmax (one transposition, so the
// stage's values are all kept and only which class wears the largest one
// changes) and, if other classes still tie with t, moves one quantum from one
// of them to t so that t is strictly largest. The quantum is 10^-Decimals
// after rounding (the grid is kept) and 2^-20 otherwise. Every value stays in
// [0, 1] and the sum is unchanged.
//
// Hostile inputs. NaN, ±Inf and negative entries count as 0, then the vector
// is renormalised to sum 1, so an unnormalised score vector is accepted too.
// A vector with no positive finite mass, an empty one, one longer than
// MaxClasses, or an out of another length is refused: Apply returns -1 and
// out is cleared (left untouched when the lengths differ). Check reports
// such garbage as an error, for a proxy that prefers answering 502 to
// repairing an upstream's output.
//
// Apply allocates nothing: top-k and rounding find their threshold with a
// stack buffer, or, when neither the rank from the top nor from the bottom
// is within 64, by sorting a copy in a buffer borrowed from a sync.Pool.
//
// Agreement measures the effect of hardening in an evaluation: the fraction
// of labels on which a surrogate model agrees with the victim.
package harden
