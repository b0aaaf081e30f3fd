package objects

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minidev/mini/cluster/apiserver/apiservertest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: REPLICAS
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: web:1
`

// TestApplyGetDelete runs the verbs against a real API server.
func TestApplyGetDelete(t *testing.T) {
	t.Parallel()
	cfg := apiservertest.Start(t)
	kc := kubernetes.NewForConfigOrDie(cfg)
	var out bytes.Buffer
	c, err := New(cfg, &out)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dir := t.TempDir()
	file := filepath.Join(dir, "web.yaml")
	apply := func(replicas string) string {
		t.Helper()
		if err := os.WriteFile(file, []byte(strings.Replace(deployment, "REPLICAS", replicas, 1)+"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: conf}\ndata: {a: b}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		docs, err := ReadManifests([]string{file}, nil)
		if err != nil {
			t.Fatal(err)
		}
		out.Reset()
		if err := c.Apply(ctx, docs, "default"); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	if got := apply("2"); got != "deployment.apps/web created\nconfigmap/conf created\n" {
		t.Errorf("first apply printed %q", got)
	}
	if got := apply("2"); got != "deployment.apps/web unchanged\nconfigmap/conf unchanged\n" {
		t.Errorf("second apply printed %q", got)
	}
	if got := apply("4"); got != "deployment.apps/web configured\nconfigmap/conf unchanged\n" {
		t.Errorf("third apply printed %q", got)
	}
	d, err := kc.AppsV1().Deployments("default").Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *d.Spec.Replicas != 4 || !strings.Contains(d.Annotations[LastApplied], `"replicas":4`) {
		t.Errorf("after apply: replicas %d, last-applied %q", *d.Spec.Replicas, d.Annotations[LastApplied])
	}

	// An invalid object: the error names the file, the document and the field.
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c}]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	docs, err := ReadManifests([]string{bad}, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Apply(ctx, docs, "default")
	if err == nil || !strings.Contains(err.Error(), "bad.yaml, document 2 (Pod p)") || !strings.Contains(err.Error(), "spec.containers[0].image") {
		t.Errorf("invalid apply: %v; want the file, document 2 and spec.containers[0].image named", err)
	}

	out.Reset()
	if err := c.Get(ctx, GetOptions{Kind: "deploy", Namespace: "default"}); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[0], "NAME") || !strings.Contains(lines[0], "READY") || !strings.HasPrefix(lines[1], "web ") {
		t.Errorf("get deploy printed:\n%s", out.String())
	}
	out.Reset()
	if err := c.Get(ctx, GetOptions{Kind: "cm", AllNamespaces: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "NAMESPACE") || !strings.Contains(out.String(), "default") || !strings.Contains(out.String(), "conf") {
		t.Errorf("get cm -A printed:\n%s", out.String())
	}
	out.Reset()
	if err := c.Get(ctx, GetOptions{Kind: "configmaps", Names: []string{"conf"}, Namespace: "default", Output: "yaml"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "kind: ConfigMap") || !strings.Contains(out.String(), "a: b") {
		t.Errorf("get -o yaml printed:\n%s", out.String())
	}
	if err := c.Get(ctx, GetOptions{Kind: "frobs"}); err == nil || !strings.Contains(err.Error(), `doesn't have a resource type "frobs"`) {
		t.Errorf("get of an unknown kind: %v", err)
	}

	out.Reset()
	if err := c.Describe(ctx, "deployment", "web", "default"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Name:", "web", "Namespace:", "Labels:", "app=web", "Spec:", "replicas: 4", "Events:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("describe lacks %q:\n%s", want, out.String())
		}
	}

	out.Reset()
	docs, err = ReadManifests([]string{file}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, docs, "default"); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "deployment.apps \"web\" deleted\nconfigmap \"conf\" deleted\n" {
		t.Errorf("delete printed %q", got)
	}
	if err := c.DeleteNamed(ctx, "cm", []string{"ok"}, "default"); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteNamed(ctx, "cm", []string{"ok"}, "default"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("second delete: %v, want not found", err)
	}
}
