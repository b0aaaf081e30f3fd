package dns

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/minidev/mini/cluster/apiserver/apiservertest"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// TestWatchIndex drives the informers through a real API server: answers
// follow creates, readiness changes and deletes without any API call per
// question.
func TestWatchIndex(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	c := kubernetes.NewForConfigOrDie(apiservertest.Start(t))
	idx, err := WatchIndex(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	r := &Resolver{Index: idx}
	ask := func(name string) []string {
		m, ok := r.Answer(new(dns.Msg).SetQuestion(name, dns.TypeA))
		if !ok || !idx.Synced() {
			return []string{"not synced"}
		}
		return answers(m)
	}
	eventually := func(name string, want ...string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			got := ask(name)
			if slices.Equal(got, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %q, want %q", name, got, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	const name = "db.default.svc.cluster.local."
	eventually(name) // synced, NXDOMAIN
	svc := service("default", "db", []string{corev1.ClusterIPNone}, port("pg", corev1.ProtocolTCP, 5432))
	if _, err := c.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	sl := slice("default", "db", "db-a", []discoveryv1.EndpointPort{slicePort("pg", corev1.ProtocolTCP, 5432)},
		ep{"10.244.1.5", "db-0", ptr(true)}, ep{"10.244.2.6", "db-1", ptr(false)})
	sl, err = c.DiscoveryV1().EndpointSlices("default").Create(ctx, sl, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	eventually(name, "A 10.244.1.5")
	eventually("db-1.db.default.svc.cluster.local.")
	sl.Endpoints[1].Conditions.Ready = ptr(true)
	if _, err := c.DiscoveryV1().EndpointSlices("default").Update(ctx, sl, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(name, "A 10.244.1.5", "A 10.244.2.6")
	eventually("db-1.db.default.svc.cluster.local.", "A 10.244.2.6")
	if err := c.CoreV1().Services("default").Delete(ctx, "db", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually("db-1.db.default.svc.cluster.local.")
}
