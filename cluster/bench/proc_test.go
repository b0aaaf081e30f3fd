package bench

import (
	"os"
	"strings"
	"testing"
	"time"
)

const statusSample = `Name:	mini
Umask:	0022
State:	S (sleeping)
Pid:	2795
VmPeak:	 1265604 kB
VmSize:	 1265604 kB
VmLck:	       0 kB
VmHWM:	   33692 kB
VmRSS:	   31000 kB
RssAnon:	   12000 kB
Threads:	9
`

func TestParseStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    memory
		wantErr string
	}{
		{"control plane", statusSample, memory{RSS: 31000 * 1024, Peak: 33692 * 1024, Anon: 12000 * 1024}, ""},
		{"private and shared pages", "VmRSS:\t30 kB\nVmHWM:\t31 kB\nRssAnon:\t6 kB\nRssFile:\t24 kB\n", memory{RSS: 30 * 1024, Peak: 31 * 1024, Anon: 6 * 1024, File: 24 * 1024}, ""},
		{"order does not matter", "VmRSS:\t1 kB\nVmHWM:\t2 kB\n", memory{RSS: 1024, Peak: 2048}, ""},
		{"kernel thread or zombie", "Name:\tkthreadd\nState:\tS (sleeping)\n", memory{}, "no VmRSS and VmHWM"},
		{"only one of them", "VmHWM:\t2 kB\n", memory{}, "no VmRSS and VmHWM"},
		{"other unit", "VmHWM:\t2 MB\nVmRSS:\t1 kB\n", memory{}, `VmHWM: cannot read "2 MB"`},
		{"not a number", "VmHWM:\tlots kB\nVmRSS:\t1 kB\n", memory{}, `VmHWM: cannot read "lots kB"`},
		{"empty", "", memory{}, "no VmRSS and VmHWM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseStatus([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseStatus() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("parseStatus() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestReadMemoryOfThisProcess(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc here")
	}
	m, err := readMemory(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS <= 0 || m.Peak < m.RSS {
		t.Errorf("readMemory(self) = %+v: want 0 < RSS <= peak", m)
	}
}

func TestParseStat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"control plane", "2795 (mini) S 1 2795 2795 0 -1 4194560 5000 0 0 0 150 75 0 0 20 0 9 0 1000 1265604000 8423 18446744073709551615", 2250 * time.Millisecond, false},
		{"command with spaces and parentheses", "42 (a) b (c) R 1 42 42 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0 1 1 1 1", 100 * time.Millisecond, false},
		{"truncated", "42 (mini) S 1 2", 0, true},
		{"no command", "42 mini S", 0, true},
		{"not a number", "2795 (mini) S 1 2795 2795 0 -1 4194560 5000 0 0 0 x 75 0", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseStat([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseStat() error = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("parseStat() = %v, want %v", got, tt.want)
			}
		})
	}
}
