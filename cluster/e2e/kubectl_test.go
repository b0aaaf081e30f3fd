package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minidev/mini/cluster/version"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"
)

// TestKubectl drives the API server with a real kubectl (built from the
// k8s.io/kubectl module in testdata/kubectl) and checks its output, exit
// codes and the objects read back with client-go. Each subtest has a server
// of its own.
func TestKubectl(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: skipped under -short")
	}
	kubectlBinary(t) // build once, before the subtests run in parallel
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, e *kubectlEnv)
	}{
		{"version", testKubectlVersion},
		{"api-resources", testKubectlAPIResources},
		{"api-versions", testKubectlAPIVersions},
		{"get pods", testKubectlGetPods},
		{"get nodes", testKubectlGetNodes},
		{"apply", testKubectlApply},
		{"apply unknown field", testKubectlApplyUnknownField},
		{"patch", testKubectlPatch},
		{"label and annotate", testKubectlLabelAnnotate},
		{"scale", testKubectlScale},
		{"create and delete", testKubectlCreateDelete},
		{"get -w", testKubectlWatch},
		{"describe pod", testKubectlDescribePod},
		{"describe node", testKubectlDescribeNode},
		{"explain", testKubectlExplain},
		{"unauthorized", testKubectlUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newKubectlEnv(t))
		})
	}
}

func testKubectlVersion(t *testing.T, e *kubectlEnv) {
	out := e.must("version") // must: also no version-skew warning on stderr
	for _, want := range []string{"Client Version: " + kubectlVersion, "Server Version: " + version.Version} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("kubectl version lacks %q:\n%s", want, out)
		}
	}
	var v struct {
		ClientVersion struct{ GitVersion, Major, Minor string }
		ServerVersion struct{ GitVersion, Major, Minor, Platform string }
	}
	if err := json.Unmarshal([]byte(e.must("version", "-o", "json")), &v); err != nil {
		t.Fatal(err)
	}
	if v.ServerVersion.GitVersion != version.Version || v.ServerVersion.Major != "1" || v.ServerVersion.Minor == "" || v.ServerVersion.Platform == "" {
		t.Errorf("serverVersion = %+v, want gitVersion %s, major 1, a minor and a platform", v.ServerVersion, version.Version)
	}
}

func testKubectlAPIResources(t *testing.T, e *kubectlEnv) {
	tb := parseTable(t, e.must("api-resources"))
	if want := []string{"NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"}; !slices.Equal(tb.header, want) {
		t.Fatalf("header = %q, want %q", tb.header, want)
	}
	for _, want := range []map[string]string{
		{"NAME": "pods", "SHORTNAMES": "po", "APIVERSION": "v1", "NAMESPACED": "true", "KIND": "Pod"},
		{"NAME": "nodes", "SHORTNAMES": "no", "APIVERSION": "v1", "NAMESPACED": "false", "KIND": "Node"},
		{"NAME": "configmaps", "SHORTNAMES": "cm", "APIVERSION": "v1", "NAMESPACED": "true", "KIND": "ConfigMap"},
		{"NAME": "services", "SHORTNAMES": "svc", "APIVERSION": "v1", "NAMESPACED": "true", "KIND": "Service"},
		{"NAME": "deployments", "SHORTNAMES": "deploy", "APIVERSION": "apps/v1", "NAMESPACED": "true", "KIND": "Deployment"},
	} {
		if got := tb.row(t, want["NAME"]); !equalMaps(got, want) {
			t.Errorf("api-resources row %s = %v, want %v", want["NAME"], got, want)
		}
	}
	// Filters run on the client over the same discovery.
	cluster := strings.Fields(e.must("api-resources", "--namespaced=false", "-o", "name"))
	if !slices.Contains(cluster, "nodes") || !slices.Contains(cluster, "namespaces") || slices.Contains(cluster, "pods") {
		t.Errorf("api-resources --namespaced=false -o name = %v: want nodes and namespaces, not pods", cluster)
	}
	apps := parseTable(t, e.must("api-resources", "--api-group=apps"))
	for _, r := range apps.rows {
		if r["APIVERSION"] != "apps/v1" {
			t.Errorf("api-resources --api-group=apps lists %v", r)
		}
	}
	if !slices.Contains(apps.names(), "deployments") {
		t.Errorf("api-resources --api-group=apps lacks deployments: %v", apps.names())
	}
}

