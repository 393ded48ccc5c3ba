package digits

import (
	"math"
	"math/rand/v2"
)

// Hidden is the width of the model's hidden layer.
const Hidden = 32

// maxInput bounds the magnitude of an input value in Predict.
const maxInput = 1e6

// inputScale maps pixel values 0..16 to 0..1 before the first layer.
const inputScale = 1.0 / MaxPixel

// Model is a multilayer perceptron: 64 inputs (raw pixel values 0..16,
// scaled by 1/16 inside the model), 32 hidden ReLU units, and a softmax over
// the 10 digits. Weights are float32, laid out as PyTorch's nn.Linear keeps
// them (out × in, row-major). A Model is safe for concurrent use once built.
type Model struct {
	W1 [Hidden * Features]float32 // fc1.weight: Hidden rows of Features
	B1 [Hidden]float32            // fc1.bias
	W2 [Classes * Hidden]float32  // fc2.weight: Classes rows of Hidden
	B2 [Classes]float32           // fc2.bias
}

// Predict returns the probability of each digit for one image of Features
// pixel values (0..16 as in the data set; other values are clamped to
// ±1e6 so that no sum overflows; NaN stays NaN). It does not allocate. It panics when len(x) != Features, a
// programming error: callers that take input from outside check it first.
func (m *Model) Predict(x []float32) (probs [Classes]float32) {
	x = x[:Features:Features]
	var h [Hidden]float32
	for j := range h {
		w := m.W1[j*Features : (j+1)*Features : (j+1)*Features]
		s := float32(0)
		for i, v := range x {
			v = min(max(v, -maxInput), maxInput)
			// The conversion keeps the product rounded on its own: Go may
			// otherwise fuse it into a multiply-add on some processors,
			// and results would differ from machine to machine.
			s += float32(w[i] * v)
		}
		s = m.B1[j] + float32(s*inputScale)
		h[j] = max(s, 0)
	}
	var z [Classes]float64
	top := math.Inf(-1)
	for k := range z {
		w := m.W2[k*Hidden : (k+1)*Hidden : (k+1)*Hidden]
		s := m.B2[k]
		for j, v := range h {
			s += float32(w[j] * v)
		}
		z[k] = float64(s)
		top = max(top, z[k])
	}
	var sum float64
	for k := range z {
		z[k] = expNeg(z[k] - top)
		sum += z[k]
	}
	for k := range probs {
		probs[k] = float32(z[k] / sum)
	}
	return probs
}

// Label returns the most probable digit of probs (the lowest on a tie).
func Label(probs [Classes]float32) int {
	best := 0
	for k, p := range probs {
		if p > probs[best] {
			best = k
		}
	}
	return best
}

// Accuracy returns the fraction of d's rows that m labels correctly.
func (m *Model) Accuracy(d *Dataset) float64 {
	if d.Len() == 0 {
		return 0
	}
	right := 0
	for i, y := range d.Y {
		if Label(m.Predict(d.Row(i))) == int(y) {
			right++
		}
	}
	return float64(right) / float64(d.Len())
}

// expNeg returns e**x for x <= 0 with float64 arithmetic only, rounded the
// same way on every processor (math.Exp uses fused multiply-adds where the
// processor has them, which changes its last bits). Relative error is
// below 1e-15, far under float32's precision.
func expNeg(x float64) float64 {
	if x < -745 || math.IsNaN(x) {
		return 0
	}
	if x > 0 {
		x = 0
	}
	const ln2Hi, ln2Lo = 6.93147180369123816490e-01, 1.90821492927058770002e-10
	k := math.Floor(float64(x*math.Log2E) + 0.5)
	r := float64(x-float64(k*ln2Hi)) - float64(k*ln2Lo)
	// Taylor series of e**r, |r| <= ln2/2, by Horner's rule.
	p := 1.0 / 6227020800 // 1/13!
	for _, c := range [...]float64{
		1.0 / 479001600, 1.0 / 39916800, 1.0 / 3628800, 1.0 / 362880,
		1.0 / 40320, 1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1, 1,
	} {
		p = float64(p*r) + c
	}
	return math.Ldexp(p, int(k))
}

// TrainConfig sets how Train fits a model.
type TrainConfig struct {
	Seed         uint64  // initial weights and the order of examples
	Epochs       int     // passes over the training set
	BatchSize    int     // examples per Adam step
	LearningRate float64 // Adam's step size
	WeightDecay  float64 // L2 penalty on the weights (not the biases)
}

// DefaultTrainConfig is the configuration of the committed model.
func DefaultTrainConfig() TrainConfig {
	return TrainConfig{Seed: 1, Epochs: 60, BatchSize: 32, LearningRate: 0.003, WeightDecay: 1e-4}
}

