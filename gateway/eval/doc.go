// Package eval is the extraction evaluation harness of the runtime
// gateway (issue 6, item 10): real attacks on the digits model, sent over
// loopback HTTP through gateway/proxy to the OIP v2 server (gateway/oip)
// serving digits.Pretrained(), with the gateway's detectors on (PRADA,
// Blacklight, signals; the settings of examples/gateway/gateway.yaml) and
// policy "log", so every attack runs to its end.
//
// Each client has its own registry API key, so the gateway tells them
// apart. The gateway's decision is read from its own log (one line per
// request, naming the detector when the client is flagged) through a
// slog.Handler given as proxy.Options.Log; nothing is added to the proxy
// and no detector runs on the client side. The gateway's clock moves one
// second per query (proxy.Options.Now), so rate signals stay quiet and
// only the content of the queries can flag a client.
//
// Attacks, each against every hardening setting (none; label only; top-3
// then rounding to one decimal; reverse sigmoid β 0.7, γ 0.4):
//
//   - Jacobian-based dataset augmentation: N. Papernot, P. McDaniel,
//     I. Goodfellow, S. Jha, Z. B. Celik, A. Swami, "Practical Black-Box
//     Attacks against Machine Learning", ASIACCS 2017, arXiv:1602.02697.
//     Ten seeds (one per class) from the held-out set; each round fits the
//     surrogate and adds clip(x + λ·sign(∇ₓ z_c(x))) for every point, c its
//     victim label, λ = 0.1 of the pixel range.
//   - Uniform random queries in [0, 16]^64 (F. Tramèr et al., "Stealing
//     Machine Learning Models via Prediction APIs", USENIX Security 2016).
//   - Natural data, Knockoff-style: T. Orekondy, B. Schiele, M. Fritz,
//     "Knockoff Nets: Stealing Functionality of Black-Box Models", CVPR
//     2019: rows of the training split, in random order.
//
// The surrogate (our own 64→32→10 MLP, trained with Adam, D. P. Kingma,
// J. Ba, ICLR 2015, on the cross-entropy against the returned
// probabilities, or the one-hot label) is scored by its agreement with the
// victim's labels on the held-out split. Fifty benign clients replay
// held-out rows in random order; any flag on them is a false alarm.
// Detectors cited: PRADA, M. Juuti, S. Szyller, S. Marchal, N. Asokan,
// EuroS&P 2019; Blacklight, H. Li et al., USENIX Security 2022.
//
// Everything is seeded: the same Config gives the same report.
package eval
