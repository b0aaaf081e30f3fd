package runtime

import (
	"reflect"
	"strings"
	"testing"
)

const (
	// A node on a cgroup v1 host, cgroupns=host, /sys/fs/cgroup bound rw
	// from the host (mini's fallback flags), cpu and cpuacct apart.
	procCgroupV1 = `12:pids:/docker/abc
11:memory:/docker/abc
10:cpuacct:/docker/abc
9:cpu:/docker/abc
1:name=systemd:/docker/abc
0::/docker/abc
`
	mountinfoV1 = `600 500 0:60 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw,mode=755
601 600 0:61 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,memory
602 600 0:62 / /sys/fs/cgroup/cpu rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,cpu
603 600 0:63 / /sys/fs/cgroup/cpuacct rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,cpuacct
604 600 0:64 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,pids
605 600 0:65 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:13 - cgroup2 cgroup2 rw
`
	// Docker's own v1 mount: each hierarchy rooted at the container's
	// cgroup, read-only, cpu and cpuacct together.
	mountinfoV1Docker = `700 690 0:70 /docker/abc /sys/fs/cgroup/memory ro,nosuid,nodev,noexec,relatime - cgroup cgroup rw,memory
701 690 0:71 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,nosuid,nodev,noexec,relatime - cgroup cgroup rw,cpu,cpuacct
702 690 0:72 /docker/abc /sys/fs/cgroup/pids ro,nosuid,nodev,noexec,relatime - cgroup cgroup rw,pids
`
	procCgroupV1Docker = `12:pids:/docker/abc
11:memory:/docker/abc
9:cpu,cpuacct:/docker/abc
0::/
`
	// A node on a cgroup v2 host with a private cgroup namespace.
	procCgroupV2 = "0::/\n"
	mountinfoV2  = `800 790 0:80 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate
`
	// v2 with the host's namespace: the full path.
	procCgroupV2Host = "0::/system.slice/docker-abc.scope\n"
	mountinfoSpace   = `900 890 0:90 / /sys/fs/cg\040root rw - cgroup2 cgroup2 rw
`
)

func TestParseProcCgroup(t *testing.T) {
	t.Parallel()
	v1, unified, ok := parseProcCgroup(procCgroupV1Docker)
	want := map[string]string{"pids": "/docker/abc", "memory": "/docker/abc", "cpu": "/docker/abc", "cpuacct": "/docker/abc"}
	if !reflect.DeepEqual(v1, want) || unified != "/" || !ok {
		t.Errorf("parseProcCgroup = %v, %q, %v; want %v, /, true", v1, unified, ok, want)
	}
	v1, unified, ok = parseProcCgroup(procCgroupV2Host)
	if len(v1) != 0 || unified != "/system.slice/docker-abc.scope" || !ok {
		t.Errorf("parseProcCgroup(v2) = %v, %q, %v", v1, unified, ok)
	}
}

