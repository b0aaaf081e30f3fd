package endpointslice

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/minidev/mini/cluster/apiserver/apiservertest"
	"github.com/minidev/mini/cluster/controller/controllerutil/fakekubelet"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
)

func start(t *testing.T) (context.Context, kubernetes.Interface) {
	t.Helper()
	c := kubernetes.NewForConfigOrDie(apiservertest.Start(t))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	ctrl := New(Config{Client: c, Informers: informers.NewSharedInformerFactory(c, 0)})
	wg.Go(func() { ctrl.Run(ctx) })
	return ctx, c
}

func eventually(t *testing.T, what string, within time.Duration, cond func() (bool, string)) time.Duration {
	t.Helper()
	begin := time.Now()
	for {
		ok, state := cond()
		if ok {
			return time.Since(begin)
		}
		if time.Since(begin) > within {
			t.Fatalf("not %s within %v; %s", what, within, state)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func createPod(t *testing.T, ctx context.Context, c kubernetes.Interface, name string, namedPort bool) {
	t.Helper()
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{NodeName: "node-1", Containers: []corev1.Container{{Name: "c", Image: "mini-test/server:v1"}}}}
	if namedPort {
		p.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}
	}
	if _, err := c.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := fakekubelet.MarkReady(ctx, c, "default", name, time.Now()); err != nil {
		t.Fatal(err)
	}
}

func setReady(t *testing.T, ctx context.Context, c kubernetes.Interface, name string, ready bool) {
	t.Helper()
	p, err := c.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == corev1.PodReady {
			p.Status.Conditions[i].Status = st
		}
	}
	if _, err := c.CoreV1().Pods("default").UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// state renders the managed slices and Endpoints of web.
func state(ctx context.Context, c kubernetes.Interface) (slices []discoveryv1.EndpointSlice, ep *corev1.Endpoints, s string) {
	l, err := c.DiscoveryV1().EndpointSlices("default").List(ctx, metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=web,endpointslice.kubernetes.io/managed-by=" + ControllerName})
	if err != nil {
		return nil, nil, err.Error()
	}
	ep, _ = c.CoreV1().Endpoints("default").Get(ctx, "web", metav1.GetOptions{})
	for _, sl := range l.Items {
		s += fmt.Sprintf("slice %s ports %d:", sl.Name, len(sl.Ports))
		for _, e := range sl.Endpoints {
			s += fmt.Sprintf(" %s ready=%v", e.TargetRef.Name, *e.Conditions.Ready)
		}
		s += "; "
	}
	if ep != nil {
		s += fmt.Sprintf("endpoints %+v", ep.Subsets)
	}
	return l.Items, ep, s
}

// readyIn reports whether pod is listed with the given readiness in a
// slice with ports and in the Endpoints object.
func readyIn(slices []discoveryv1.EndpointSlice, ep *corev1.Endpoints, pod string, ready bool) bool {
	inSlice := false
	for _, sl := range slices {
		for _, e := range sl.Endpoints {
			if e.TargetRef.Name == pod && *e.Conditions.Ready == ready && *e.Conditions.Serving == ready && len(sl.Ports) == 1 && *sl.Ports[0].Port == 8080 {
				inSlice = true
			}
		}
	}
	if ep == nil || len(ep.Subsets) != 1 {
		return false
	}
	addrs := ep.Subsets[0].Addresses
	if !ready {
		addrs = ep.Subsets[0].NotReadyAddresses
	}
	for _, a := range addrs {
		if a.TargetRef.Name == pod {
			return inSlice
		}
	}
	return false
}

func TestReadinessFlipWithinASecond(t *testing.T) {
	t.Parallel()
	ctx, c := start(t)
	svc, err := c.CoreV1().Services("default").Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Labels: map[string]string{"team": "a"}},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http")}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// A placeholder slice first, as Kubernetes keeps for a Service without endpoints.
	eventually(t, "a placeholder slice", 5*time.Second, func() (bool, string) {
		sl, _, s := state(ctx, c)
		return len(sl) == 1 && len(sl[0].Endpoints) == 0, s
	})
	createPod(t, ctx, c, "a", true)
	createPod(t, ctx, c, "b", true)
	createPod(t, ctx, c, "noport", false)
	eventually(t, "both pods ready", 5*time.Second, func() (bool, string) {
		sl, ep, s := state(ctx, c)
		return readyIn(sl, ep, "a", true) && readyIn(sl, ep, "b", true) && len(sl) == 2, s
	})
	sl, ep, s := state(ctx, c)
	for _, x := range sl {
		ref := metav1.GetControllerOf(&x)
		if ref == nil || ref.UID != svc.UID || ref.Kind != "Service" || x.Labels["team"] != "a" || x.AddressType != discoveryv1.AddressTypeIPv4 {
			t.Errorf("slice %s: owner %v labels %v", x.Name, ref, x.Labels)
		}
		if len(x.Ports) == 0 && (len(x.Endpoints) != 1 || x.Endpoints[0].TargetRef.Name != "noport") {
			t.Errorf("the pod without the named port should be alone in a slice without ports: %s", s)
		}
		for _, e := range x.Endpoints {
			if e.NodeName == nil || *e.NodeName != "node-1" || e.TargetRef.Kind != "Pod" || e.TargetRef.UID == "" {
				t.Errorf("endpoint %+v lacks nodeName or targetRef", e)
			}
		}
	}
	if ep.Labels["team"] != "a" {
		t.Errorf("endpoints labels %v", ep.Labels)
	}
	for _, flip := range []bool{false, true, false} {
		setReady(t, ctx, c, "a", flip)
		took := eventually(t, fmt.Sprintf("pod a ready=%v", flip), time.Second, func() (bool, string) {
			sl, ep, s := state(ctx, c)
			return readyIn(sl, ep, "a", flip) && readyIn(sl, ep, "b", true), s
		})
		t.Logf("ready=%v seen in %v", flip, took)
	}
	// A deleted Service takes its Endpoints along (its slices go by garbage collection).
	if err := c.CoreV1().Services("default").Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "endpoints deleted", 5*time.Second, func() (bool, string) {
		_, err := c.CoreV1().Endpoints("default").Get(ctx, "web", metav1.GetOptions{})
		return apierrors.IsNotFound(err), fmt.Sprint(err)
	})
}

