package eval

import (
	"math"
	"math/rand/v2"

	"github.com/modelward/modelward/gateway/digits"
)

const (
	nIn     = digits.Features
	nHidden = 32
	nOut    = digits.Classes
	// inScale maps pixels 0..16 to 0..1, as the victim does.
	inScale = 1.0 / digits.MaxPixel
)

// mlp is the attacker's surrogate: 64→32 ReLU→10 softmax, like the victim
// (Papernot et al. assume the architecture family is known). It is our
// own, not digits.Train, because it learns from soft targets (the
// returned probabilities) and its input gradient drives the Jacobian
// augmentation.
type mlp struct {
	w1 [nHidden * nIn]float64
	b1 [nHidden]float64
	w2 [nOut * nHidden]float64
	b2 [nOut]float64
}

// params lists the parameter slices in a fixed order, for Adam.
func (m *mlp) params() [][]float64 { return [][]float64{m.w1[:], m.b1[:], m.w2[:], m.b2[:]} }

func newMLP(rng *rand.Rand) *mlp {
	m := &mlp{}
	// He-uniform initialisation for the ReLU layer, Glorot for the output.
	a1 := math.Sqrt(6.0 / nIn)
	for i := range m.w1 {
		m.w1[i] = (rng.Float64()*2 - 1) * a1
	}
	a2 := math.Sqrt(6.0 / (nHidden + nOut))
	for i := range m.w2 {
		m.w2[i] = (rng.Float64()*2 - 1) * a2
	}
	return m
}

// forward returns the hidden activations and the logits for one image.
func (m *mlp) forward(x []float32) (h [nHidden]float64, z [nOut]float64) {
	for j := range h {
		s := m.b1[j]
		w := m.w1[j*nIn : (j+1)*nIn]
		for i, v := range x[:nIn] {
			s += w[i] * float64(v) * inScale
		}
		h[j] = max(s, 0)
	}
	for k := range z {
		s := m.b2[k]
		w := m.w2[k*nHidden : (k+1)*nHidden]
		for j, v := range h {
			s += w[j] * v
		}
		z[k] = s
	}
	return h, z
}

func softmax(z [nOut]float64) (p [nOut]float64) {
	top := math.Inf(-1)
	for _, v := range z {
		top = max(top, v)
	}
	var sum float64
	for k, v := range z {
		p[k] = math.Exp(v - top)
		sum += p[k]
	}
	for k := range p {
		p[k] /= sum
	}
	return p
}

// label is the surrogate's prediction (ties to the lowest index).
func (m *mlp) label(x []float32) int {
	_, z := m.forward(x)
	best := 0
	for k := range z {
		if z[k] > z[best] {
			best = k
		}
	}
	return best
}

// gradSign is sign(∂z_c/∂x), the direction of Papernot et al.'s Jacobian
// augmentation for class c: through the ReLU mask, W1ᵀ(mask ⊙ W2[c]).
func (m *mlp) gradSign(x []float32, c int) []float32 {
	h, _ := m.forward(x)
	var back [nHidden]float64
	for j := range back {
		if h[j] > 0 {
			back[j] = m.w2[c*nHidden+j]
		}
	}
	out := make([]float32, nIn)
	for i := range out {
		var g float64
		for j, b := range back {
			g += b * m.w1[j*nIn+i]
		}
		switch {
		case g > 0:
			out[i] = 1
		case g < 0:
			out[i] = -1
		}
	}
	return out
}

// trainSet is what an attacker collected: inputs and target distributions.
type trainSet struct {
	x [][]float32
	y [][nOut]float64
}

func (s *trainSet) add(x []float32, y [nOut]float64) {
	s.x = append(s.x, x)
	s.y = append(s.y, y)
}

// trainMLP fits a fresh surrogate with mini-batch Adam (Kingma & Ba 2015)
// on the cross-entropy against soft targets, for a fixed number of steps
// so that small and large sets cost the same.
func trainMLP(s *trainSet, steps int, seed uint64) *mlp {
	rng := rand.New(rand.NewPCG(seed, 0x73757272)) // "surr"
	m := newMLP(rng)
	if len(s.x) == 0 {
		return m
	}
	const batch, lr, b1, b2, eps, decay = 32, 0.005, 0.9, 0.999, 1e-8, 1e-4
	ps := m.params()
	g := &mlp{}
	gs := g.params()
	mom, vel := zeros(ps), zeros(ps)
	for t := 1; t <= steps; t++ {
		*g = mlp{}
		for range batch {
			i := rng.IntN(len(s.x))
			m.backprop(g, s.x[i], s.y[i])
		}
		c1, c2 := 1-math.Pow(b1, float64(t)), 1-math.Pow(b2, float64(t))
		for p := range ps {
			wd := decay
			if p%2 == 1 { // biases are not decayed
				wd = 0
			}
			for i := range ps[p] {
				gr := gs[p][i]/batch + wd*ps[p][i]
				mom[p][i] = b1*mom[p][i] + (1-b1)*gr
				vel[p][i] = b2*vel[p][i] + (1-b2)*gr*gr
				ps[p][i] -= lr * (mom[p][i] / c1) / (math.Sqrt(vel[p][i]/c2) + eps)
			}
		}
	}
	return m
}

func zeros(ps [][]float64) [][]float64 {
	out := make([][]float64, len(ps))
	for i, p := range ps {
		out[i] = make([]float64, len(p))
	}
	return out
}

// backprop adds the gradient of the cross-entropy of one example to g.
func (m *mlp) backprop(g *mlp, x []float32, y [nOut]float64) {
	h, z := m.forward(x)
	p := softmax(z)
	var dh [nHidden]float64
	for k := range p {
		d := p[k] - y[k]
		g.b2[k] += d
		for j := range h {
			g.w2[k*nHidden+j] += d * h[j]
			dh[j] += d * m.w2[k*nHidden+j]
		}
	}
	for j := range dh {
		if h[j] <= 0 {
			continue
		}
		g.b1[j] += dh[j]
		for i, v := range x[:nIn] {
			g.w1[j*nIn+i] += dh[j] * float64(v) * inScale
		}
	}
}