func testKubectlAPIVersions(t *testing.T, e *kubectlEnv) {
	got := strings.Fields(e.must("api-versions"))
	for _, want := range []string{"v1", "apps/v1", "batch/v1"} {
		if !slices.Contains(got, want) {
			t.Errorf("api-versions lacks %s: %v", want, got)
		}
	}
	if !slices.IsSorted(got) {
		t.Errorf("api-versions not sorted: %v", got)
	}
}

func testKubectlGetPods(t *testing.T, e *kubectlEnv) {
	e.createNamespace("shop")
	e.createNode("worker-1")
	e.createPod("shop", "web-1", map[string]string{"app": "web"}, "worker-1")
	e.createPod("shop", "db-1", map[string]string{"app": "db"}, "")
	e.createPod("default", "other-1", nil, "")

	tb := parseTable(t, e.must("get", "pods", "-n", "shop"))
	if want := []string{"NAME", "READY", "STATUS", "RESTARTS", "AGE"}; !slices.Equal(tb.header, want) {
		t.Fatalf("get pods header = %q, want %q", tb.header, want)
	}
	if got := tb.names(); !slices.Equal(got, []string{"db-1", "web-1"}) {
		t.Errorf("get pods -n shop lists %v, want [db-1 web-1]", got)
	}
	checkRow(t, tb.row(t, "web-1"), map[string]string{"READY": "1/1", "STATUS": "Running", "RESTARTS": "0"})
	checkRow(t, tb.row(t, "db-1"), map[string]string{"READY": "0/1", "STATUS": "Pending", "RESTARTS": "0"})
	if age := tb.row(t, "web-1")["AGE"]; !regexp.MustCompile(`^\d+s$`).MatchString(age) {
		t.Errorf("AGE of a pod created just now = %q, want seconds", age)
	}

	wide := parseTable(t, e.must("get", "pods", "-n", "shop", "-o", "wide"))
	if want := []string{"NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"}; !slices.Equal(wide.header, want) {
		t.Fatalf("get pods -o wide header = %q, want %q", wide.header, want)
	}
	checkRow(t, wide.row(t, "web-1"), map[string]string{"IP": "10.244.1.5", "NODE": "worker-1", "NOMINATED NODE": "<none>"})
	checkRow(t, wide.row(t, "db-1"), map[string]string{"IP": "<none>", "NODE": "<none>"})

	// -o yaml and -o json print the object the API holds.
	live, err := e.client.CoreV1().Pods("shop").Get(context.Background(), "web-1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"yaml", "json"} {
		var got corev1.Pod
		if err := yaml.Unmarshal([]byte(e.must("get", "pod", "web-1", "-n", "shop", "-o", format)), &got); err != nil {
			t.Fatalf("-o %s: %v", format, err)
		}
		if got.APIVersion != "v1" || got.Kind != "Pod" {
			t.Errorf("-o %s: apiVersion/kind = %s/%s, want v1/Pod", format, got.APIVersion, got.Kind)
		}
		got.TypeMeta = live.TypeMeta
		if !apiequality.Semantic.DeepEqual(&got, live) {
			a, _ := json.Marshal(&got)
			b, _ := json.Marshal(live)
			t.Errorf("-o %s differs from the object read with client-go:\nkubectl:   %s\nclient-go: %s", format, a, b)
		}
	}
	var list struct {
		Kind  string
		Items []corev1.Pod
	}
	if err := json.Unmarshal([]byte(e.must("get", "pods", "-n", "shop", "-o", "json")), &list); err != nil {
		t.Fatal(err)
	}
	if list.Kind != "List" || len(list.Items) != 2 || list.Items[1].Name != "web-1" || list.Items[1].Status.PodIP != "10.244.1.5" {
		t.Errorf("get pods -o json: kind %q with %d items, want a List of db-1 and web-1 (with its IP)", list.Kind, len(list.Items))
	}

	all := parseTable(t, e.must("get", "pods", "-A"))
	if want := []string{"NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"}; !slices.Equal(all.header, want) {
		t.Fatalf("get pods -A header = %q, want %q", all.header, want)
	}
	all.row(t, "web-1", "shop")
	all.row(t, "other-1", "default")
	if len(all.rows) != 3 {
		t.Errorf("get pods -A lists %d rows, want 3: %v", len(all.rows), all.rows)
	}

	if got := parseTable(t, e.must("get", "pods", "-n", "shop", "-l", "app=web")).names(); !slices.Equal(got, []string{"web-1"}) {
		t.Errorf("get pods -l app=web lists %v, want [web-1]", got)
	}
	if got := parseTable(t, e.must("get", "pods", "-A", "--field-selector", "status.phase=Pending")).names(); !slices.Equal(got, []string{"other-1", "db-1"}) && !slices.Equal(got, []string{"db-1", "other-1"}) {
		t.Errorf("get pods -A --field-selector status.phase=Pending lists %v, want db-1 and other-1", got)
	}
	if out, errOut, code := e.kubectl("get", "pods", "-n", "shop", "-l", "app=nothing"); code != 0 || out != "" || errOut != "No resources found in shop namespace.\n" {
		t.Errorf("get pods with no match: exit %d, stdout %q, stderr %q; want 0, nothing, \"No resources found in shop namespace.\"", code, out, errOut)
	}

	if errOut := e.fails("get", "pod", "x"); errOut != "Error from server (NotFound): pods \"x\" not found\n" {
		t.Errorf("get pod x: stderr %q", errOut)
	}
}

