package cronjob

import (
	"testing"
	"time"
)

func TestScheduleNext(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04:05 Mon", s, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		spec string
		loc  *time.Location
		from string
		want string // in UTC, "" for none
	}{
		{"*/1 * * * *", time.UTC, "2026-03-10 10:00:30 Tue", "2026-03-10 10:01:00 Tue"},
		{"* * * * *", time.UTC, "2026-03-10 10:00:00 Tue", "2026-03-10 10:01:00 Tue"},
		{"*/15 * * * *", time.UTC, "2026-03-10 10:16:00 Tue", "2026-03-10 10:30:00 Tue"},
		{"5/20 * * * *", time.UTC, "2026-03-10 10:46:00 Tue", "2026-03-10 11:05:00 Tue"},
		{"@hourly", time.UTC, "2026-03-10 10:00:00 Tue", "2026-03-10 11:00:00 Tue"},
		{"@daily", time.UTC, "2026-03-10 10:00:00 Tue", "2026-03-11 00:00:00 Wed"},
		{"@weekly", time.UTC, "2026-03-10 10:00:00 Tue", "2026-03-15 00:00:00 Sun"},
		{"@monthly", time.UTC, "2026-03-10 10:00:00 Tue", "2026-04-01 00:00:00 Wed"},
		{"@yearly", time.UTC, "2026-03-10 10:00:00 Tue", "2027-01-01 00:00:00 Fri"},
		{"30 9 * * mon-fri", time.UTC, "2026-03-13 10:00:00 Fri", "2026-03-16 09:30:00 Mon"},
		{"0 0 1,15 * *", time.UTC, "2026-03-02 00:00:00 Mon", "2026-03-15 00:00:00 Sun"},
		// Both day fields restricted: either matches (the 13th, or a Friday).
		{"0 0 13 * 5", time.UTC, "2026-03-01 00:00:00 Sun", "2026-03-06 00:00:00 Fri"},
		// Day-of-week starred: the day of month alone decides.
		{"0 0 31 * *", time.UTC, "2026-04-01 00:00:00 Wed", "2026-05-31 00:00:00 Sun"},
		{"0 0 29 feb *", time.UTC, "2026-03-01 00:00:00 Sun", "2028-02-29 00:00:00 Tue"},
		{"0 0 30 feb *", time.UTC, "2026-03-01 00:00:00 Sun", ""},
		{"0 12 * dec sun", time.UTC, "2026-03-01 00:00:00 Sun", "2026-12-06 12:00:00 Sun"},
		{"0 9 * * *", ny, "2026-03-10 10:00:00 Tue", "2026-03-10 13:00:00 Tue"}, // 9:00 EDT
		{"TZ=America/New_York 0 9 * * *", time.UTC, "2026-01-10 10:00:00 Sat", "2026-01-10 14:00:00 Sat"},
		{"@every 90s", time.UTC, "2026-03-10 10:00:00 Tue", "2026-03-10 10:01:30 Tue"},
	} {
		s, err := Parse(tc.spec, tc.loc)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.spec, err)
			continue
		}
		got := s.Next(at(tc.from))
		want := time.Time{}
		if tc.want != "" {
			want = at(tc.want)
		}
		if !got.Equal(want) {
			t.Errorf("%q after %s: got %s, want %s", tc.spec, tc.from, got.UTC().Format("2006-01-02 15:04:05 Mon"), tc.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, spec := range []string{"", "* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 7",
		"5-1 * * * *", "*/0 * * * *", "@fortnightly", "x * * * *", "TZ=Nowhere/Land * * * * *", "@every soon"} {
		if _, err := Parse(spec, time.UTC); err == nil {
			t.Errorf("Parse(%q) accepted", spec)
		}
	}
}