func TestServiceWithoutSelectorLeftAlone(t *testing.T) {
	t.Parallel()
	ctx, c := start(t)
	if _, err := c.CoreV1().Services("default").Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "ext"},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	mine := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: "ext"},
		Subsets: []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{{IP: "192.0.2.1"}}, Ports: []corev1.EndpointPort{{Port: 80}}}}}
	if _, err := c.CoreV1().Endpoints("default").Create(ctx, mine, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// A Service with a selector created after it is a marker that the controller has caught up.
	if _, err := c.CoreV1().Services("default").Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "marker"},
		Spec:       corev1.ServiceSpec{Selector: map[string]string{"x": "y"}, Ports: []corev1.ServicePort{{Port: 80}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "marker endpoints", 5*time.Second, func() (bool, string) {
		_, err := c.CoreV1().Endpoints("default").Get(ctx, "marker", metav1.GetOptions{})
		return err == nil, fmt.Sprint(err)
	})
	l, err := c.DiscoveryV1().EndpointSlices("default").List(ctx, metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=ext"})
	if err != nil || len(l.Items) != 0 {
		t.Errorf("slices for a selectorless Service: %v %v", l, err)
	}
	got, err := c.CoreV1().Endpoints("default").Get(ctx, "ext", metav1.GetOptions{})
	if err != nil || len(got.Subsets) != 1 || got.Subsets[0].Addresses[0].IP != "192.0.2.1" {
		t.Errorf("user's Endpoints changed: %+v %v", got, err)
	}
}