func testKubectlGetNodes(t *testing.T, e *kubectlEnv) {
	e.createNode("worker-1")
	tb := parseTable(t, e.must("get", "nodes"))
	if want := []string{"NAME", "STATUS", "ROLES", "AGE", "VERSION"}; !slices.Equal(tb.header, want) {
		t.Fatalf("get nodes header = %q, want %q", tb.header, want)
	}
	checkRow(t, tb.row(t, "worker-1"), map[string]string{"STATUS": "Ready", "ROLES": "worker", "VERSION": "v1.37.0-mini.0"})

	wide := parseTable(t, e.must("get", "nodes", "-o", "wide"))
	if want := []string{"NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"}; !slices.Equal(wide.header, want) {
		t.Fatalf("get nodes -o wide header = %q, want %q", wide.header, want)
	}
	checkRow(t, wide.row(t, "worker-1"), map[string]string{
		"INTERNAL-IP": "172.18.0.2", "EXTERNAL-IP": "<none>", "OS-IMAGE": "Debian GNU/Linux 12 (bookworm)",
		"KERNEL-VERSION": "6.8.0", "CONTAINER-RUNTIME": "containerd://2.1.0",
	})
	if got := strings.TrimSpace(e.must("get", "node", "worker-1", "-o", "jsonpath={.status.addresses[0].address}")); got != "172.18.0.2" {
		t.Errorf("-o jsonpath address = %q", got)
	}
	if errOut := e.fails("get", "node", "nope"); errOut != "Error from server (NotFound): nodes \"nope\" not found\n" {
		t.Errorf("get node nope: stderr %q", errOut)
	}
}

const deploymentManifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: REPLICAS
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: IMAGE
`

// webDeployment is deploymentManifest with its replicas and image.
func webDeployment(replicas int, image string) string {
	return strings.NewReplacer("REPLICAS", strconv.Itoa(replicas), "IMAGE", image).Replace(deploymentManifest)
}

// podManifest is a Pod of two containers, web running IMAGE.
const podManifest = `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: web
    image: IMAGE
  - name: sidecar
    image: busybox
