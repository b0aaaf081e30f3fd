package e2e

// Objects the kubectl subtests create through client-go, and the checks
// they share.

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// createNode creates a Ready worker node with addresses and node info.
func (e *kubectlEnv) createNode(name string) *corev1.Node {
	e.t.Helper()
	now := metav1.Now()
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
			"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "node-role.kubernetes.io/worker": "",
		}},
		Status: corev1.NodeStatus{
			Conditions: []corev1.NodeCondition{{
				Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
				Message: "kubelet is posting ready status", LastHeartbeatTime: now, LastTransitionTime: now,
			}},
			Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "172.18.0.2"}, {Type: corev1.NodeHostName, Address: name}},
			NodeInfo: corev1.NodeSystemInfo{
				KubeletVersion: "v1.37.0-mini.0", OSImage: "Debian GNU/Linux 12 (bookworm)", KernelVersion: "6.8.0",
				ContainerRuntimeVersion: "containerd://2.1.0", OperatingSystem: "linux", Architecture: "amd64",
			},
		},
	}
	n, err := e.client.CoreV1().Nodes().Create(context.Background(), n, metav1.CreateOptions{})
	if err != nil {
		e.t.Fatalf("create node %s: %v", name, err)
	}
	return n
}

// createPod creates a pod; one with a node is then reported running on it
// (through /status, as an agent reports it).
func (e *kubectlEnv) createPod(ns, name string, labels map[string]string, node string) *corev1.Pod {
	e.t.Helper()
	ctx := context.Background()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec:       corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27"}}},
	}
	p, err := e.client.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
	if err != nil {
		e.t.Fatalf("create pod %s/%s: %v", ns, name, err)
	}
	if node == "" {
		return p
	}
	now := metav1.Now()
	p.Status = corev1.PodStatus{
		Phase: corev1.PodRunning, HostIP: "172.18.0.2", PodIP: "10.244.1.5", PodIPs: []corev1.PodIP{{IP: "10.244.1.5"}},
		StartTime: &now, QOSClass: p.Status.QOSClass,
		Conditions: []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
		},
		ContainerStatuses: []corev1.ContainerStatus{{
			Name: "web", Image: "nginx:1.27", ImageID: "docker.io/library/nginx@sha256:0000", ContainerID: "containerd://abc",
			Ready: true, Started: new(true), State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		}},
	}
	if p, err = e.client.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		e.t.Fatalf("update status of pod %s/%s: %v", ns, name, err)
	}
	return p
}

func (e *kubectlEnv) createDeployment(ns, name string, replicas int32) {
	e.t.Helper()
	labels := map[string]string{"app": name}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: name, Image: "nginx:1.27"}}},
			},
		},
	}
	if _, err := e.client.AppsV1().Deployments(ns).Create(context.Background(), d, metav1.CreateOptions{}); err != nil {
		e.t.Fatalf("create deployment %s/%s: %v", ns, name, err)
	}
}

func (e *kubectlEnv) getDeployment(ns, name string) *appsv1.Deployment {
	e.t.Helper()
	d, err := e.client.AppsV1().Deployments(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		e.t.Fatalf("get deployment %s/%s: %v", ns, name, err)
	}
	return d
}

func (e *kubectlEnv) createConfigMap(ns, name string, labels, data map[string]string) {
	e.t.Helper()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels}, Data: data}
	if _, err := e.client.CoreV1().ConfigMaps(ns).Create(context.Background(), cm, metav1.CreateOptions{}); err != nil {
		e.t.Fatalf("create configmap %s/%s: %v", ns, name, err)
	}
}

func (e *kubectlEnv) getConfigMap(ns, name string) *corev1.ConfigMap {
	e.t.Helper()
	cm, err := e.client.CoreV1().ConfigMaps(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		e.t.Fatalf("get configmap %s/%s: %v", ns, name, err)
	}
	if cm.Data == nil {
		cm.Data = map[string]string{}
	}
	return cm
}

