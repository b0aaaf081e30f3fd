package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// memory is a process's resident set size now (VmRSS) and at its peak
// (VmHWM), in bytes.
type memory struct {
	RSS  int64
	Peak int64
	// Anon is private memory (RssAnon); File is resident pages of mapped
	// files (RssFile), for mini mostly its own binary, shared by every
	// process that runs the same file.
	Anon, File int64
}

// readMemory reads /proc/<pid>/status. For a container's process this works
// when the engine runs on this host (not in a VM, as Docker Desktop's does).
func readMemory(pid int) (memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, fmt.Errorf("memory of pid %d: %w", pid, err)
	}
	m, err := parseStatus(b)
	if err != nil {
		return memory{}, fmt.Errorf("memory of pid %d: %w", pid, err)
	}
	return m, nil
}

// parseStatus takes VmRSS and VmHWM from the text of /proc/<pid>/status,
// whose lines read "VmHWM:\t   33692 kB".
func parseStatus(status []byte) (memory, error) {
	var m memory
	var seen int
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM" && key != "RssAnon" && key != "RssFile") {
			continue
		}
		fields := strings.Fields(val)
		if len(fields) != 2 || fields[1] != "kB" {
			return memory{}, fmt.Errorf("%s: cannot read %q", key, strings.TrimSpace(val))
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil || kb < 0 {
			return memory{}, fmt.Errorf("%s: cannot read %q", key, strings.TrimSpace(val))
		}
		switch key {
		case "VmRSS":
			m.RSS = kb * 1024
			seen++
		case "VmHWM":
			m.Peak = kb * 1024
			seen++
		case "RssAnon":
			m.Anon = kb * 1024
		case "RssFile":
			m.File = kb * 1024
		}
	}
	if seen != 2 {
		// Kernel threads and zombies have no Vm* lines.
		return memory{}, fmt.Errorf("no VmRSS and VmHWM (is the process a zombie?)")
	}
	return m, nil
}

// megabytes is n bytes in MB (10^6 bytes).
func megabytes(n int64) float64 { return float64(n) / 1e6 }

// userHZ is the unit of the CPU times in /proc/<pid>/stat: 100 on every
// Linux ABI Go supports.
const userHZ = 100

// cpuTime is the CPU time, user and system, a process has used so far.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("CPU time of pid %d: %w", pid, err)
	}
	d, err := parseStat(b)
	if err != nil {
		return 0, fmt.Errorf("CPU time of pid %d: %w", pid, err)
	}
	return d, nil
}

// parseStat takes utime and stime, fields 14 and 15, from the text of
// /proc/<pid>/stat. Field 2, the command in parentheses, may hold spaces
// and parentheses, so fields are counted after its last ')'.
func parseStat(stat []byte) (time.Duration, error) {
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("cannot read %q", s)
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3, the state
	if len(f) < 13 {
		return 0, fmt.Errorf("cannot read %q", s)
	}
	var ticks int64
	for _, field := range f[11:13] {
		n, err := strconv.ParseInt(field, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("cannot read CPU ticks %q", field)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// cpuMeter measures the CPU cores processes use over an interval.
type cpuMeter struct {
	pids  []int
	start []time.Duration
	begin time.Time
}

func startCPU(pids ...int) *cpuMeter {
	m := &cpuMeter{pids: pids, begin: time.Now()}
	for _, pid := range pids {
		d, _ := cpuTime(pid)
		m.start = append(m.start, d)
	}
	return m
}

// used returns, per pid, the CPU time used since startCPU (-1 where it
// cannot be read), and the wall time since.
func (m *cpuMeter) used() ([]time.Duration, time.Duration) {
	wall := time.Since(m.begin)
	out := make([]time.Duration, len(m.pids))
	for i, pid := range m.pids {
		d, err := cpuTime(pid)
		if err != nil {
			out[i] = -1
			continue
		}
		out[i] = d - m.start[i]
	}
	return out, wall
}