`

func testKubectlApply(t *testing.T, e *kubectlEnv) {
	manifest := e.writeFile("web.yaml", webDeployment(2, "nginx:1.27"))
	if out := e.must("apply", "-f", manifest); out != "deployment.apps/web created\n" {
		t.Errorf("first apply: %q, want \"deployment.apps/web created\"", out)
	}
	if out := e.must("apply", "-f", manifest); out != "deployment.apps/web unchanged\n" {
		t.Errorf("second apply: %q, want \"deployment.apps/web unchanged\"", out)
	}
	e.writeFile("web.yaml", webDeployment(3, "nginx:1.27"))
	if out := e.must("apply", "-f", manifest); out != "deployment.apps/web configured\n" {
		t.Errorf("apply with replicas 3: %q, want \"deployment.apps/web configured\"", out)
	}
	d := e.getDeployment("default", "web")
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 3 {
		t.Errorf("replicas after apply = %v, want 3", d.Spec.Replicas)
	}
	var last appsv1.Deployment
	if err := json.Unmarshal([]byte(d.Annotations["kubectl.kubernetes.io/last-applied-configuration"]), &last); err != nil {
		t.Fatalf("last-applied-configuration annotation: %v (annotations %v)", err, d.Annotations)
	}
	if last.Spec.Replicas == nil || *last.Spec.Replicas != 3 || last.Name != "web" {
		t.Errorf("last-applied-configuration = %+v, want the manifest with replicas 3", last)
	}

	e.writeFile("web.yaml", webDeployment(3, "nginx:1.28"))
	if out := e.must("apply", "-f", manifest); out != "deployment.apps/web configured\n" {
		t.Errorf("apply with image nginx:1.28: %q, want \"deployment.apps/web configured\"", out)
	}
	if cs := e.getDeployment("default", "web").Spec.Template.Spec.Containers; len(cs) != 1 || cs[0].Image != "nginx:1.28" {
		t.Errorf("containers after apply = %+v, want one web with nginx:1.28", cs)
	}
	// A patch that adds an unknown field is refused (fieldValidation=Strict).
	bad := e.writeFile("bad.yaml", strings.Replace(webDeployment(4, "nginx:1.28"), "  replicas: 4\n", "  replicas: 4\n  replicaz: 1\n", 1))
	errOut := e.fails("apply", "-f", bad)
	if !strings.HasPrefix(errOut, "Error from server (BadRequest): error when applying patch:") || !strings.HasSuffix(errOut, `strict decoding error: unknown field "spec.replicaz"`+"\n") {
		t.Errorf("apply of a patch with an unknown field: stderr\n%s\nwant a BadRequest naming \"spec.replicaz\"", errOut)
	}
	// diff sends the patch as a dry run and exits 1 on a difference.
	e.writeFile("web.yaml", webDeployment(4, "nginx:1.28"))
	out, errOut, code := e.kubectl("diff", "-f", manifest)
	if code != 1 || errOut != "" || !strings.Contains(out, "\n-  replicas: 3\n+  replicas: 4\n") {
		t.Errorf("diff with replicas 4: exit code %d, want 1 and the replicas change\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if r := e.getDeployment("default", "web").Spec.Replicas; *r != 3 {
		t.Errorf("replicas after a refused apply and a diff = %d, want 3", *r)
	}

	pod := e.writeFile("pod.yaml", strings.Replace(podManifest, "IMAGE", "nginx:1.27", 1))
	if out := e.must("apply", "-f", pod); out != "pod/p created\n" {
		t.Errorf("apply of a pod: %q, want \"pod/p created\"", out)
	}
	e.writeFile("pod.yaml", strings.Replace(podManifest, "IMAGE", "nginx:1.28", 1))
	if out := e.must("apply", "-f", pod); out != "pod/p configured\n" {
		t.Errorf("apply of a pod with image nginx:1.28: %q, want \"pod/p configured\"", out)
	}
	p, err := e.client.CoreV1().Pods("default").Get(context.Background(), "p", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cs := p.Spec.Containers; len(cs) != 2 || cs[0].Name != "web" || cs[0].Image != "nginx:1.28" || cs[1].Name != "sidecar" || cs[1].Image != "busybox" {
		t.Errorf("pod containers after apply = %+v, want web with nginx:1.28, then sidecar", cs)
	}

	// Deployment: replicas, image, the refused field, diff; pod: image.
	expectStrategicPatches(t, e, 5)
	expectOpenAPIV3(t, e, "/openapi/v3/apis/apps/v1", "/openapi/v3/api/v1")
}

func testKubectlApplyUnknownField(t *testing.T, e *kubectlEnv) {
	bad := e.writeFile("bad.yaml", strings.Replace(webDeployment(1, "nginx:1.27"), "  replicas: 1\n", "  replicas: 1\n  replicass: 2\n", 1))
	// With OpenAPI v3 served, kubectl leaves the check to the server (fieldValidation=Strict).
	want := "Error from server (BadRequest): error when creating \"" + bad + "\": Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field \"spec.replicass\"\n"
	if errOut := e.fails("apply", "-f", bad); errOut != want {
		t.Errorf("apply with an unknown field: stderr\n%s\nwant\n%s", errOut, want)
	}
	if _, err := e.client.AppsV1().Deployments("default").Get(context.Background(), "web", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the rejected Deployment exists: %v", err)
	}
	// --validate=ignore (fieldValidation=Ignore) drops the unknown field.
	if out := e.must("apply", "--validate=ignore", "-f", bad); out != "deployment.apps/web created\n" {
		t.Errorf("apply --validate=ignore: %q", out)
	}
	if r := e.getDeployment("default", "web").Spec.Replicas; *r != 1 {
		t.Errorf("replicas = %d, want 1", *r)
	}
	// create validates as apply does; a field in a list is named by its index.
	badPod := e.writeFile("pod.yaml", strings.Replace(podManifest, "    image: IMAGE\n", "    imagez: x\n    image: nginx:1.27\n", 1))
	want = "Error from server (BadRequest): error when creating \"" + badPod + "\": Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown field \"spec.containers[0].imagez\"\n"
	if errOut := e.fails("create", "-f", badPod); errOut != want {
		t.Errorf("create with an unknown field: stderr\n%s\nwant\n%s", errOut, want)
	}
	if _, err := e.client.CoreV1().Pods("default").Get(context.Background(), "p", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the rejected Pod exists: %v", err)
	}
}

func testKubectlPatch(t *testing.T, e *kubectlEnv) {
	e.createDeployment("default", "web", 1)
	if out := e.must("patch", "deployment", "web", "-p", `{"spec":{"replicas":5}}`); out != "deployment.apps/web patched\n" {
		t.Errorf("strategic patch: %q", out)
	}
	if r := e.getDeployment("default", "web").Spec.Replicas; *r != 5 {
		t.Errorf("replicas after strategic patch = %d, want 5", *r)
	}
	// Strategic merge merges containers by name.
	e.must("patch", "deployment", "web", "-p", `{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.28"}]}}}}`)
	if cs := e.getDeployment("default", "web").Spec.Template.Spec.Containers; len(cs) != 1 || cs[0].Image != "nginx:1.28" {
		t.Errorf("containers after strategic patch = %+v, want one web with nginx:1.28", cs)
	}
	if out := e.must("patch", "deployment", "web", "--type", "merge", "-p", `{"metadata":{"labels":{"tier":"front"}}}`); out != "deployment.apps/web patched\n" {
		t.Errorf("merge patch: %q", out)
	}
	if l := e.getDeployment("default", "web").Labels; l["tier"] != "front" || l["app"] != "web" {
		t.Errorf("labels after merge patch = %v, want app=web and tier=front", l)
	}
	jsonPatch := `[{"op":"replace","path":"/spec/replicas","value":2}]`
	if out := e.must("patch", "deployment", "web", "--type", "json", "-p", jsonPatch); out != "deployment.apps/web patched\n" {
		t.Errorf("json patch: %q", out)
	}
	if r := e.getDeployment("default", "web").Spec.Replicas; *r != 2 {
		t.Errorf("replicas after json patch = %d, want 2", *r)
	}
	if out := e.must("patch", "deployment", "web", "--type", "json", "-p", jsonPatch); out != "deployment.apps/web patched (no change)\n" {
		t.Errorf("json patch changing nothing: %q, want \"deployment.apps/web patched (no change)\"", out)
	}
	errOut := e.fails("patch", "deployment", "web", "--type", "json", "-p", `[{"op":"replace","path":"/spec/nothing/here","value":1}]`)
	if !strings.HasPrefix(errOut, "The request is invalid: ") || !strings.Contains(errOut, "/spec/nothing/here") {
		t.Errorf("json patch of a missing path: stderr %q, want \"The request is invalid: ...\" naming the path", errOut)
	}
	if errOut := e.fails("patch", "deployment", "nope", "-p", `{"spec":{"replicas":1}}`); errOut != "Error from server (NotFound): deployments.apps \"nope\" not found\n" {
		t.Errorf("patch of a missing deployment: stderr %q", errOut)
	}
}

