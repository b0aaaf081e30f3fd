package bench

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	ms := func(ns ...int) []time.Duration {
		var ds []time.Duration
		for _, n := range ns {
			ds = append(ds, time.Duration(n)*time.Millisecond)
		}
		return ds
	}
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(100-i) * time.Millisecond // unsorted on purpose
	}
	tests := []struct {
		name string
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one value", ms(7), 99, 7 * time.Millisecond},
		{"median of three, unsorted", ms(30, 10, 20), 50, 20 * time.Millisecond},
		{"median of four is the lower middle", ms(4, 1, 3, 2), 50, 2 * time.Millisecond},
		{"p99 of 100", hundred, 99, 99 * time.Millisecond},
		{"p50 of 100", hundred, 50, 50 * time.Millisecond},
		{"p100 is the maximum", hundred, 100, 100 * time.Millisecond},
		{"p0 is the minimum", hundred, 0, 1 * time.Millisecond},
		{"p99 of 10 is the maximum", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := percentile(tt.in, tt.p); got != tt.want {
				t.Errorf("percentile(%v, %v) = %v, want %v", tt.in, tt.p, got, tt.want)
			}
		})
	}
}

func TestPercentileLeavesInputAlone(t *testing.T) {
	t.Parallel()
	in := []time.Duration{3, 1, 2}
	_ = percentile(in, 50)
	if in[0] != 3 || in[1] != 1 || in[2] != 2 {
		t.Errorf("percentile sorted its input: %v", in)
	}
}

func TestFastestRateRatio(t *testing.T) {
	t.Parallel()
	if got := fastest([]time.Duration{3 * time.Second, time.Second, 2 * time.Second}); got != time.Second {
		t.Errorf("fastest = %v, want 1s", got)
	}
	if got := fastest(nil); got != 0 {
		t.Errorf("fastest(nil) = %v, want 0", got)
	}
	tests := []struct {
		name string
		n    int
		d    time.Duration
		want float64
	}{
		{"2000 in 2 s", 2000, 2 * time.Second, 1000},
		{"no time", 10, 0, 0},
		{"half a second", 1, 500 * time.Millisecond, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := rate(tt.n, tt.d); got != tt.want {
				t.Errorf("rate(%d, %v) = %v, want %v", tt.n, tt.d, got, tt.want)
			}
		})
	}
	if r := ratio(1, 0); r != nil {
		t.Errorf("ratio(1, 0) = %v, want nil", *r)
	}
	if r := ratio(3, 2); r == nil || *r != 1.5 {
		t.Errorf("ratio(3, 2) = %v, want 1.5", r)
	}
}
