package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

// benchValue is the size of a small Kubernetes object in JSON.
var benchValue = make([]byte, 1024)

func BenchmarkCreateSerial(b *testing.B) {
	s := openTest(b, Options{})
	ctx := context.Background()
	i := 0
	for b.Loop() {
		if _, err := s.Create(ctx, fmt.Sprint("/bench/", i), benchValue); err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportRates(b, s)
}

// BenchmarkCreateParallel runs 16 concurrent writers, with group commit and,
// for comparison, with one write per transaction.
func BenchmarkCreateParallel(b *testing.B) {
	for _, maxBatch := range []int{defaultMaxBatch, 1} {
		b.Run(fmt.Sprintf("batch=%d", maxBatch), func(b *testing.B) {
			s, err := open(filepath.Join(b.TempDir(), "state.db"), Options{}, maxBatch)
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = s.Close() }()
			benchParallel(b, s, 16)
		})
	}
}

func benchParallel(b *testing.B, s *Store, writers int) {
	ctx := context.Background()
	var n atomic.Int64
	b.ResetTimer()
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for {
				i := n.Add(1)
				if i > int64(b.N) {
					return
				}
				if _, err := s.Create(ctx, fmt.Sprint("/bench/", i), benchValue); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	reportRates(b, s)
}

func reportRates(b *testing.B, s *Store) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
	b.ReportMetric(float64(b.N)/float64(s.commits.Load()), "writes/commit")
}
