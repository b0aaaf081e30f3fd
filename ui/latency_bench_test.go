package ui

import (
	"context"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/minidev/mini/ui/data"
)

// probe wraps the model in a real program and notes when a frame (View)
// first shows the effect of a key press.
type probe struct {
	*Model
	keys     atomic.Int64
	seen     int64
	rendered chan time.Time
}

func (p *probe) Init() tea.Cmd { return p.Model.Init() }

func (p *probe) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := p.Model.Update(msg)
	if _, ok := msg.(tea.KeyPressMsg); ok {
		p.keys.Add(1)
	}
	return p, cmd
}

func (p *probe) View() tea.View {
	v := p.Model.View()
	if n := p.keys.Load(); n > p.seen {
		p.seen = n
		p.rendered <- time.Now()
	}
	return v
}

// runChurn sends batches to p until ctx ends.
func runChurn(ctx context.Context, p *tea.Program, gap time.Duration) {
	versions := [][]data.Object{pods(1000, 0), pods(1000, 1)}
	per := max(1, int(1000*gap/time.Second))
	t := time.NewTicker(gap)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		start := (i * per) % 1000
		v := versions[(i*per/1000)%2]
		p.Send(batchMsg{Upserts: v[start:min(1000, start+per)]})
	}
}

// BenchmarkKeyToFrame: a real program (renderer included, output
// discarded) over 1000 pods, each changing once a second, while keys are
// pressed: the time from sending a key to the View that shows it. The
// batches come every 50ms (the Source's MinGap: 50 pods each) or once a
// second (all 1000 at once). Reports p50/p99/max in ms, and the heap and
// RSS after the run.
func BenchmarkKeyToFrame(b *testing.B) {
	for _, gap := range []time.Duration{50 * time.Millisecond, time.Second} {
		b.Run("batch="+gap.String(), func(b *testing.B) {
			ctx, cancel := context.WithCancel(b.Context())
			defer cancel()
			m := New(Options{Context: ctx, Cluster: "mini", Now: func() time.Time { return clock }, Tick: time.Second})
			m.Update(batchMsg{Upserts: pods(1000, 0), Synced: true})
			pr := &probe{Model: m, rendered: make(chan time.Time, 1)}
			p := tea.NewProgram(pr, tea.WithContext(ctx), tea.WithInput(nil), tea.WithOutput(io.Discard),
				tea.WithWindowSize(160, 40), tea.WithoutSignalHandler())
			done := make(chan struct{})
			go func() { defer close(done); _, _ = p.Run() }()
			go runChurn(ctx, p, gap)
			time.Sleep(100 * time.Millisecond) // the program is up
			keys := []tea.KeyPressMsg{press("down"), press("down"), press("2"), press("3"), {Code: tea.KeyUp}}
			var lat []time.Duration
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				sent := time.Now()
				p.Send(keys[i%len(keys)])
				lat = append(lat, (<-pr.rendered).Sub(sent))
				time.Sleep(7 * time.Millisecond) // a fast typist, and time for batches to land
			}
			b.StopTimer()
			slices.Sort(lat)
			q := func(f float64) float64 { return float64(lat[int(f*float64(len(lat)-1))]) / 1e6 }
			b.ReportMetric(q(0.5), "p50-ms")
			b.ReportMetric(q(0.99), "p99-ms")
			b.ReportMetric(q(1), "max-ms")
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
			b.ReportMetric(rssMB(), "rss-MB")
			cancel()
			<-done
		})
	}
}

// rssMB is this process's resident set size (Linux), 0 elsewhere.
func rssMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return float64(kb) / 1024
		}
	}
	return 0
}
