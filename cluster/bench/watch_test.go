package bench

import (
	"slices"
	"testing"
	"time"
)

func TestLatencies(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	calls := map[string]call{
		"a": {start: at(0), end: at(20)},
		"b": {start: at(10), end: at(15)},
	}
	arrivals := [][]arrival{
		{{"a", at(12)}, {"b", at(14)}},            // both before their call returned
		{{"a", at(30)}, {"b", at(40)}},            // later watcher
		{{"sentinel", at(1)}, {"unknown", at(2)}}, // not created by the test: ignored
	}
	fromStart, spread := latencies(arrivals, calls)
	ms := func(ns ...int) []time.Duration {
		var ds []time.Duration
		for _, n := range ns {
			ds = append(ds, time.Duration(n)*time.Millisecond)
		}
		return ds
	}
	if want := ms(12, 4, 30, 30); !slices.Equal(fromStart, want) {
		t.Errorf("fromStart = %v, want %v", fromStart, want)
	}
	if want := ms(0, 0, 18, 26); !slices.Equal(spread, want) {
		t.Errorf("spread = %v, want %v", spread, want)
	}
}