// Train fits a model to d with mini-batch Adam on the cross-entropy loss.
// Arithmetic is in float64 and never fused, so the result depends only on
// d and cfg, on every processor.
func Train(d *Dataset, cfg TrainConfig) *Model {
	if cfg.Epochs <= 0 || cfg.BatchSize <= 0 || cfg.LearningRate <= 0 {
		cfg = DefaultTrainConfig()
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x6d6c702d696e6974)) // "mlp-init"
	t := newTrainer(rng)
	order := make([]int, d.Len())
	for i := range order {
		order[i] = i
	}
	x := make([]float64, Features)
	for range cfg.Epochs {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for start := 0; start < len(order); start += cfg.BatchSize {
			batch := order[start:min(start+cfg.BatchSize, len(order))]
			t.zeroGrad()
			for _, i := range batch {
				for f, v := range d.Row(i) {
					x[f] = float64(v) * inputScale
				}
				t.backprop(x, int(d.Y[i]))
			}
			t.step(cfg, len(batch))
		}
	}
	return t.model()
}

// trainer holds float64 parameters, their gradients and Adam's moments,
// all flattened in the order W1, B1, W2, B2.
type trainer struct {
	p, g, m, v []float64
	b1t, b2t   float64 // beta1**steps, beta2**steps
	h, z       []float64
}

const (
	offW1   = 0
	offB1   = offW1 + Hidden*Features
	offW2   = offB1 + Hidden
	offB2   = offW2 + Classes*Hidden
	nParams = offB2 + Classes
)

func newTrainer(rng *rand.Rand) *trainer {
	t := &trainer{
		p: make([]float64, nParams), g: make([]float64, nParams),
		m: make([]float64, nParams), v: make([]float64, nParams),
		h: make([]float64, Hidden), z: make([]float64, Classes),
		b1t: 1, b2t: 1,
	}
	// He-uniform weights, zero biases.
	lim1 := math.Sqrt(6.0 / Features)
	for i := offW1; i < offB1; i++ {
		t.p[i] = float64(float64(rng.Float64()*2-1) * lim1)
	}
	lim2 := math.Sqrt(6.0 / Hidden)
	for i := offW2; i < offB2; i++ {
		t.p[i] = float64(float64(rng.Float64()*2-1) * lim2)
	}
	return t
}

func (t *trainer) zeroGrad() { clear(t.g) }

// backprop adds one example's gradient of the cross-entropy loss to t.g.
func (t *trainer) backprop(x []float64, y int) {
	w1, b1 := t.p[offW1:offB1], t.p[offB1:offW2]
	w2, b2 := t.p[offW2:offB2], t.p[offB2:]
	for j := range t.h {
		s := b1[j]
		for i, v := range x {
			s += float64(w1[j*Features+i] * v)
		}
		t.h[j] = max(s, 0)
	}
	top := math.Inf(-1)
	for k := range t.z {
		s := b2[k]
		for j, v := range t.h {
			s += float64(w2[k*Hidden+j] * v)
		}
		t.z[k] = s
		top = max(top, s)
	}
	var sum float64
	for k := range t.z {
		t.z[k] = expNeg(t.z[k] - top)
		sum += t.z[k]
	}
	// dL/dz = softmax - onehot.
	for k := range t.z {
		t.z[k] /= sum
		if k == y {
			t.z[k]--
		}
	}
	gw1, gb1 := t.g[offW1:offB1], t.g[offB1:offW2]
	gw2, gb2 := t.g[offW2:offB2], t.g[offB2:]
	for k, dz := range t.z {
		gb2[k] += dz
		for j, v := range t.h {
			gw2[k*Hidden+j] += float64(dz * v)
		}
	}
	for j, hj := range t.h {
		if hj <= 0 {
			continue
		}
		var dh float64
		for k, dz := range t.z {
			dh += float64(w2[k*Hidden+j] * dz)
		}
		gb1[j] += dh
		for i, v := range x {
			gw1[j*Features+i] += float64(dh * v)
		}
	}
}

// step applies one Adam update with the gradient averaged over n examples.
func (t *trainer) step(cfg TrainConfig, n int) {
	const beta1, beta2, eps = 0.9, 0.999, 1e-8
	t.b1t *= beta1
	t.b2t *= beta2
	c1, c2 := 1-t.b1t, 1-t.b2t
	inv := 1 / float64(n)
	for i := range t.p {
		g := float64(t.g[i] * inv)
		if i < offB1 || (i >= offW2 && i < offB2) {
			g += float64(cfg.WeightDecay * t.p[i])
		}
		t.m[i] = float64(beta1*t.m[i]) + float64((1-beta1)*g)
		t.v[i] = float64(beta2*t.v[i]) + float64(float64((1-beta2)*g)*g)
		mhat := t.m[i] / c1
		vhat := t.v[i] / c2
		t.p[i] -= float64(cfg.LearningRate*mhat) / (math.Sqrt(vhat) + eps)
	}
}

func (t *trainer) model() *Model {
	m := &Model{}
	for i := range m.W1 {
		m.W1[i] = float32(t.p[offW1+i])
	}
	for i := range m.B1 {
		m.B1[i] = float32(t.p[offB1+i])
	}
	for i := range m.W2 {
		m.W2[i] = float32(t.p[offW2+i])
	}
	for i := range m.B2 {
		m.B2[i] = float32(t.p[offB2+i])
	}
	return m
}