func testKubectlLabelAnnotate(t *testing.T, e *kubectlEnv) {
	e.createConfigMap("default", "c", nil, map[string]string{"k": "v"})
	if out := e.must("label", "configmap", "c", "env=prod"); out != "configmap/c labeled\n" {
		t.Errorf("label: %q", out)
	}
	if l := e.getConfigMap("default", "c").Labels; l["env"] != "prod" {
		t.Errorf("labels = %v, want env=prod", l)
	}
	if errOut := e.fails("label", "configmap", "c", "env=dev"); !strings.Contains(errOut, "'env' already has a value (prod), and --overwrite is false") {
		t.Errorf("label without --overwrite: stderr %q", errOut)
	}
	e.must("label", "configmap", "c", "env=dev", "--overwrite")
	if l := e.getConfigMap("default", "c").Labels; l["env"] != "dev" {
		t.Errorf("labels after --overwrite = %v, want env=dev", l)
	}
	if out := e.must("label", "configmap", "c", "env-"); out != "configmap/c unlabeled\n" {
		t.Errorf("label env-: %q", out)
	}
	if l := e.getConfigMap("default", "c").Labels; len(l) != 0 {
		t.Errorf("labels after env- = %v, want none", l)
	}
	if out := e.must("annotate", "configmap", "c", "note=hello world"); out != "configmap/c annotated\n" {
		t.Errorf("annotate: %q", out)
	}
	cm := e.getConfigMap("default", "c")
	if cm.Annotations["note"] != "hello world" || cm.Data["k"] != "v" {
		t.Errorf("after annotate: annotations %v, data %v", cm.Annotations, cm.Data)
	}
}

