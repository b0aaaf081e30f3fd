package apiserver

import "math/rand/v2"

// bitmap is a set of offsets 0..size-1, the state of a Service IP or node
// port range. Dynamic allocation (next) skips the offsets static reports
// and prefers offsets at or above low, leaving the lower band for
// explicit requests as kube-apiserver does (KEP-3070).
type bitmap struct {
	size   int
	low    int
	static func(int) bool
	words  []uint64
	used   int
}

func newBitmap(size, low int, static func(int) bool) *bitmap {
	if static == nil {
		static = func(int) bool { return false }
	}
	return &bitmap{size: size, low: min(low, size), static: static, words: make([]uint64, (size+63)/64)}
}

func (b *bitmap) has(i int) bool { return b.words[i/64]&(1<<(i%64)) != 0 }

// take marks i used; false if it already was.
func (b *bitmap) take(i int) bool {
	if b.has(i) {
		return false
	}
	b.words[i/64] |= 1 << (i % 64)
	b.used++
	return true
}

func (b *bitmap) release(i int) {
	if i < 0 || i >= b.size || !b.has(i) {
		return
	}
	b.words[i/64] &^= 1 << (i % 64)
	b.used--
}

// next takes a free offset, starting the scan of each band at a random
// place so that freed offsets are not handed out again at once.
func (b *bitmap) next() (int, bool) {
	if i, ok := b.scan(b.low, b.size); ok {
		return i, true
	}
	return b.scan(0, b.low)
}

// scan looks for a free, non-static offset in [from, to), wrapping around
// from a random start; whole used words are skipped.
func (b *bitmap) scan(from, to int) (int, bool) {
	n := to - from
	if n <= 0 {
		return 0, false
	}
	start := rand.IntN(n)
	for k := 0; k < n; k++ {
		i := from + (start+k)%n
		if i%64 == 0 && i+64 <= to && b.words[i/64] == ^uint64(0) && k+64 <= n {
			k += 63
			continue
		}
		if !b.has(i) && !b.static(i) {
			b.take(i)
			return i, true
		}
	}
	return 0, false
}