func TestDetectLayout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, proc, mountinfo string
		wantV2                bool
		wantDirs              map[string]string
		wantMissing           string
		wantErr               string
	}{
		{
			name: "v1 host namespace, bound /sys/fs/cgroup", proc: procCgroupV1, mountinfo: mountinfoV1,
			wantDirs: map[string]string{"memory": "/sys/fs/cgroup/memory/docker/abc", "cpu": "/sys/fs/cgroup/cpu/docker/abc", "pids": "/sys/fs/cgroup/pids/docker/abc"},
		},
		{
			name: "v1 docker's own mounts rooted at the container", proc: procCgroupV1Docker, mountinfo: mountinfoV1Docker,
			wantDirs: map[string]string{"memory": "/sys/fs/cgroup/memory", "cpu": "/sys/fs/cgroup/cpu,cpuacct", "pids": "/sys/fs/cgroup/pids"},
		},
		{
			name: "v1 bound mount covers docker's", proc: procCgroupV1, mountinfo: mountinfoV1Docker + mountinfoV1,
			wantDirs: map[string]string{"memory": "/sys/fs/cgroup/memory/docker/abc", "cpu": "/sys/fs/cgroup/cpu/docker/abc", "pids": "/sys/fs/cgroup/pids/docker/abc"},
		},
		{
			name: "v1 without pids", proc: procCgroupV1, mountinfo: strings.ReplaceAll(mountinfoV1, "rw,pids", "rw,freezer"),
			wantDirs:    map[string]string{"memory": "/sys/fs/cgroup/memory/docker/abc", "cpu": "/sys/fs/cgroup/cpu/docker/abc"},
			wantMissing: "cgroup v1 pids controller is not mounted",
		},
		{
			name: "v1 path outside the mount", proc: strings.ReplaceAll(procCgroupV1, "11:memory:/docker/abc", "11:memory:/other"), mountinfo: mountinfoV1Docker,
			wantDirs:    map[string]string{"cpu": "/sys/fs/cgroup/cpu,cpuacct", "pids": "/sys/fs/cgroup/pids"},
			wantMissing: "cgroup v1 memory path /other is outside every mount of it",
		},
		{name: "v2 private namespace", proc: procCgroupV2, mountinfo: mountinfoV2, wantV2: true, wantDirs: map[string]string{"": "/sys/fs/cgroup"}},
		{name: "v2 host namespace", proc: procCgroupV2Host, mountinfo: mountinfoV2, wantV2: true, wantDirs: map[string]string{"": "/sys/fs/cgroup/system.slice/docker-abc.scope"}},
		{name: "v2 escaped mount point", proc: procCgroupV2, mountinfo: mountinfoSpace, wantV2: true, wantDirs: map[string]string{"": "/sys/fs/cg root"}},
		{name: "nothing mounted", proc: procCgroupV2, mountinfo: "", wantErr: "no cgroup2 mount"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, err := detectLayout(tt.proc, tt.mountinfo)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if l.v2 != tt.wantV2 || !reflect.DeepEqual(l.dirs, tt.wantDirs) {
				t.Errorf("layout = v2 %v %v; want v2 %v %v", l.v2, l.dirs, tt.wantV2, tt.wantDirs)
			}
			if got := strings.Join(l.missing, "; "); got != tt.wantMissing {
				t.Errorf("missing = %q, want %q", got, tt.wantMissing)
			}
		})
	}
}

func TestLimitWrites(t *testing.T) {
	t.Parallel()
	res := Resources{MemoryLimit: 64 << 20, CPULimitMilli: 500, CPUSharesMilli: 250, PidsLimit: 100}
	tests := []struct {
		name string
		v2   bool
		res  Resources
		want []cgWrite
	}{
		{name: "none", res: Resources{}},
		{name: "v1", res: res, want: []cgWrite{
			{"memory", "memory.limit_in_bytes", "67108864", false, false},
			{"memory", "memory.memsw.limit_in_bytes", "67108864", true, false},
			{"cpu", "cpu.shares", "256", false, false},
			{"cpu", "cpu.cfs_period_us", "100000", false, false},
			{"cpu", "cpu.cfs_quota_us", "50000", false, false},
			{"pids", "pids.max", "100", false, true},
		}},
		{name: "v2", v2: true, res: res, want: []cgWrite{
			{"", "memory.max", "67108864", false, false},
			{"", "memory.swap.max", "0", true, false},
			{"", "cpu.weight", "10", false, false},
			{"", "cpu.max", "50000 100000", false, false},
			{"", "pids.max", "100", false, true},
		}},
		{name: "tiny cpu is clamped", res: Resources{CPULimitMilli: 1, CPUSharesMilli: 1}, want: []cgWrite{
			{"cpu", "cpu.shares", "2", false, false},
			{"cpu", "cpu.cfs_period_us", "100000", false, false},
			{"cpu", "cpu.cfs_quota_us", "1000", false, false},
		}},
		{name: "v2 one cpu request", v2: true, res: Resources{CPUSharesMilli: 1000}, want: []cgWrite{{"", "cpu.weight", "39", false, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := limitWrites(tt.v2, tt.res); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("limitWrites =\n%v\nwant\n%v", got, tt.want)
			}
		})
	}
}