func testKubectlScale(t *testing.T, e *kubectlEnv) {
	e.createDeployment("default", "web", 1)
	if out := e.must("scale", "deployment", "web", "--replicas=4"); out != "deployment.apps/web scaled\n" {
		t.Errorf("scale: %q", out)
	}
	if r := e.getDeployment("default", "web").Spec.Replicas; *r != 4 {
		t.Errorf("replicas after scale = %d, want 4", *r)
	}
	if errOut := e.fails("scale", "deployment", "web", "--current-replicas=3", "--replicas=2"); !strings.Contains(errOut, "Expected replicas to be 3, was 4") {
		t.Errorf("scale with a wrong --current-replicas: stderr %q", errOut)
	}
	if r := e.getDeployment("default", "web").Spec.Replicas; *r != 4 {
		t.Errorf("replicas after a refused scale = %d, want 4", *r)
	}
}

func testKubectlCreateDelete(t *testing.T, e *kubectlEnv) {
	if out := e.must("create", "configmap", "cfg", "--from-literal=a=1", "--from-literal=b=two"); out != "configmap/cfg created\n" {
		t.Errorf("create configmap: %q", out)
	}
	if d := e.getConfigMap("default", "cfg").Data; !equalMaps(d, map[string]string{"a": "1", "b": "two"}) {
		t.Errorf("configmap data = %v", d)
	}
	if errOut := e.fails("create", "configmap", "cfg", "--from-literal=a=1"); !strings.Contains(errOut, `configmaps "cfg" already exists`) {
		t.Errorf("second create: stderr %q", errOut)
	}
	if out := e.must("delete", "configmap", "cfg"); out != "configmap \"cfg\" deleted from default namespace\n" {
		t.Errorf("delete: %q", out)
	}
	if errOut := e.fails("get", "configmap", "cfg"); errOut != "Error from server (NotFound): configmaps \"cfg\" not found\n" {
		t.Errorf("get after delete: stderr %q", errOut)
	}
	if errOut := e.fails("delete", "configmap", "cfg"); errOut != "Error from server (NotFound): configmaps \"cfg\" not found\n" {
		t.Errorf("delete of a missing configmap: stderr %q", errOut)
	}

	for _, name := range []string{"g-1", "g-2", "g-3"} {
		e.createConfigMap("default", name, map[string]string{"group": "g"}, nil)
	}
	e.createConfigMap("default", "keep", map[string]string{"group": "other"}, nil)
	want := "configmap \"g-1\" deleted from default namespace\nconfigmap \"g-2\" deleted from default namespace\nconfigmap \"g-3\" deleted from default namespace\n"
	if out := e.must("delete", "configmaps", "-l", "group=g"); out != want {
		t.Errorf("delete -l group=g:\n%s\nwant:\n%s", out, want)
	}
	list, err := e.client.CoreV1().ConfigMaps("default").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, cm := range list.Items {
		left = append(left, cm.Name)
	}
	if !slices.Equal(left, []string{"keep"}) {
		t.Errorf("configmaps left after delete -l = %v, want [keep]", left)
	}
}

