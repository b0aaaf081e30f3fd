package bench

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func ptr(f float64) *float64 { return &f }

func TestGoal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		goal     Goal
		metric   Metric
		wantText string
		wantPass string
	}{
		{"ratio under", Goal{OnRatio: true, Max: 2}, Metric{Unit: unitSeconds, Value: 9, Ratio: ptr(1.9)}, "ratio < 2", "PASS"},
		{"ratio at the bound, strict", Goal{OnRatio: true, Max: 2}, Metric{Unit: unitSeconds, Value: 1, Ratio: ptr(2)}, "ratio < 2", "MISS"},
		{"ratio at the bound, or equal", Goal{OnRatio: true, Max: 3, OrEqual: true}, Metric{Unit: unitRate, Value: 1, Ratio: ptr(3)}, "ratio ≤ 3", "PASS"},
		{"ratio without a baseline", Goal{OnRatio: true, Max: 3}, Metric{Unit: unitRate, Value: 1}, "ratio < 3", "-"},
		{"value over", Goal{Max: 60}, Metric{Unit: unitMB, Value: 61.5}, "< 60 MB", "MISS"},
		{"value under, fractional bound", Goal{Max: 2.5}, Metric{Unit: unitSeconds, Value: 2.4}, "< 2.5 s", "PASS"},
		{"value judged, not the ratio", Goal{Max: 50}, Metric{Unit: unitMillis, Value: 12, Ratio: ptr(100)}, "< 50 ms", "PASS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var r Report
			m := tt.metric
			m.Goal = &tt.goal
			r.add(m)
			got := r.Metrics[0]
			if got.GoalText != tt.wantText {
				t.Errorf("goal text = %q, want %q", got.GoalText, tt.wantText)
			}
			if v := verdict(got.Pass); v != tt.wantPass {
				t.Errorf("verdict = %s, want %s", v, tt.wantPass)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		got, want string
	}{
		{formatValue(4.2049, unitSeconds), "4.20 s"},
		{formatValue(0.4567, unitMillis), "0.5 ms"},
		{formatValue(33.6921, unitMB), "33.7 MB"},
		{formatValue(1234.56, unitRate), "1235 obj/s"},
		{formatValue(3, "widgets"), "3 widgets"},
		{formatRatio(ptr(1.234)), "1.23x"},
		{formatRatio(nil), "-"},
		{trimFloat(2), "2"},
		{trimFloat(2.50), "2.5"},
		{trimFloat(0.125), "0.125"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestWriteTable(t *testing.T) {
	t.Parallel()
	var r Report
	r.add(Metric{Name: "up --nodes 3, median of 3", Unit: unitSeconds, Value: 4.2, Baseline: ptr(2.8), BaselineName: "docker", Ratio: ptr(1.5), Goal: &Goal{OnRatio: true, Max: 2}})
	r.add(Metric{Name: "agent peak RSS", Unit: unitMB, Value: 28, Goal: &Goal{Max: 25}, Note: "VmHWM"})
	r.add(Metric{Name: "info", Unit: unitMillis, Value: 1})
	var out bytes.Buffer
	if err := r.WriteTable(&out); err != nil {
		t.Fatal(err)
	}
	want := `METRIC                     VALUE    BASELINE         RATIO  GOAL       RESULT
up --nodes 3, median of 3  4.20 s   2.80 s (docker)  1.50x  ratio < 2  PASS
agent peak RSS [1]         28.0 MB  -                -      < 25 MB    MISS
info                       1.0 ms   -                -      -          -
[1] VmHWM
`
	if out.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestWriteJSON(t *testing.T) {
	t.Parallel()
	var r Report
	r.add(Metric{Name: "m", Unit: unitMB, Value: 10, Goal: &Goal{Max: 25}})
	path := filepath.Join(t.TempDir(), "bench-results.json")
	if err := r.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Metrics) != 1 || back.Metrics[0].Pass == nil || !*back.Metrics[0].Pass || back.Metrics[0].GoalText != "< 25 MB" {
		t.Errorf("round trip = %+v", back.Metrics)
	}
	if strings.Contains(string(b), `"baseline"`) {
		t.Errorf("a metric without a baseline writes one:\n%s", b)
	}
}
