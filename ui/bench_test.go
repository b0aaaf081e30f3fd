package ui

import (
	"runtime"
	"syscall"
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
	cpu := cpuTime()
	for i := 0; b.Loop(); i++ {
		m.Update(batchMsg{Upserts: []data.Object{next[i%1000]}})
		_ = m.View()
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
}

// cpuTime is the CPU time this process used so far (user and system): on
// a shared machine it says more than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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
	cpu := cpuTime()
	for i := 0; b.Loop(); i++ {
		m.Update(batchMsg{Upserts: versions[i%2]})
		_ = m.View()
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heapMB")
}