func testKubectlWatch(t *testing.T, e *kubectlEnv) {
	e.createConfigMap("default", "w1", nil, map[string]string{"a": "1"})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := e.command(ctx, "get", "configmaps", "-w")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan []string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- strings.Fields(sc.Text())
		}
	}()
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if s := stderr.String(); s != "" {
			t.Errorf("kubectl get -w wrote to stderr:\n%s", s)
		}
	}()
	// await reads rows until one satisfies ok, or fails after timeout.
	await := func(what string, timeout time.Duration, ok func(f []string) bool) {
		t.Helper()
		deadline := time.After(timeout)
		for {
			select {
			case f, open := <-lines:
				if !open {
					t.Fatalf("kubectl get -w ended before %s; stderr:\n%s", what, stderr.String())
				}
				t.Logf("watch row: %q", f)
				if ok(f) {
					return
				}
			case <-deadline:
				t.Fatalf("kubectl get -w printed no row with %s within %s", what, timeout)
			}
		}
	}
	await("the header", 15*time.Second, func(f []string) bool { return slices.Equal(f, []string{"NAME", "DATA", "AGE"}) })
	await("w1 and 1 key", 5*time.Second, func(f []string) bool { return len(f) == 3 && f[0] == "w1" && f[1] == "1" })

	cm := e.getConfigMap("default", "w1")
	cm.Data["b"] = "2"
	if _, err := e.client.CoreV1().ConfigMaps("default").Update(context.Background(), cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	await("w1 and 2 keys", 5*time.Second, func(f []string) bool { return len(f) == 3 && f[0] == "w1" && f[1] == "2" })
	e.createConfigMap("default", "w2", nil, nil)
	await("the new w2", 5*time.Second, func(f []string) bool { return len(f) == 3 && f[0] == "w2" && f[1] == "0" })
}

func testKubectlDescribePod(t *testing.T, e *kubectlEnv) {
	e.createNamespace("shop")
	e.createNode("worker-1")
	pod := e.createPod("shop", "web-1", map[string]string{"app": "web"}, "worker-1")
	ev := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "web-1.scheduled", Namespace: "shop"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: "web-1", UID: pod.UID, APIVersion: "v1"},
		Reason:         "Scheduled", Message: "Successfully assigned shop/web-1 to worker-1", Type: corev1.EventTypeNormal,
		Source: corev1.EventSource{Component: "default-scheduler"}, Count: 1,
		FirstTimestamp: metav1.Now(), LastTimestamp: metav1.Now(),
	}
	if _, err := e.client.CoreV1().Events("shop").Create(context.Background(), ev, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.requests.reset()
	out := e.must("describe", "pod", "web-1", "-n", "shop")
	expectLines(t, "describe pod", out,
		`^Name:\s+web-1$`, `^Namespace:\s+shop$`, `^Node:\s+worker-1/172\.18\.0\.2$`, `^Labels:\s+app=web$`,
		`^Status:\s+Running$`, `^IP:\s+10\.244\.1\.5$`, `^\s+web:$`, `^\s+Image:\s+nginx:1\.27$`, `^\s+State:\s+Running$`,
		`^\s+Ready\s+True\s*$`, `^Events:$`, `^\s+Normal\s+Scheduled\s+.*default-scheduler\s+Successfully assigned shop/web-1 to worker-1$`)
	expectNoBadRequests(t, e)
	if errOut := e.fails("describe", "pod", "nope", "-n", "shop"); errOut != "Error from server (NotFound): pods \"nope\" not found\n" {
		t.Errorf("describe pod nope: stderr %q", errOut)
	}
}

