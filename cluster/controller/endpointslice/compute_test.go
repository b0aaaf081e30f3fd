package endpointslice

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

type podOpt func(*corev1.Pod)

func testPod(name, ip string, ready bool, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID("uid-" + name), Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{NodeName: "node-1", Containers: []corev1.Container{{Name: "c",
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip},
	}
	if ip != "" {
		p.Status.PodIPs = []corev1.PodIP{{IP: ip}}
	}
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}
	for _, o := range opts {
		o(p)
	}
	return p
}

func terminating(p *corev1.Pod) { p.DeletionTimestamp = &metav1.Time{} }
func failed(p *corev1.Pod)      { p.Status.Phase = corev1.PodFailed }
func noNamedPort(p *corev1.Pod) { p.Spec.Containers[0].Ports = nil }

func testSvc(publish bool, ports ...corev1.ServicePort) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: ports, PublishNotReadyAddresses: publish},
	}
}

var (
	numbered = corev1.ServicePort{Name: "num", Port: 80, TargetPort: intstr.FromInt32(9090), Protocol: corev1.ProtocolTCP}
	named    = corev1.ServicePort{Name: "named", Port: 81, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolTCP}
)

// summary renders slices as "ports:name(ready,serving,terminating)..." lines.
func summary(gs []group) []string {
	var out []string
	for _, g := range gs {
		s := ""
		for _, p := range g.ports {
			s += fmt.Sprintf("%s=%d ", *p.Name, *p.Port)
		}
		s += "|"
		for _, e := range g.endpoints {
			c := e.Conditions
			s += fmt.Sprintf(" %s/%s(%v,%v,%v)", e.TargetRef.Name, e.Addresses[0], *c.Ready, *c.Serving, *c.Terminating)
		}
		out = append(out, s)
	}
	return out
}

func TestDesiredGroups(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		svc  *corev1.Service
		pods []*corev1.Pod
		max  int
		want []string
	}{
		{name: "ready and not ready", svc: testSvc(false, numbered),
			pods: []*corev1.Pod{testPod("b", "10.0.0.2", false), testPod("a", "10.0.0.1", true)},
			want: []string{"num=9090 | a/10.0.0.1(true,true,false) b/10.0.0.2(false,false,false)"}},
		{name: "terminating stays, not ready", svc: testSvc(false, numbered),
			pods: []*corev1.Pod{testPod("a", "10.0.0.1", true, terminating)},
			want: []string{"num=9090 | a/10.0.0.1(false,true,true)"}},
		{name: "publishNotReadyAddresses", svc: testSvc(true, numbered),
			pods: []*corev1.Pod{testPod("a", "10.0.0.1", false), testPod("b", "10.0.0.2", true, terminating)},
			want: []string{"num=9090 | a/10.0.0.1(true,false,false) b/10.0.0.2(true,true,true)"}},
		{name: "no IP and terminal left out", svc: testSvc(false, numbered),
			pods: []*corev1.Pod{testPod("a", "", true), testPod("b", "10.0.0.2", true, failed), testPod("c", "10.0.0.3", true)},
			want: []string{"num=9090 | c/10.0.0.3(true,true,false)"}},
		{name: "named port resolved per pod", svc: testSvc(false, numbered, named),
			pods: []*corev1.Pod{testPod("a", "10.0.0.1", true), testPod("b", "10.0.0.2", true, noNamedPort)},
			want: []string{"num=9090 | b/10.0.0.2(true,true,false)", "num=9090 named=8080 | a/10.0.0.1(true,true,false)"}},
		{name: "named port protocol must match", svc: testSvc(false, corev1.ServicePort{Name: "u", Port: 53, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolUDP}),
			pods: []*corev1.Pod{testPod("a", "10.0.0.1", true)},
			want: []string{"| a/10.0.0.1(true,true,false)"}},
		{name: "split at max", svc: testSvc(false, numbered), max: 2,
			pods: []*corev1.Pod{testPod("a", "10.0.0.1", true), testPod("b", "10.0.0.2", true), testPod("c", "10.0.0.3", true)},
			want: []string{"num=9090 | a/10.0.0.1(true,true,false) b/10.0.0.2(true,true,false)", "num=9090 | c/10.0.0.3(true,true,false)"}},
		{name: "no pods", svc: testSvc(false, numbered), want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			max := tc.max
			if max == 0 {
				max = MaxEndpointsPerSlice
			}
			got := summary(desiredGroups(tc.svc, tc.pods, max))
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestDesiredSubsets(t *testing.T) {
	t.Parallel()
	render := func(ss []corev1.EndpointSubset) string {
		out := ""
		for _, s := range ss {
			out += "["
			for _, a := range s.Addresses {
				out += a.IP + " "
			}
			out += "notready:"
			for _, a := range s.NotReadyAddresses {
				out += " " + a.IP
			}
			out += " ports:"
			for _, p := range s.Ports {
				out += fmt.Sprintf(" %d", p.Port)
			}
			out += "]"
		}
		return out
	}
	headless := testSvc(false)
	headless.Spec.ClusterIP = corev1.ClusterIPNone
	tests := []struct {
		name string
		svc  *corev1.Service
		pods []*corev1.Pod
		want string
	}{
		{name: "ready and not ready", svc: testSvc(false, numbered),
			pods: []*corev1.Pod{testPod("b", "10.0.0.2", false), testPod("a", "10.0.0.1", true)},
			want: "[10.0.0.1 notready: 10.0.0.2 ports: 9090]"},
		{name: "terminating left out", svc: testSvc(false, numbered),
			pods: []*corev1.Pod{testPod("a", "10.0.0.1", true, terminating), testPod("b", "10.0.0.2", true)},
			want: "[10.0.0.2 notready: ports: 9090]"},
		{name: "publishNotReadyAddresses keeps terminating and not ready", svc: testSvc(true, numbered),
			pods: []*corev1.Pod{testPod("a", "10.0.0.1", true, terminating), testPod("b", "10.0.0.2", false)},
			want: "[10.0.0.1 10.0.0.2 notready: ports: 9090]"},
		{name: "no IP, terminal left out", svc: testSvc(false, numbered),
			pods: []*corev1.Pod{testPod("a", "", true), testPod("b", "10.0.0.2", true, failed)},
			want: ""},
		{name: "named ports", svc: testSvc(false, named),
			pods: []*corev1.Pod{testPod("a", "10.0.0.1", true), testPod("b", "10.0.0.2", true, noNamedPort)},
			want: "[10.0.0.1 notready: ports: 8080]"},
		{name: "headless without ports", svc: headless,
			pods: []*corev1.Pod{testPod("a", "10.0.0.1", true)},
			want: "[10.0.0.1 notready: ports:]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := render(desiredSubsets(tc.svc, tc.pods)); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}
