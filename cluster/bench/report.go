package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// Units of metric values.
const (
	unitSeconds = "s"
	unitMillis  = "ms"
	unitMB      = "MB" // 10^6 bytes
	unitRate    = "obj/s"
)

// Goal is an upper bound on a metric's value or on its ratio to the baseline.
type Goal struct {
	OnRatio bool    `json:"onRatio"`
	Max     float64 `json:"max,omitempty"`
	OrEqual bool    `json:"orEqual"`
	// Min makes the goal a lower bound (rates): the value must reach it.
	Min float64 `json:"min,omitempty"`
}

// Metric is one line of the report.
type Metric struct {
	Name         string   `json:"name"`
	Unit         string   `json:"unit"`
	Value        float64  `json:"value"`
	Baseline     *float64 `json:"baseline,omitempty"`
	BaselineName string   `json:"baselineName,omitempty"`
	// Ratio compares value and baseline; each metric says which way
	// (up time / docker time, store rate / API rate).
	Ratio *float64 `json:"ratio,omitempty"`
	Goal  *Goal    `json:"goal,omitempty"`
	// GoalText is Goal as the table prints it.
	GoalText string `json:"goalText,omitempty"`
	Pass     *bool  `json:"pass,omitempty"`
	Note     string `json:"note,omitempty"`
}

// Report is the outcome of one run.
type Report struct {
	Started     time.Time         `json:"started"`
	Seconds     float64           `json:"seconds"`
	Environment map[string]string `json:"environment"`
	Metrics     []Metric          `json:"metrics"`
	Error       string            `json:"error,omitempty"`
}

// add appends a metric, judging it against its goal.
func (r *Report) add(m Metric) {
	if m.Goal != nil {
		m.GoalText = m.Goal.text(m.Unit)
		if pass, ok := m.Goal.judge(m); ok {
			m.Pass = &pass
		}
	}
	r.Metrics = append(r.Metrics, m)
}

// judge reports whether m meets g; ok is false when there is nothing to
// judge (a ratio goal without a ratio).
func (g Goal) judge(m Metric) (pass, ok bool) {
	v := m.Value
	if g.OnRatio {
		if m.Ratio == nil {
			return false, false
		}
		v = *m.Ratio
	}
	if g.Min > 0 {
		return v >= g.Min, true
	}
	if g.OrEqual {
		return v <= g.Max, true
	}
	return v < g.Max, true
}

func (g Goal) text(unit string) string {
	if g.Min > 0 {
		return fmt.Sprintf("≥ %s %s", trimFloat(g.Min), unit)
	}
	op := "<"
	if g.OrEqual {
		op = "≤"
	}
	if g.OnRatio {
		return fmt.Sprintf("ratio %s %s", op, trimFloat(g.Max))
	}
	return fmt.Sprintf("%s %s %s", op, trimFloat(g.Max), unit)
}

// trimFloat prints 2 as "2" and 2.5 as "2.5".
func trimFloat(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.3f", f), "0"), ".")
}

// formatValue prints v in unit with the precision that unit deserves.
func formatValue(v float64, unit string) string {
	switch unit {
	case unitSeconds:
		return fmt.Sprintf("%.2f s", v)
	case unitMillis:
		return fmt.Sprintf("%.1f ms", v)
	case unitMB:
		return fmt.Sprintf("%.1f MB", v)
	case unitRate:
		return fmt.Sprintf("%.0f obj/s", v)
	}
	return fmt.Sprintf("%g %s", v, unit)
}

func formatRatio(r *float64) string {
	if r == nil {
		return "-"
	}
	return fmt.Sprintf("%.2fx", *r)
}

func verdict(p *bool) string {
	switch {
	case p == nil:
		return "-"
	case *p:
		return "PASS"
	}
	return "MISS"
}

// WriteTable prints the report as an aligned table, then the notes.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "METRIC\tVALUE\tBASELINE\tRATIO\tGOAL\tRESULT")
	var notes []string
	for _, m := range r.Metrics {
		base := "-"
		if m.Baseline != nil {
			base = formatValue(*m.Baseline, m.Unit)
			if m.BaselineName != "" {
				base += " (" + m.BaselineName + ")"
			}
		}
		goal := m.GoalText
		if goal == "" {
			goal = "-"
		}
		name := m.Name
		if m.Note != "" {
			notes = append(notes, fmt.Sprintf("[%d] %s", len(notes)+1, m.Note))
			name += fmt.Sprintf(" [%d]", len(notes))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", name, formatValue(m.Value, m.Unit), base, formatRatio(m.Ratio), goal, verdict(m.Pass))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintln(w, n)
	}
	return nil
}

// WriteJSON writes the report to path.
func (r *Report) WriteJSON(path string) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep "<" in goals readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}
