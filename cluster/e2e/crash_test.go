package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestControlPlaneCrash: kill -9 the control plane during a stream of
// writes; after `mini start` every acknowledged write is there and
// resourceVersions only go forward.
func TestControlPlaneCrash(t *testing.T) {
	e := newEnv(t)
	name := uniqueName("crash")
	e.up(name, "--nodes", "1", "--no-kubeconfig-merge")
	c := e.client(name)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var mu sync.Mutex
	acked := map[string]int64{} // name -> resourceVersion acknowledged
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("w%d-%d", w, i)}, Data: map[string]string{"i": strconv.Itoa(i)}}
				got, err := c.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{})
				if err != nil {
					return // the control plane is gone
				}
				rv, _ := strconv.ParseInt(got.ResourceVersion, 10, 64)
				mu.Lock()
				acked[got.Name] = rv
				mu.Unlock()
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	pidText, err := os.ReadFile(filepath.Join(e.home, "clusters", name, "controlplane.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(pidText)))
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	cancel()
	mu.Lock()
	defer mu.Unlock()
	if len(acked) < 20 {
		t.Fatalf("only %d writes acknowledged before the kill: too few to test", len(acked))
	}
	var maxRV int64
	for _, rv := range acked {
		maxRV = max(maxRV, rv)
	}
	e.must("start", "--name", name)
	list, err := c.CoreV1().ConfigMaps("default").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]string{}
	for _, cm := range list.Items {
		have[cm.Name] = cm.ResourceVersion
	}
	for n, rv := range acked {
		if got, ok := have[n]; !ok {
			t.Errorf("acknowledged write %s (rv %d) lost after the crash", n, rv)
		} else if got != strconv.FormatInt(rv, 10) {
			t.Errorf("%s: resourceVersion %s after restart, %d acknowledged", n, got, rv)
		}
	}
	after, err := c.CoreV1().ConfigMaps("default").Create(context.Background(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "after"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rv, _ := strconv.ParseInt(after.ResourceVersion, 10, 64); rv <= maxRV {
		t.Errorf("resourceVersion went back: %d after restart, %d acknowledged before", rv, maxRV)
	}
	t.Logf("%d writes acknowledged before kill -9, all present after restart; rv %d -> %s", len(acked), maxRV, after.ResourceVersion)
}
