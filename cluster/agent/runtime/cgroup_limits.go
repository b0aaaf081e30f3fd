package runtime

import "strconv"

const cfsPeriod = 100000 // µs, the kernel's and Kubernetes' default period

// cgWrite is one value written into a container's cgroup: file of
// controller ctrl ("" on v2). An optional file may be absent (swap
// accounting off) and is then skipped. A late one is written once the
// workload runs: a pids limit counts threads, and the Go child phase
// before the workload's execve needs a few.
type cgWrite struct {
	ctrl, file, value string
	optional, late    bool
}

// limitWrites turns Resources into cgroup file writes, in order, with
// Kubernetes' conversions (MilliCPUToQuota, MilliCPUToShares and the
// shares-to-weight mapping runc and the kubelet use on v2).
func limitWrites(v2 bool, r Resources) []cgWrite {
	var w []cgWrite
	mem, cpu, pids := "memory", "cpu", "pids"
	if v2 {
		mem, cpu, pids = "", "", ""
	}
	if r.MemoryLimit > 0 {
		v := strconv.FormatInt(r.MemoryLimit, 10)
		if v2 {
			w = append(w, cgWrite{mem, "memory.max", v, false, false}, cgWrite{mem, "memory.swap.max", "0", true, false})
		} else {
			// memsw must not be below the memory limit: set the limit first.
			w = append(w, cgWrite{mem, "memory.limit_in_bytes", v, false, false}, cgWrite{mem, "memory.memsw.limit_in_bytes", v, true, false})
		}
	}
	if r.CPUSharesMilli > 0 {
		shares := milliToShares(r.CPUSharesMilli)
		if v2 {
			w = append(w, cgWrite{cpu, "cpu.weight", strconv.FormatInt(1+((shares-2)*9999)/262142, 10), false, false})
		} else {
			w = append(w, cgWrite{cpu, "cpu.shares", strconv.FormatInt(shares, 10), false, false})
		}
	}
	if r.CPULimitMilli > 0 {
		quota := max(r.CPULimitMilli*cfsPeriod/1000, 1000)
		if v2 {
			w = append(w, cgWrite{cpu, "cpu.max", strconv.FormatInt(quota, 10) + " " + strconv.Itoa(cfsPeriod), false, false})
		} else {
			w = append(w, cgWrite{cpu, "cpu.cfs_period_us", strconv.Itoa(cfsPeriod), false, false},
				cgWrite{cpu, "cpu.cfs_quota_us", strconv.FormatInt(quota, 10), false, false})
		}
	}
	if r.PidsLimit > 0 {
		w = append(w, cgWrite{pids, "pids.max", strconv.FormatInt(r.PidsLimit, 10), false, true})
	}
	return w
}

// milliToShares is Kubernetes' MilliCPUToShares: 1024 shares per CPU,
// clamped to [2, 262144].
func milliToShares(milli int64) int64 {
	return min(max(milli*1024/1000, 2), 262144)
}
