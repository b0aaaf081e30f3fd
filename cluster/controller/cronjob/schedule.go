package cronjob

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Schedule yields the activation times of a cron spec.
type Schedule interface {
	// Next returns the first activation strictly after t, or the zero
	// time if there is none within five years.
	Next(t time.Time) time.Time
}

// spec is a five-field schedule as bit sets, robfig/cron's SpecSchedule.
type spec struct {
	minute, hour, dom, month, dow uint64
	loc                           *time.Location
}

// every is @every <duration>, robfig/cron's ConstantDelaySchedule.
type every struct{ d time.Duration }

// starBit marks a field written "*" or "?" (without a step): with both
// day fields restricted, either may match; with one starred, both must.
const starBit = 1 << 63

type bounds struct {
	min, max uint
	names    map[string]uint
}

var fieldBounds = []bounds{
	{0, 59, nil},
	{0, 23, nil},
	{1, 31, nil},
	{1, 12, map[string]uint{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}},
	{0, 6, map[string]uint{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}},
}

var descriptors = map[string]string{
	"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
	"@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}

// Parse reads a standard cron spec (minute hour day-of-month month
// day-of-week, with lists, ranges, steps and names), a descriptor
// (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly,
// @every <duration>), optionally prefixed by TZ= or CRON_TZ=. Times are
// computed in loc unless the spec names its own zone.
func Parse(s string, loc *time.Location) (Schedule, error) {
	if loc == nil {
		loc = time.Local
	}
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ=") {
		zone, rest, ok := strings.Cut(s[strings.Index(s, "=")+1:], " ")
		if !ok {
			return nil, fmt.Errorf("schedule %q: no spec after the time zone", s)
		}
		l, err := time.LoadLocation(zone)
		if err != nil {
			return nil, fmt.Errorf("schedule %q: provided bad location %s: %w", s, zone, err)
		}
		loc, s = l, strings.TrimSpace(rest)
	}
	if d, ok := strings.CutPrefix(s, "@every "); ok {
		dur, err := time.ParseDuration(strings.TrimSpace(d))
		if err != nil {
			return nil, fmt.Errorf("schedule %q: %w", s, err)
		}
		return every{max(time.Second, dur.Truncate(time.Second))}, nil
	}
	if strings.HasPrefix(s, "@") {
		std, ok := descriptors[s]
		if !ok {
			return nil, fmt.Errorf("unrecognized descriptor: %s", s)
		}
		s = std
	}
	fields := strings.Fields(s)
	if len(fields) != 5 {
		return nil, fmt.Errorf("expected exactly 5 fields, found %d: %s", len(fields), fields)
	}
	var bits [5]uint64
	for i, f := range fields {
		for _, expr := range strings.Split(f, ",") {
			b, err := fieldBounds[i].parse(expr)
			if err != nil {
				return nil, err
			}
			bits[i] |= b
		}
	}
	return &spec{minute: bits[0], hour: bits[1], dom: bits[2], month: bits[3], dow: bits[4], loc: loc}, nil
}

// parse reads "*", "?", "a", "a-b", each optionally "/step".
func (r bounds) parse(expr string) (uint64, error) {
	rangePart, stepPart, hasStep := strings.Cut(expr, "/")
	lo, hi, isRange := strings.Cut(rangePart, "-") // "*-x" reads as "*", as robfig/cron
	var start, end uint
	var extra uint64
	var err error
	if lo == "*" || lo == "?" {
		start, end, extra = r.min, r.max, starBit
	} else {
		if start, err = r.value(lo); err != nil {
			return 0, err
		}
		end = start
		if isRange {
			if end, err = r.value(hi); err != nil {
				return 0, err
			}
		}
	}
	step := uint(1)
	if hasStep {
		if step, err = r.value(stepPart); err != nil {
			return 0, err
		}
		if !isRange && extra == 0 {
			end = r.max // "N/step" is "N-max/step"
		}
		if step > 1 {
			extra = 0
		}
	}
	switch {
	case start < r.min:
		return 0, fmt.Errorf("beginning of range (%d) below minimum (%d): %s", start, r.min, expr)
	case end > r.max:
		return 0, fmt.Errorf("end of range (%d) above maximum (%d): %s", end, r.max, expr)
	case start > end:
		return 0, fmt.Errorf("beginning of range (%d) beyond end of range (%d): %s", start, end, expr)
	case step == 0:
		return 0, fmt.Errorf("step of range should be a positive number: %s", expr)
	}
	var b uint64
	for i := start; i <= end; i += step {
		b |= 1 << i
	}
	return b | extra, nil
}

func (r bounds) value(s string) (uint, error) {
	if n, ok := r.names[strings.ToLower(s)]; ok {
		return n, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("failed to parse int from %s", s)
	}
	return uint(n), nil
}

// Next is robfig/cron's SpecSchedule.Next at minute precision: advance
// the largest field that does not match, resetting the smaller ones,
// wrapping to the top when a field overflows.
func (s *spec) Next(t time.Time) time.Time {
	orig := t.Location()
	t = t.In(s.loc).Truncate(time.Minute).Add(time.Minute)
	added := false
	yearLimit := t.Year() + 5
wrap:
	if t.Year() > yearLimit {
		return time.Time{}
	}
	for 1<<uint(t.Month())&s.month == 0 {
		if !added {
			added = true
			t = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, s.loc)
		}
		t = t.AddDate(0, 1, 0)
		if t.Month() == time.January {
			goto wrap
		}
	}
	for !s.dayMatches(t) {
		if !added {
			added = true
			t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, s.loc)
		}
		t = t.AddDate(0, 0, 1)
		// A daylight-saving change may leave midnight off by an hour.
		if h := t.Hour(); h != 0 {
			if h > 12 {
				t = t.Add(time.Duration(24-h) * time.Hour)
			} else {
				t = t.Add(-time.Duration(h) * time.Hour)
			}
		}
		if t.Day() == 1 {
			goto wrap
		}
	}
	for 1<<uint(t.Hour())&s.hour == 0 {
		if !added {
			added = true
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), 0, 0, 0, s.loc)
		}
		t = t.Add(time.Hour)
		if t.Hour() == 0 {
			goto wrap
		}
	}
	for 1<<uint(t.Minute())&s.minute == 0 {
		added = true
		t = t.Add(time.Minute)
		if t.Minute() == 0 {
			goto wrap
		}
	}
	return t.In(orig)
}

func (s *spec) dayMatches(t time.Time) bool {
	dom := 1<<uint(t.Day())&s.dom > 0
	dow := 1<<uint(t.Weekday())&s.dow > 0
	if s.dom&starBit > 0 || s.dow&starBit > 0 {
		return dom && dow
	}
	return dom || dow
}

// Next of @every: t plus the delay, to the whole second.
func (e every) Next(t time.Time) time.Time {
	return t.Add(e.d - time.Duration(t.Nanosecond()))
}
