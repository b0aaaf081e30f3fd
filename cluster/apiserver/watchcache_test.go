package apiserver

import (
	"sync"
	"testing"

	"github.com/minidev/mini/cluster/store"
	corev1 "k8s.io/api/core/v1"
)

func TestEventCache(t *testing.T) {
	t.Parallel()
	reg := NewRegistry(DefaultResources())
	res, _ := reg.Lookup("", "v1", "configmaps")
	ev := func(rev int64, name string) store.Event {
		return store.Event{Type: store.Added, Key: "/core/configmaps/default/" + name, Rev: rev,
			Value: []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"` + name + `","namespace":"default"}}`)}
	}
	c := newEventCache(2)

	// Concurrent watchers of one event share one decoding.
	var wg sync.WaitGroup
	got := make([]*decodedEvent, 16)
	for i := range got {
		wg.Add(1)
		go func() { defer wg.Done(); got[i] = c.get(res, ev(1, "a")) }()
	}
	wg.Wait()
	for _, d := range got {
		if d != got[0] {
			t.Fatal("watchers of one event got different decodings")
		}
	}
	if got[0].err != nil || got[0].cur.(*corev1.ConfigMap).ResourceVersion != "1" || string(got[0].curJSON) == "" {
		t.Fatalf("decoded = %+v", got[0])
	}

	// The oldest revision is evicted beyond the size; a later get decodes again.
	c.get(res, ev(2, "b"))
	c.get(res, ev(3, "c"))
	if _, ok := c.byRev[1]; ok || len(c.byRev) != 2 {
		t.Errorf("cache holds revisions %v, want only the 2 newest", c.order)
	}
	if again := c.get(res, ev(1, "a")); again == got[0] || again.err != nil {
		t.Errorf("evicted event not decoded anew")
	}

	bad := c.get(res, store.Event{Type: store.Added, Key: "/core/configmaps/default/x", Rev: 9, Value: []byte("{not json")})
	if bad.err == nil {
		t.Error("undecodable event gave no error")
	}
}
