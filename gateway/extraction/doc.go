// Package extraction detects model-extraction and probing clients from the
// stream of queries they send to a deployed classifier.
//
// The detector is PRADA (M. Juuti, S. Szyller, S. Marchal, N. Asokan,
// "PRADA: Protecting Against DNN Model Stealing Attacks", IEEE EuroS&P 2019,
// arXiv:1805.02628). Benign clients send natural samples, whose minimum
// distances to earlier queries of the same predicted class are close to
// normally distributed; extraction attacks synthesise queries (small
// perturbations of earlier ones, or random noise) whose distances are not.
// The Shapiro–Wilk W statistic measures that departure from normality.
//
// What PRADA does and does not catch, measured in the tests on the UCI digits
// (64 features, a nearest-centroid model): benign clients replaying natural
// samples keep W above 0.92; Jacobian-augmentation attackers (Papernot et
// al.) fall below 0.7 and are flagged within 200 queries at the default
// delta of 0.90. Uniform random-noise queries are NOT caught: in 64
// dimensions their nearest-neighbour distances concentrate into a nearly
// normal distribution (W about 0.98). Natural-data attacks (Knockoff-style)
// are known to evade distance-based detectors too. Other gateway signals
// (input-space coverage, diversity) must cover those.
//
// Two more detectors sit beside PRADA. Blacklight (H. Li, S. Shan, E.
// Wenger, J. Zhang, H. Zheng, B. Y. Zhao, "Blacklight: Scalable Defense for
// Neural Networks against Query-Based Black-Box Attacks", USENIX Security
// 2022, arXiv:2006.14042) fingerprints each query (salted quantisation,
// hashes of sliding windows, the top-S hashes) and flags near-duplicates of
// earlier queries: it catches iterative attacks built from small
// perturbations, but not the Jacobian augmentation on the digits, which
// moves every feature by a fraction of a quantisation step. Signals watches
// volume and diversity: query rate over two windows, the share of repeated
// inputs, coverage of the input space (per-feature entropy: natural digits
// stay concentrated, uniform noise does not; this is what catches random
// queries) and systematically structured sequences (grid walks, line
// scans). Each keeps bounded state per client (MemoryPerClient,
// SignalsConfig.MemoryBound).
//
// Memory per client is bounded by Config.MemoryBound: Classes × MaxPerClass
// × (4·Dim + 8) bytes for the growing sets and their distances, plus
// 16 × MaxDistances for the distance window (arrival order and sorted), plus
// fixed struct sizes. A Tracker adds EntryOverhead and the key per client and
// one coefficient cache of at most MaxDistances²/4 float64 shared by all.
//
// ShapiroWilk implements the W test with Royston's algorithm:
// J. P. Royston, "Algorithm AS 181: The W test for normality", Applied
// Statistics 31 (1982) 176–180; "Approximating the Shapiro-Wilk W-test for
// non-normality", Statistics and Computing 2 (1992) 117–119; and
// "Remark AS R94: A remark on algorithm AS 181: the W-test for normality",
// Applied Statistics 44 (1995) 547–551. The coefficients come from Royston's
// polynomial approximations and the p-value from his normalising
// transformations of 1-W. It is written from those descriptions and checked
// against scipy.stats.shapiro (which implements AS R94) in testdata/.
package extraction