// checkRow compares the named cells of a table row.
func checkRow(t *testing.T, row, want map[string]string) {
	t.Helper()
	for col, w := range want {
		if row[col] != w {
			t.Errorf("row %s: %s = %q, want %q (row %v)", row["NAME"], col, row[col], w, row)
		}
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

// expectLines checks that out has a line matching each pattern.
func expectLines(t *testing.T, what, out string, patterns ...string) {
	t.Helper()
	for _, p := range patterns {
		if !regexp.MustCompile("(?m)" + p).MatchString(out) {
			t.Errorf("%s: no line matches %s in:\n%s", what, p, out)
		}
	}
}

// expectNoBadRequests fails for requests since the last reset that the server
// refused other than with 404 (what describe gets for an absent lease).
func expectNoBadRequests(t *testing.T, e *kubectlEnv) {
	t.Helper()
	for _, r := range e.requests.failed() {
		if !strings.HasSuffix(r, "-> 404") {
			t.Errorf("the server refused a request kubectl made: %s", r)
		}
	}
}

// expectStrategicPatches checks the PATCH requests since the last reset: n
// of them, each a strategic merge patch, each with fieldValidation=Strict but
// diff's dry runs.
func expectStrategicPatches(t *testing.T, e *kubectlEnv, n int) {
	t.Helper()
	var patches []string
	for _, r := range e.requests.all() {
		if r.method != http.MethodPatch {
			continue
		}
		patches = append(patches, r.String())
		u, err := url.Parse(r.uri)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if r.contentType != "application/strategic-merge-patch+json" || q.Get("dryRun") != "All" && q.Get("fieldValidation") != "Strict" {
			t.Errorf("kubectl sent %s, want a strategic merge patch with fieldValidation=Strict", r)
		}
	}
	if len(patches) != n {
		t.Errorf("kubectl sent %d PATCH requests, want %d:\n%s", len(patches), n, strings.Join(patches, "\n"))
	}
}

// expectOpenAPIV3 checks that kubectl read each of the OpenAPI v3 documents
// at paths and never asked for OpenAPI v2: what it knew of the schemas came
// from v3.
func expectOpenAPIV3(t *testing.T, e *kubectlEnv, paths ...string) {
	t.Helper()
	read := map[string]bool{}
	for _, r := range e.requests.all() {
		path, _, _ := strings.Cut(r.uri, "?")
		if strings.HasPrefix(path, "/openapi/v2") {
			t.Errorf("kubectl asked for OpenAPI v2: %s", r)
		}
		if r.method == http.MethodGet && r.code == http.StatusOK {
			read[path] = true
		}
	}
	for _, p := range paths {
		if !read[p] {
			t.Errorf("kubectl did not read %s", p)
		}
	}
}

// table is kubectl's column output: the header and each row's cells by column.
type table struct {
	header []string
	rows   []map[string]string
}

// parseTable splits kubectl's table output at the header's column starts
// (columns are separated by at least two spaces; names may hold one).
func parseTable(t *testing.T, out string) table {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) == 0 || lines[0] == "" {
		t.Fatalf("no table in output:\n%s", out)
	}
	head := lines[0]
	var starts []int
	var tb table
	for i := 0; i < len(head); {
		if head[i] == ' ' {
			i++
			continue
		}
		end := i
		for end < len(head) && !(head[end] == ' ' && (end+1 >= len(head) || head[end+1] == ' ')) {
			end++
		}
		starts = append(starts, i)
		tb.header = append(tb.header, head[i:end])
		i = end
	}
	for _, line := range lines[1:] {
		row := map[string]string{}
		for c, start := range starts {
			if start >= len(line) {
				row[tb.header[c]] = ""
				continue
			}
			end := len(line)
			if c+1 < len(starts) && starts[c+1] < end {
				end = starts[c+1]
			}
			row[tb.header[c]] = strings.TrimSpace(line[start:end])
		}
		tb.rows = append(tb.rows, row)
	}
	return tb
}

// row returns the row whose NAME is name (and NAMESPACE ns when given).
func (tb table) row(t *testing.T, name string, ns ...string) map[string]string {
	t.Helper()
	for _, r := range tb.rows {
		if r["NAME"] == name && (len(ns) == 0 || r["NAMESPACE"] == ns[0]) {
			return r
		}
	}
	t.Fatalf("no row %s %v in table %v: %v", name, ns, tb.header, tb.rows)
	return nil
}

func (tb table) names() []string {
	var out []string
	for _, r := range tb.rows {
		out = append(out, r["NAME"])
	}
	return out
}
