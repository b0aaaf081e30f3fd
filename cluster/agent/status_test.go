package agent

import (
	"net"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func running(name string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}
}

func exited(name string, code int32) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code}}}
}

func waiting(name, reason string, crashed bool) corev1.ContainerStatus {
	s := corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}}
	if crashed {
		s.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{ExitCode: 1}
	}
	return s
}

func TestPhase(t *testing.T) {
	t.Parallel()
	cs := func(s ...corev1.ContainerStatus) []corev1.ContainerStatus { return s }
	tests := []struct {
		name     string
		policy   corev1.RestartPolicy
		init     []corev1.ContainerStatus
		initDone bool
		ctrs     []corev1.ContainerStatus
		want     corev1.PodPhase
	}{
		{"creating", corev1.RestartPolicyAlways, nil, true, cs(waiting("a", "ContainerCreating", false)), corev1.PodPending},
		{"running", corev1.RestartPolicyAlways, nil, true, cs(running("a"), running("b")), corev1.PodRunning},
		{"one running one creating", corev1.RestartPolicyAlways, nil, true, cs(running("a"), waiting("b", "ContainerCreating", false)), corev1.PodPending},
		{"crash loop is Running", corev1.RestartPolicyAlways, nil, true, cs(waiting("a", "CrashLoopBackOff", true)), corev1.PodRunning},
		{"image pull error is Pending", corev1.RestartPolicyAlways, nil, true, cs(waiting("a", "ErrImagePull", false)), corev1.PodPending},
		{"always: exited stays Running", corev1.RestartPolicyAlways, nil, true, cs(exited("a", 0)), corev1.PodRunning},
		{"never: all succeeded", corev1.RestartPolicyNever, nil, true, cs(exited("a", 0), exited("b", 0)), corev1.PodSucceeded},
		{"never: one failed", corev1.RestartPolicyNever, nil, true, cs(exited("a", 0), exited("b", 2)), corev1.PodFailed},
		{"onfailure: failed restarts", corev1.RestartPolicyOnFailure, nil, true, cs(exited("a", 2)), corev1.PodRunning},
		{"onfailure: succeeded", corev1.RestartPolicyOnFailure, nil, true, cs(exited("a", 0)), corev1.PodSucceeded},
		{"init running", corev1.RestartPolicyAlways, cs(running("i")), false, cs(waiting("a", "PodInitializing", false)), corev1.PodPending},
		{"init failed, never", corev1.RestartPolicyNever, cs(exited("i", 1)), false, cs(waiting("a", "PodInitializing", false)), corev1.PodFailed},
		{"init failed, always retries", corev1.RestartPolicyAlways, cs(exited("i", 1)), false, cs(waiting("a", "PodInitializing", false)), corev1.PodPending},
		{"no status yet", corev1.RestartPolicyAlways, nil, true, cs(corev1.ContainerStatus{Name: "a"}), corev1.PodPending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec := &corev1.PodSpec{RestartPolicy: tt.policy}
			if got := phase(spec, tt.init, tt.ctrs, tt.initDone); got != tt.want {
				t.Errorf("phase = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestConditions(t *testing.T) {
	t.Parallel()
	then := metav1.NewTime(time.Unix(1000, 0))
	now := metav1.NewTime(time.Unix(2000, 0))
	ready := running("a")
	ready.Ready = true
	old := []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: then},
		{Type: corev1.PodReady, Status: corev1.ConditionFalse, LastTransitionTime: then},
		{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: then},
	}
	get := func(cs []corev1.PodCondition, t corev1.PodConditionType) corev1.PodCondition {
		for _, c := range cs {
			if c.Type == t {
				return c
			}
		}
		return corev1.PodCondition{}
	}
	t.Run("ready", func(t *testing.T) {
		cs := conditions(old, true, true, nil, []corev1.ContainerStatus{ready}, corev1.PodRunning, now)
		if c := get(cs, corev1.PodReady); c.Status != corev1.ConditionTrue || !c.LastTransitionTime.Equal(&now) {
			t.Errorf("Ready = %+v, want True changed now", c)
		}
		if c := get(cs, corev1.PodInitialized); c.Status != corev1.ConditionTrue || !c.LastTransitionTime.Equal(&then) {
			t.Errorf("Initialized = %+v, want True kept from then", c)
		}
		if c := get(cs, corev1.PodScheduled); c.Status != corev1.ConditionTrue {
			t.Errorf("PodScheduled not kept: %+v", cs)
		}
		want := []corev1.PodConditionType{corev1.PodReadyToStartContainers, corev1.PodInitialized, corev1.PodReady, corev1.ContainersReady, corev1.PodScheduled}
		for i, c := range cs {
			if c.Type != want[i] {
				t.Fatalf("order %d = %s, want %s", i, c.Type, want[i])
			}
		}
	})
	t.Run("not ready names containers", func(t *testing.T) {
		cs := conditions(old, true, true, nil, []corev1.ContainerStatus{ready, running("b"), running("c")}, corev1.PodRunning, now)
		c := get(cs, corev1.PodReady)
		if c.Status != corev1.ConditionFalse || c.Reason != "ContainersNotReady" || c.Message != "containers with unready status: [b c]" {
			t.Errorf("Ready = %+v", c)
		}
		if !c.LastTransitionTime.Equal(&then) {
			t.Errorf("an unchanged condition got a new transition time")
		}
	})
	t.Run("init pending", func(t *testing.T) {
		cs := conditions(nil, true, false, []corev1.ContainerStatus{running("i")}, []corev1.ContainerStatus{waiting("a", "PodInitializing", false)}, corev1.PodPending, now)
		c := get(cs, corev1.PodInitialized)
		if c.Status != corev1.ConditionFalse || c.Message != "containers with incomplete status: [i]" {
			t.Errorf("Initialized = %+v", c)
		}
	})
	t.Run("completed", func(t *testing.T) {
		cs := conditions(nil, false, true, nil, []corev1.ContainerStatus{exited("a", 0)}, corev1.PodSucceeded, now)
		if c := get(cs, corev1.PodReady); c.Status != corev1.ConditionFalse || c.Reason != "PodCompleted" {
			t.Errorf("Ready = %+v", c)
		}
		if c := get(cs, corev1.PodReadyToStartContainers); c.Status != corev1.ConditionFalse {
			t.Errorf("sandbox released but ReadyToStartContainers = %+v", c)
		}
	})
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		policy corev1.RestartPolicy
		code   int32
		want   bool
	}{
		{corev1.RestartPolicyAlways, 0, true}, {corev1.RestartPolicyAlways, 1, true},
		{corev1.RestartPolicyOnFailure, 0, false}, {corev1.RestartPolicyOnFailure, 137, true},
		{corev1.RestartPolicyNever, 0, false}, {corev1.RestartPolicyNever, 1, false},
	}
	for _, tt := range tests {
		if got := shouldRestart(tt.policy, tt.code); got != tt.want {
			t.Errorf("shouldRestart(%s, %d) = %v, want %v", tt.policy, tt.code, got, tt.want)
		}
	}
	var w time.Duration
	var got []time.Duration
	for range 8 {
		w = nextWindow(w)
		got = append(got, w)
	}
	want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second, 160 * time.Second, 300 * time.Second, 300 * time.Second, 300 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("windows = %v, want %v", got, want)
		}
	}
}

