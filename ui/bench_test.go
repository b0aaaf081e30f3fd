package ui

import (
	"runtime"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/minidev/mini/ui/data"
)

// BenchmarkPodUpdate: 1000 pods; each iteration one pod changes (one
// batch, as the source hands out) and a frame is rendered at 160x40.
func BenchmarkPodUpdate(b *testing.B) {
	m := New(Options{Cluster: "mini", Now: func() time.Time { return clock }})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 40})
	m.Update(batchMsg{Upserts: pods(1000, 0), Synced: true})
	next := pods(1000, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		m.Update(batchMsg{Upserts: []data.Object{next[i%1000]}})
		_ = m.View()
	}
}

// BenchmarkPodStorm: all 1000 pods change at once (what a second of
// "1000 pods changing once a second" coalesces into) and a frame renders.
func BenchmarkPodStorm(b *testing.B) {
	m := New(Options{Cluster: "mini", Now: func() time.Time { return clock }})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 40})
	versions := [][]data.Object{pods(1000, 0), pods(1000, 1)}
	m.Update(batchMsg{Upserts: versions[0], Synced: true})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		m.Update(batchMsg{Upserts: versions[i%2]})
		_ = m.View()
	}
	b.StopTimer()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heapMB")
}