func testKubectlDescribeNode(t *testing.T, e *kubectlEnv) {
	e.createNode("worker-1")
	e.createPod("default", "web-1", map[string]string{"app": "web"}, "worker-1")
	e.requests.reset()
	out := e.must("describe", "node", "worker-1")
	expectLines(t, "describe node", out,
		`^Name:\s+worker-1$`, `^Roles:\s+worker$`, `^Labels:\s+.*kubernetes\.io/hostname=worker-1$`,
		`^\s+Ready\s+True\s+.*KubeletReady\s+kubelet is posting ready status$`, `^\s+InternalIP:\s+172\.18\.0\.2$`,
		`^\s+Kubelet Version:\s+v1\.37\.0-mini\.0$`, `^Non-terminated Pods:\s+\(1 in total\)$`, `^\s+default\s+web-1\s+`)
	expectNoBadRequests(t, e)
}

func testKubectlExplain(t *testing.T, e *kubectlEnv) {
	out := e.must("explain", "pod.spec")
	expectLines(t, "explain pod.spec", out,
		`^KIND:\s+Pod$`, `^VERSION:\s+v1$`, `^FIELD:\s+spec <PodSpec>$`, `^DESCRIPTION:$`,
		`Specification of the desired behavior of the pod`, `^FIELDS:$`, `^\s+containers\s+<\[\]Container> -required-$`)
	// --recursive follows the references between schemas: the nesting shows.
	out = e.must("explain", "deployment.spec.strategy", "--recursive")
	expectLines(t, "explain deployment.spec.strategy --recursive", out,
		`^GROUP:\s+apps$`, `^KIND:\s+Deployment$`, `^FIELD:\s+strategy <DeploymentStrategy>$`,
		`^\s+DeploymentStrategy describes how to replace existing pods with new ones\.$`,
		"^FIELDS:\n  rollingUpdate\t<RollingUpdateDeployment>\n    maxSurge\t<IntOrString>\n    maxUnavailable\t<IntOrString>\n  type\t<string>$")
	out = e.must("explain", "deployment.spec", "--recursive")
	expectLines(t, "explain deployment.spec --recursive", out,
		"^  selector\t<LabelSelector> -required-$", "^  template\t<PodTemplateSpec> -required-$",
		"^      creationTimestamp\t<string>$", "^      containers\t<\\[\\]Container> -required-$")
	expectOpenAPIV3(t, e, "/openapi/v3/api/v1", "/openapi/v3/apis/apps/v1")
}

func testKubectlUnauthorized(t *testing.T, e *kubectlEnv) {
	// A user with no bearer token (a user name only: with no credentials at
	// all kubectl would prompt for them) and a wrong token.
	cfg, err := clientcmd.LoadFromFile(e.kubeconf)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range cfg.AuthInfos {
		u.Token, u.Username = "", "nobody"
	}
	anon := *e
	anon.kubeconf, anon.cacheDir = filepath.Join(e.dir, "anonymous.kubeconfig"), e.cacheDir+"-anonymous"
	if err := clientcmd.WriteToFile(*cfg, anon.kubeconf); err != nil {
		t.Fatal(err)
	}
	const raw = "/api/v1/namespaces/default/pods"
	const want = "error: You must be logged in to the server (Unauthorized)\n"
	if errOut := anon.fails("get", "--raw", raw); errOut != want {
		t.Errorf("get --raw %s without a token: stderr %q, want %q", raw, errOut, want)
	}
	if errOut := e.fails("get", "--raw", raw, "--token", "not-the-token"); errOut != want {
		t.Errorf("get --raw %s with a wrong token: stderr %q, want %q", raw, errOut, want)
	}
	// Commands that start with discovery report the 401 as kubectl does
	// against any Kubernetes: discovery cannot decode the Status.
	const discovery = "error: You must be logged in to the server (the server has asked for the client to provide credentials)"
	for _, k := range []*kubectlEnv{&anon, e} {
		args := []string{"get", "pods"}
		if k == e {
			args = append(args, "--token", "not-the-token")
		}
		if errOut := k.fails(args...); !strings.HasSuffix(errOut, "\n"+discovery+"\n") {
			t.Errorf("kubectl %s: stderr does not end with %q:\n%s", strings.Join(args, " "), discovery, errOut)
		}
	}
	// /version is public, as in Kubernetes.
	if out := anon.must("version"); !strings.Contains(out, "Server Version: "+version.Version) {
		t.Errorf("version without a token:\n%s", out)
	}
}