func TestQOSClass(t *testing.T) {
	t.Parallel()
	rl := func(cpu, mem string) corev1.ResourceList {
		l := corev1.ResourceList{}
		if cpu != "" {
			l[corev1.ResourceCPU] = resource.MustParse(cpu)
		}
		if mem != "" {
			l[corev1.ResourceMemory] = resource.MustParse(mem)
		}
		return l
	}
	tests := []struct {
		name     string
		req, lim corev1.ResourceList
		want     corev1.PodQOSClass
	}{
		{"nothing", nil, nil, corev1.PodQOSBestEffort},
		{"limits only", nil, rl("1", "1Gi"), corev1.PodQOSGuaranteed},
		{"equal", rl("1", "1Gi"), rl("1", "1Gi"), corev1.PodQOSGuaranteed},
		{"requests below limits", rl("500m", "1Gi"), rl("1", "1Gi"), corev1.PodQOSBurstable},
		{"memory only", nil, rl("", "1Gi"), corev1.PodQOSBurstable},
	}
	for _, tt := range tests {
		spec := &corev1.PodSpec{Containers: []corev1.Container{{Name: "a", Resources: corev1.ResourceRequirements{Requests: tt.req, Limits: tt.lim}}}}
		if got := qosClass(spec); got != tt.want {
			t.Errorf("%s: qos = %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestHostFiles(t *testing.T) {
	t.Parallel()
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-0", Namespace: "shop"}, Spec: corev1.PodSpec{
		Subdomain: "web", HostAliases: []corev1.HostAlias{{IP: "1.2.3.4", Hostnames: []string{"a", "b"}}},
	}}
	hosts := hostsFile(pod, "10.244.1.7")
	for _, want := range []string{"127.0.0.1\tlocalhost\n", "10.244.1.7\tweb-0.web.shop.svc.cluster.local\tweb-0\n", "1.2.3.4\ta\tb\n"} {
		if !strings.Contains(hosts, want) {
			t.Errorf("hosts lacks %q:\n%s", want, hosts)
		}
	}
	ndots := "2"
	tests := []struct {
		name string
		pod  corev1.PodSpec
		want string
	}{
		{"cluster first", corev1.PodSpec{DNSPolicy: corev1.DNSClusterFirst},
			"search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n"},
		{"default is the node's", corev1.PodSpec{DNSPolicy: corev1.DNSDefault},
			"search lan\nnameserver 192.168.1.1\noptions edns0\n"},
		{"none with config", corev1.PodSpec{DNSPolicy: corev1.DNSNone, DNSConfig: &corev1.PodDNSConfig{Nameservers: []string{"1.1.1.1"}, Searches: []string{"x.y"}}},
			"search x.y\nnameserver 1.1.1.1\n"},
		{"options override", corev1.PodSpec{DNSPolicy: corev1.DNSClusterFirst, DNSConfig: &corev1.PodDNSConfig{Options: []corev1.PodDNSConfigOption{{Name: "ndots", Value: &ndots}, {Name: "rotate"}}}},
			"search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:2 rotate\n"},
	}
	for _, tt := range tests {
		p := &corev1.Pod{ObjectMeta: pod.ObjectMeta, Spec: tt.pod}
		if got := resolvConf(p, "10.96.0.10", "nameserver 192.168.1.1\nsearch lan\noptions edns0\n"); got != tt.want {
			t.Errorf("%s: resolv.conf =\n%s\nwant\n%s", tt.name, got, tt.want)
		}
	}
}

func TestPodRoutes(t *testing.T) {
	t.Parallel()
	node := func(name, cidr, ip string) *corev1.Node {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.NodeSpec{PodCIDR: cidr}}
		if ip != "" {
			n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: name}, {Type: corev1.NodeInternalIP, Address: ip}}
		}
		return n
	}
	got := podRoutes([]*corev1.Node{
		node("n1", "10.244.1.0/24", "172.18.0.2"), node("n2", "10.244.2.0/24", "172.18.0.3"),
		node("sim", "", "10.0.0.1"), node("new", "10.244.4.0/24", ""),
	}, "n1")
	if len(got) != 1 || !got["10.244.2.0/24"].Equal(net.ParseIP("172.18.0.3")) {
		t.Errorf("routes = %v, want only n2's", got)
	}
}
