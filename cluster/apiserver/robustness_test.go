package apiserver

import (
	"context"
	"encoding/json"
	"github.com/minidev/mini/cluster/podstatus"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minidev/mini/cluster/store"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"
)

// TestBadRequests: every malformed request gets a Status with the right
// code and a reason, never a panic, and the server keeps serving.
func TestBadRequests(t *testing.T) {
	t.Parallel()
	st, err := store.Open(filepath.Join(t.TempDir(), "store.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ts := httptest.NewServer(New(Config{Store: st}).Handler())
	defer ts.Close()
	do := func(method, path, ctype, body string) (int, metav1.Status) {
		req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var s metav1.Status
		_ = json.NewDecoder(resp.Body).Decode(&s)
		return resp.StatusCode, s
	}
	if code, _ := do("POST", "/api/v1/namespaces", "application/json", `{"metadata":{"name":"default"}}`); code != 201 {
		t.Fatalf("create namespace: %d", code)
	}
	cms := "/api/v1/namespaces/default/configmaps"
	tests := []struct {
		name, method, path, ctype, body string
		code                            int
		msg                             string
	}{
		{"malformed JSON", "POST", cms, "application/json", `{"metadata":`, 400, "cannot be handled as a ConfigMap"},
		{"malformed YAML", "POST", cms, "application/yaml", "metadata: [unclosed", 400, "not valid YAML"},
		{"empty body", "POST", cms, "application/json", "", 400, "body is empty"},
		{"body over 3 MiB", "POST", cms, "application/json", `{"data":{"a":"` + strings.Repeat("x", 4<<20) + `"}}`, 413, "exceeds the limit"},
		{"wrong kind for the URL", "POST", cms, "application/json", `{"kind":"Secret","apiVersion":"v1","metadata":{"name":"x"}}`, 400, "this URL serves v1 ConfigMap"},
		{"namespace mismatch", "POST", cms, "application/json", `{"metadata":{"name":"x","namespace":"other"}}`, 400, "does not match the namespace"},
		{"invalid name", "POST", cms, "application/json", `{"metadata":{"name":"Bad_Name"}}`, 422, "metadata.name"},
		{"missing namespace", "POST", "/api/v1/namespaces/nope/configmaps", "application/json", `{"metadata":{"name":"x"}}`, 404, `namespaces "nope" not found`},
		{"unknown resource", "GET", "/api/v1/frobs", "", "", 404, "could not find the requested resource"},
		{"unknown group", "GET", "/apis/nope.io/v1/things", "", "", 404, "could not find"},
		{"bad label selector", "GET", cms + "?labelSelector=a%3D%3D%3Db", "", "", 400, "unable to parse labelSelector"},
		{"unsupported field selector", "GET", cms + "?fieldSelector=spec.foo%3Dbar", "", "", 400, "field label not supported: spec.foo"},
		{"bad limit", "GET", cms + "?limit=-3", "", "", 400, "limit must be"},
		{"bad continue", "GET", cms + "?continue=not-a-token!", "", "", 400, "continue"},
		{"bad watch resourceVersion", "GET", cms + "?watch=true&resourceVersion=abc", "", "", 400, "resourceVersion is not valid"},
		{"server-side apply", "PATCH", cms + "/x", "application/apply-patch+yaml", "a: b", 415, "server-side apply"},
		{"unknown patch type", "PATCH", cms + "/x", "text/plain", "a", 415, "not a patch type"},
		{"bad fieldValidation", "POST", cms + "?fieldValidation=Loose", "application/json", `{"metadata":{"name":"x"}}`, 400, "fieldValidation"},
		{"bad propagationPolicy", "DELETE", cms + "/x?propagationPolicy=Sideways", "", "", 400, "propagationPolicy"},
		{"protobuf garbage", "POST", cms, "application/vnd.kubernetes.protobuf", "k8s\x00garbage", 400, "not valid protobuf"},
		{"log of a missing pod", "GET", "/api/v1/namespaces/default/pods/p/log", "", "", 404, `pods "p" not found`},
		{"exec of a missing pod", "POST", "/api/v1/namespaces/default/pods/p/exec?command=ls&stdout=true", "", "", 404, `pods "p" not found`},
		{"log is GET only", "DELETE", "/api/v1/namespaces/default/pods/p/log", "", "", 405, "not supported"},
		{"node proxy not served yet", "GET", "/api/v1/nodes/n/proxy", "", "", 501, "not served yet"},
	}
	for _, tt := range tests {
		code, s := do(tt.method, tt.path, tt.ctype, tt.body)
		if code != tt.code || int(s.Code) != tt.code || s.Kind != "Status" || !strings.Contains(s.Message, tt.msg) {
			t.Errorf("%s: got %d %q (Status code %d), want %d with %q", tt.name, code, s.Message, s.Code, tt.code, tt.msg)
		}
	}
	if code, _ := do("POST", cms, "application/json", `{"metadata":{"name":"still-serving"}}`); code != 201 {
		t.Errorf("after the bad requests a good create got %d", code)
	}
}

// TestAPISemantics: paging, bookmarks, generation, finalizers and graceful
// pod deletion as a Kubernetes client sees them.
func TestAPISemantics(t *testing.T) {
	t.Parallel()
	c, _ := newTestServer(t, store.Options{})
	ctx := context.Background()
	cms := c.CoreV1().ConfigMaps("default")
	for i := 0; i < 5; i++ {
		if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{GenerateName: "page-"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	// limit/continue walks every object exactly once.
	seen := map[string]bool{}
	opts := metav1.ListOptions{Limit: 2}
	for pages := 0; ; pages++ {
		l, err := cms.List(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Items) > 2 || l.ResourceVersion == "" {
			t.Fatalf("page of %d items, rv %q", len(l.Items), l.ResourceVersion)
		}
		for _, cm := range l.Items {
			if seen[cm.Name] {
				t.Fatalf("%s listed twice", cm.Name)
			}
			seen[cm.Name] = true
		}
		if l.Continue == "" {
			break
		}
		opts.Continue = l.Continue
	}
	if len(seen) != 5 {
		t.Errorf("paging saw %d objects, want 5", len(seen))
	}

	// Bookmarks arrive when asked for.
	l, _ := cms.List(ctx, metav1.ListOptions{})
	w, err := cms.Watch(ctx, metav1.ListOptions{ResourceVersion: l.ResourceVersion, AllowWatchBookmarks: true})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-w.ResultChan():
		if ev.Type != watch.Bookmark {
			t.Errorf("first event %s, want BOOKMARK", ev.Type)
		}
	case <-time.After(3 * time.Second):
		t.Error("no bookmark within 3s (interval 200ms)")
	}
	w.Stop()

	// generation moves with spec changes only.
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "img:1"}}, ActiveDeadlineSeconds: ptr.To[int64](100)}}
	p, err := c.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Generation != 1 {
		t.Errorf("generation after create = %d, want 1", p.Generation)
	}
	p.Labels = map[string]string{"a": "b"}
	if p, err = c.CoreV1().Pods("default").Update(ctx, p, metav1.UpdateOptions{}); err != nil || p.Generation != 1 {
		t.Errorf("generation after a label change = %d (%v), want 1", p.Generation, err)
	}
	p.Spec.Containers[0].Image = "img:2"
	if p, err = c.CoreV1().Pods("default").Update(ctx, p, metav1.UpdateOptions{}); err != nil || p.Generation != 2 {
		t.Errorf("generation after an image change = %d (%v), want 2", p.Generation, err)
	}

	// A pod bound to a node is deleted gracefully: it stays with a
	// deletionTimestamp until its node deletes it with grace 0.
	if err := c.CoreV1().Pods("default").Bind(ctx, &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Target: corev1.ObjectReference{Kind: "Node", Name: "n1"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	bound, err := c.CoreV1().Pods("default").Get(ctx, "p", metav1.GetOptions{})
	if err != nil || bound.Spec.NodeName != "n1" || !podstatus.ConditionTrue(bound, corev1.PodScheduled) {
		t.Errorf("after binding: nodeName %q, conditions %+v (%v); want n1 and PodScheduled True", bound.Spec.NodeName, bound.Status.Conditions, err)
	}
	if err := c.CoreV1().Pods("default").Delete(ctx, "p", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	p, err = c.CoreV1().Pods("default").Get(ctx, "p", metav1.GetOptions{})
	if err != nil || p.DeletionTimestamp == nil || p.DeletionGracePeriodSeconds == nil || *p.DeletionGracePeriodSeconds != 30 {
		t.Fatalf("bound pod after delete: %v %+v, want it terminating with grace 30", err, p.ObjectMeta)
	}
	if err := c.CoreV1().Pods("default").Delete(ctx, "p", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CoreV1().Pods("default").Get(ctx, "p", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("pod after delete with grace 0: %v, want NotFound", err)
	}

	// An object with a finalizer waits for it; removing it completes the delete.
	cm, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "held", Finalizers: []string{"example.com/hold"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := cms.Delete(ctx, "held", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if cm, err = cms.Get(ctx, "held", metav1.GetOptions{}); err != nil || cm.DeletionTimestamp == nil {
		t.Fatalf("finalized object after delete: %v, deletionTimestamp %v", err, cm.DeletionTimestamp)
	}
	cm.Finalizers = nil
	if _, err := cms.Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cms.Get(ctx, "held", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("object after its last finalizer went: %v, want NotFound", err)
	}
}
