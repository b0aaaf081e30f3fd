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

// BenchmarkCreateParallel runs 16 concurrent writers with group commit as
// configured, with bbolt's freelist written in every commit (as before) and
// with one write per transaction.
func BenchmarkCreateParallel(b *testing.B) {
	for _, c := range writerConfigs {
		b.Run(c.name, func(b *testing.B) {
			benchParallel(b, openWriter(b, c.wo), 16)
		})
	}
}

// BenchmarkCreateWriters sweeps the number of concurrent writers: group
// commit must batch well at moderate concurrency too, not only at 16.
func BenchmarkCreateWriters(b *testing.B) {
	for _, c := range writerConfigs[:2] {
		for _, writers := range []int{1, 2, 4, 8, 16, 32} {
			b.Run(fmt.Sprintf("%s/writers=%d", c.name, writers), func(b *testing.B) {
				benchParallel(b, openWriter(b, c.wo), writers)
			})
		}
	}
}

var writerConfigs = []struct {
	name string
	wo   writerOptions
}{
	{"group", writerOptions{maxBatch: defaultMaxBatch}},
	{"group+freelist", writerOptions{maxBatch: defaultMaxBatch, syncFreelist: true}},
	{"batch=1", writerOptions{maxBatch: 1}},
}

func openWriter(b *testing.B, wo writerOptions) *Store {
	s, err := open(filepath.Join(b.TempDir(), "state.db"), Options{}, wo)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
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
