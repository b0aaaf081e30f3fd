package agent

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// newNode is the Node object the agent registers.
func (a *Agent) newNode() *corev1.Node {
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: a.cfg.NodeName,
			Labels: map[string]string{
				corev1.LabelHostname:   a.cfg.NodeName,
				corev1.LabelOSStable:   runtime.GOOS,
				corev1.LabelArchStable: runtime.GOARCH,
				"mini.dev/node":        "real",
			},
		},
		Spec: corev1.NodeSpec{PodCIDR: a.cfg.PodCIDR},
	}
	if a.cfg.PodCIDR != "" {
		n.Spec.PodCIDRs = []string{a.cfg.PodCIDR}
	}
	return n
}

// status is the node's status now: capacity from the kernel, addresses
// from the node's interfaces, Ready with a fresh heartbeat.
func (a *Agent) status(old corev1.NodeStatus) corev1.NodeStatus {
	now := metav1.NewTime(time.Now())
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    *resource.NewQuantity(int64(runtime.NumCPU()), resource.DecimalSI),
		corev1.ResourceMemory: *resource.NewQuantity(memTotal(), resource.BinarySI),
		corev1.ResourcePods:   *resource.NewQuantity(110, resource.DecimalSI),
	}
	var fs syscall.Statfs_t
	if syscall.Statfs("/var/lib/mini", &fs) == nil {
		capacity[corev1.ResourceEphemeralStorage] = *resource.NewQuantity(int64(fs.Blocks)*int64(fs.Bsize), resource.BinarySI)
	}
	st := corev1.NodeStatus{
		Capacity:    capacity,
		Allocatable: capacity.DeepCopy(),
		Phase:       corev1.NodeRunning,
		Addresses:   []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: a.cfg.NodeName}},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{
			KubeletEndpoint: corev1.DaemonEndpoint{Port: int32(a.cfg.KubeletPort)},
		},
		NodeInfo: corev1.NodeSystemInfo{
			MachineID: readTrim("/etc/machine-id"), BootID: readTrim("/proc/sys/kernel/random/boot_id"),
			KernelVersion: kernelVersion(), OSImage: "mini node (" + a.cfg.Version + ")",
			ContainerRuntimeVersion: "mini://" + a.cfg.Version, KubeletVersion: a.cfg.Version, KubeProxyVersion: a.cfg.Version,
			OperatingSystem: runtime.GOOS, Architecture: runtime.GOARCH,
		},
	}
	if ip := internalIP(); ip != "" {
		st.Addresses = append([]corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}}, st.Addresses...)
	}
	cond := func(t corev1.NodeConditionType, s corev1.ConditionStatus, reason, msg string) corev1.NodeCondition {
		c := corev1.NodeCondition{Type: t, Status: s, Reason: reason, Message: msg, LastHeartbeatTime: now, LastTransitionTime: now}
		for _, o := range old.Conditions {
			if o.Type == t && o.Status == s {
				c.LastTransitionTime = o.LastTransitionTime
			}
		}
		return c
	}
	st.Conditions = []corev1.NodeCondition{
		cond(corev1.NodeMemoryPressure, corev1.ConditionFalse, "KubeletHasSufficientMemory", "mini agent has sufficient memory available"),
		cond(corev1.NodeDiskPressure, corev1.ConditionFalse, "KubeletHasNoDiskPressure", "mini agent has no disk pressure"),
		cond(corev1.NodePIDPressure, corev1.ConditionFalse, "KubeletHasSufficientPID", "mini agent has sufficient PID available"),
		a.readyCondition(cond),
	}
	return st
}

func memTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, _ := strconv.ParseInt(fields[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func readTrim(path string) string {
	b, _ := os.ReadFile(path)
	return strings.TrimSpace(string(b))
}

func kernelVersion() string {
	var u syscall.Utsname
	if syscall.Uname(&u) != nil {
		return ""
	}
	var b strings.Builder
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		b.WriteByte(byte(c))
	}
	return b.String()
}

// internalIP is the node's address on the cluster network: eth0's
// IPv4 address (the pod bridge mini0 has one too), else the first
// non-loopback one.
func internalIP() string {
	if ifc, err := net.InterfaceByName("eth0"); err == nil {
		if addrs, err := ifc.Addrs(); err == nil {
			for _, a := range addrs {
				if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
					return n.IP.String()
				}
			}
		}
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	return ""
}

// defaultGateway reads the default route's gateway from /proc/net/route:
// on a node that is the cluster network's gateway, the host, where the
// control plane listens.
func defaultGateway() (string, error) {
	b, err := os.ReadFile("/proc/net/route")
	if err != nil {
		return "", fmt.Errorf("agent: find the control plane: %w", err)
	}
	return parseDefaultGateway(string(b))
}

func parseDefaultGateway(table string) (string, error) {
	for _, line := range strings.Split(table, "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 3 || f[1] != "00000000" {
			continue
		}
		v, err := strconv.ParseUint(f[2], 16, 32)
		if err != nil {
			continue
		}
		// /proc/net/route prints addresses in host (little-endian) byte order.
		return net.IPv4(byte(v), byte(v>>8), byte(v>>16), byte(v>>24)).String(), nil
	}
	return "", fmt.Errorf("agent: no default route in /proc/net/route: the node cannot find the control plane")
}

// readyCondition is Ready, unless the node's pod runtime failed to start.
func (a *Agent) readyCondition(cond func(corev1.NodeConditionType, corev1.ConditionStatus, string, string) corev1.NodeCondition) corev1.NodeCondition {
	if a.podsErr != nil {
		return cond(corev1.NodeReady, corev1.ConditionFalse, "KubeletNotReady", "container runtime is down: "+a.podsErr.Error())
	}
	return cond(corev1.NodeReady, corev1.ConditionTrue, "KubeletReady", "mini agent is posting ready status")
}
