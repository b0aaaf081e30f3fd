package e2e

import (
	"strings"
	"testing"
)

// TestObjectVerbs: mini apply/get/describe/delete against a real cluster,
// for people without kubectl.
func TestObjectVerbs(t *testing.T) {
	e := newEnv(t)
	name := uniqueName("obj")
	e.up(name, "--nodes", "1", "--no-kubeconfig-merge")
	manifest := "../../testdata/manifests/web.yaml"
	if out := e.must("apply", "--name", name, "-f", manifest); out != "deployment.apps/web created\nconfigmap/web-config created\n" {
		t.Errorf("first apply printed %q", out)
	}
	if out := e.must("apply", "--name", name, "-f", manifest); out != "deployment.apps/web unchanged\nconfigmap/web-config unchanged\n" {
		t.Errorf("second apply printed %q", out)
	}
	if out := e.must("get", "--name", name, "deploy"); !strings.Contains(out, "UP-TO-DATE") || !strings.Contains(out, "web") {
		t.Errorf("get deploy printed:\n%s", out)
	}
	if out := e.must("get", "--name", name, "nodes", "-o", "wide"); !strings.Contains(out, "INTERNAL-IP") || !strings.Contains(out, name+"-node-1") || !strings.Contains(out, "Ready") {
		t.Errorf("get nodes -o wide printed:\n%s", out)
	}
	if out := e.must("get", "--name", name, "sa", "-A"); !strings.Contains(out, "kube-system") || !strings.Contains(out, "default") {
		t.Errorf("every namespace should have a default service account:\n%s", out)
	}
	if out := e.must("describe", "--name", name, "cm", "web-config"); !strings.Contains(out, "greeting: hello") {
		t.Errorf("describe printed:\n%s", out)
	}
	if out, err := e.mini("get", "--name", name, "cm", "nope"); err == nil || !strings.Contains(out, `configmaps "nope" not found`) {
		t.Errorf("get of a missing object: %v\n%s", err, out)
	}
	if out := e.must("delete", "--name", name, "-f", manifest); !strings.Contains(out, `deployment.apps "web" deleted`) {
		t.Errorf("delete printed %q", out)
	}
	if out := e.must("get", "--name", name, "cm"); !strings.Contains(out, "No resources found in default namespace.") {
		t.Errorf("get after delete printed:\n%s", out)
	}
}
