package views

import (
	"fmt"
	"strings"
	"time"
)

// Age prints a duration the way kubectl does (HumanDuration): 45s, 3m,
// 5m10s, 2h, 3h4m, 4d, 2y.
func Age(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int(d.Round(time.Second) / time.Second)
	switch {
	case s < 120:
		return fmt.Sprintf("%ds", s)
	case s < 10*60:
		if s%60 == 0 {
			return fmt.Sprintf("%dm", s/60)
		}
		return fmt.Sprintf("%dm%ds", s/60, s%60)
	case s < 3*3600:
		return fmt.Sprintf("%dm", s/60)
	case s < 8*3600:
		if m := (s / 60) % 60; m != 0 {
			return fmt.Sprintf("%dh%dm", s/3600, m)
		}
		return fmt.Sprintf("%dh", s/3600)
	case s < 48*3600:
		return fmt.Sprintf("%dh", s/3600)
	case s < 8*24*3600:
		if h := (s / 3600) % 24; h != 0 {
			return fmt.Sprintf("%dd%dh", s/86400, h)
		}
		return fmt.Sprintf("%dd", s/86400)
	case s < 2*365*24*3600:
		return fmt.Sprintf("%dd", s/86400)
	default:
		return fmt.Sprintf("%dy", s/(365*86400))
	}
}

// since is Age from t to now, "<unknown>" for a zero time.
func since(t, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return Age(now.Sub(t))
}

// CPU prints millicores: 250m, 2, 1.5.
func CPU(milli int64) string {
	switch {
	case milli%1000 == 0:
		return fmt.Sprintf("%d", milli/1000)
	case milli < 1000:
		return fmt.Sprintf("%dm", milli)
	default:
		return fmt.Sprintf("%.1f", float64(milli)/1000)
	}
}

// Mem prints bytes in binary units: 512Mi, 7.6Gi.
func Mem(b int64) string {
	const ki, mi, gi = 1 << 10, 1 << 20, 1 << 30
	switch {
	case b >= gi:
		if b%gi == 0 {
			return fmt.Sprintf("%dGi", b/gi)
		}
		return fmt.Sprintf("%.1fGi", float64(b)/gi)
	case b >= mi:
		return fmt.Sprintf("%dMi", b/mi)
	case b >= ki:
		return fmt.Sprintf("%dKi", b/ki)
	}
	return fmt.Sprintf("%d", b)
}

// Share prints used of total as "used/total (p%)", or "used/-" without a total.
func Share(used, total int64, unit func(int64) string) string {
	if total <= 0 {
		return unit(used) + "/-"
	}
	return fmt.Sprintf("%s/%s (%d%%)", unit(used), unit(total), used*100/total)
}

// Bar draws done of total in width cells: [####....].
func Bar(done, total, width int) string {
	if width < 3 {
		return ""
	}
	inner := width - 2
	n := 0
	if total > 0 {
		n = min(inner, max(0, done*inner/total))
	}
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", inner-n) + "]"
}

// Ready prints n/m.
func Ready(n, m int) string { return fmt.Sprintf("%d/%d", n, m) }

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}
