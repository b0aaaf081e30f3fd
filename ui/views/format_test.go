package views

import (
	"testing"
	"time"

	"github.com/minidev/mini/ui/data"
)

func TestCells(t *testing.T) {
	t.Parallel()
	tests := []struct{ got, want string }{
		{Age(45 * time.Second), "45s"},
		{Age(5*time.Minute + 10*time.Second), "5m10s"},
		{Age(2 * time.Hour), "120m"},
		{Age(3*time.Hour + 4*time.Minute), "3h4m"},
		{Age(49 * time.Hour), "2d1h"},
		{Age(800 * 24 * time.Hour), "2y"},
		{CPU(250), "250m"}, {CPU(2000), "2"}, {CPU(1500), "1.5"},
		{Mem(512 << 20), "512Mi"}, {Mem(8 << 30), "8Gi"}, {Mem(3 << 29), "1.5Gi"},
		{Share(500, 4000, CPU), "500m/4 (12%)"}, {Share(1, 0, CPU), "1m/-"},
		{Bar(1, 3, 10), "[##......]"}, {Bar(3, 3, 6), "[####]"}, {Bar(0, 0, 5), "[...]"},
		{Fit("abcdef", 4, false), "abc…"}, {Fit("ab", 4, true), "  ab"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestPodHealth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status string
		ready  int
		want   Health
	}{
		{"Running", 1, Good}, {"Running", 0, Progressing}, {"Pending", 0, Progressing},
		{"ContainerCreating", 0, Progressing}, {"CrashLoopBackOff", 0, Bad}, {"Init:ErrImagePull", 0, Bad},
		{"Completed", 0, Done}, {"Terminating", 1, Gone}, {"Error", 0, Bad},
	}
	for _, tt := range tests {
		if got := PodHealth(data.Pod{Status: tt.status, Ready: tt.ready, Total: 1}); got != tt.want {
			t.Errorf("%s ready %d: %d, want %d", tt.status, tt.ready, got, tt.want)
		}
	}
}

func TestLayout(t *testing.T) {
	t.Parallel()
	narrow, wide := Layout(PodColumns, 80), Layout(PodColumns, 160)
	if len(narrow.Header()) != 80 || len(wide.Header()) != 160 {
		t.Fatalf("header widths %d and %d", len(narrow.Header()), len(wide.Header()))
	}
}
