package proxy

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"
)

type written struct {
	plan  Plan
	fresh bool
}

// TestRunConverges drives Run with real informers over a fake clientset:
// the first write replaces the table, later ones follow changes quickly.
func TestRunConverges(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := fake.NewClientset()
	factory := informers.NewSharedInformerFactory(client, 0)
	p, err := New(Config{Informers: factory, PodCIDR: "10.244.1.0/24", BridgeNetfilter: ptr.To(true), Debounce: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	writes := make(chan written, 100)
	p.write = func(plan Plan, fresh bool) error { writes <- written{plan, fresh}; return nil }
	factory.Start(ctx.Done())
	go p.Run(ctx)

	next := func(what string, ok func(written) bool) written {
		t.Helper()
		deadline := time.After(time.Second)
		for {
			select {
			case w := <-writes:
				if ok(w) {
					return w
				}
			case <-deadline:
				t.Fatalf("no write with %s within a second", what)
			}
		}
	}
	if w := next("the first write", func(written) bool { return true }); !w.fresh || len(w.plan.ClusterIPs) != 0 {
		t.Fatalf("first write: fresh=%v plan=%+v, want a fresh empty plan", w.fresh, w.plan)
	}
	s := svc("web", "10.96.0.20", corev1.ServicePort{Name: "http", Port: 80})
	if _, err := client.CoreV1().Services("default").Create(ctx, s, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	w := next("the service's port rejected", func(w written) bool { return len(w.plan.NoEndpointIPs) == 1 })
	if w.fresh {
		t.Error("a later write replaced the whole table (affinity state lost)")
	}
	es := slice("web", "http", corev1.ProtocolTCP, 8080, ep{ip: "10.244.2.5"}, ep{ip: "10.244.3.5"})
	if _, err := client.DiscoveryV1().EndpointSlices("default").Create(ctx, es, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	next("two endpoints", func(w written) bool { return len(w.plan.Endpoints) == 2 && len(w.plan.NoEndpointIPs) == 0 })
	if err := client.CoreV1().Services("default").Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	next("the service gone", func(w written) bool { return len(w.plan.ClusterIPs) == 0 })
}

func TestMapKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		got  []byte
		want []byte
	}{
		{"ip . proto . port", ipProtoPortKey(MapElem{IP: ip("10.96.0.10"), Proto: UDP, Port: 53}), []byte{10, 96, 0, 10, 17, 0, 0, 0, 0, 53, 0, 0}},
		{"proto . port", protoPortKey(MapElem{Proto: TCP, Port: 30080}), []byte{6, 0, 0, 0, 0x75, 0x80, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if string(tt.got) != string(tt.want) {
				t.Errorf("key = %v, want %v", tt.got, tt.want)
			}
		})
	}
}
