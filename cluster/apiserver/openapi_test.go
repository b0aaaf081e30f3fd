package apiserver

import (
	"context"
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minidev/mini/cluster/store"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/openapi"
	"k8s.io/client-go/openapi3"
	"k8s.io/client-go/rest"
	"k8s.io/kube-openapi/pkg/spec3"
)

// newOpenAPITestServer serves a fresh store with namespace default and
// returns its URL; each request's method and URI is sent to seen if not nil.
func newOpenAPITestServer(t *testing.T, seen func(r *http.Request)) (string, kubernetes.Interface) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "store.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := New(Config{Store: st}).Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seen != nil {
			seen(r)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	c, err := kubernetes.NewForConfig(&rest.Config{Host: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return ts.URL, c
}

// testDocs are the documents of the default registry, decoded as JSON.
func testDocs(t *testing.T) map[string]map[string]any {
	t.Helper()
	specs, err := openAPIFor(NewRegistry(DefaultResources()), "v1.34.0-mini")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for gv, doc := range specs.byGV {
		var m map[string]any
		if err := json.Unmarshal(doc.json, &m); err != nil {
			t.Fatalf("%s: %v", gv, err)
		}
		out[gv] = m
	}
	return out
}

// dig follows keys (and, for numbers, list indexes) into a decoded document.
func dig(v any, path ...string) any {
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func TestOpenAPISchemas(t *testing.T) {
	t.Parallel()
	docs := testDocs(t)
	const core, apps = "api/v1", "apis/apps/v1"
	comp := func(name string, path ...string) []string {
		return append([]string{"components", "schemas", name}, path...)
	}
	cases := []struct {
		name, doc string
		path      []string
		want      any // a string wanted as a prefix when it ends in "…"
	}{
		{"containers merge key", core, comp("io.k8s.api.core.v1.PodSpec", "properties", "containers", "x-kubernetes-patch-merge-key"), "name"},
		{"containers patch strategy", core, comp("io.k8s.api.core.v1.PodSpec", "properties", "containers", "x-kubernetes-patch-strategy"), "merge"},
		{"containers list type", core, comp("io.k8s.api.core.v1.PodSpec", "properties", "containers", "x-kubernetes-list-type"), "map"},
		{"containers items", core, comp("io.k8s.api.core.v1.PodSpec", "properties", "containers", "items", "allOf", "0", "$ref"), "#/components/schemas/io.k8s.api.core.v1.Container"},
		{"ports list map keys", core, comp("io.k8s.api.core.v1.Container", "properties", "ports", "x-kubernetes-list-map-keys"), []any{"containerPort", "protocol"}},
		{"volumes patch strategy", core, comp("io.k8s.api.core.v1.PodSpec", "properties", "volumes", "x-kubernetes-patch-strategy"), "merge,retainKeys"},
		{"finalizers set", core, comp("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "properties", "finalizers", "x-kubernetes-list-type"), "set"},
		{"nodeSelector atomic", core, comp("io.k8s.api.core.v1.PodSpec", "properties", "nodeSelector", "x-kubernetes-map-type"), "atomic"},
		{"LabelSelector atomic", apps, comp("io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector", "x-kubernetes-map-type"), "atomic"},
		{"strategy retainKeys", apps, comp("io.k8s.api.apps.v1.DeploymentSpec", "properties", "strategy", "x-kubernetes-patch-strategy"), "retainKeys"},
		{"creationTimestamp ref", core, comp("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "properties", "creationTimestamp", "allOf", "0", "$ref"), "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Time"},
		{"Time type", core, comp("io.k8s.apimachinery.pkg.apis.meta.v1.Time", "type"), "string"},
		{"Time format", core, comp("io.k8s.apimachinery.pkg.apis.meta.v1.Time", "format"), "date-time"},
		{"MicroTime format", "apis/coordination.k8s.io/v1", comp("io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime", "format"), "date-time"},
		{"Quantity oneOf", core, comp("io.k8s.apimachinery.pkg.api.resource.Quantity", "oneOf"), []any{map[string]any{"type": "string"}, map[string]any{"type": "number"}}},
		{"IntOrString format", apps, comp("io.k8s.apimachinery.pkg.util.intstr.IntOrString", "format"), "int-or-string"},
		{"IntOrString oneOf", apps, comp("io.k8s.apimachinery.pkg.util.intstr.IntOrString", "oneOf"), []any{map[string]any{"type": "integer"}, map[string]any{"type": "string"}}},
		{"limits are quantities", core, comp("io.k8s.api.core.v1.ResourceRequirements", "properties", "limits", "additionalProperties", "allOf", "0", "$ref"), "#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity"},
		{"secret data bytes", core, comp("io.k8s.api.core.v1.Secret", "properties", "data", "additionalProperties", "format"), "byte"},
		{"RawExtension object", apps, comp("io.k8s.apimachinery.pkg.runtime.RawExtension", "type"), "object"},
		{"PodSpec description", core, comp("io.k8s.api.core.v1.PodSpec", "description"), "PodSpec is a description of a pod."},
		{"pod spec description", core, comp("io.k8s.api.core.v1.Pod", "properties", "spec", "description"), "Specification of the desired behavior of the pod.…"},
		{"inline TypeMeta", core, comp("io.k8s.api.core.v1.Pod", "properties", "kind", "description"), "Kind is a string value representing the REST resource…"},
		{"replicas int32", apps, comp("io.k8s.api.apps.v1.DeploymentSpec", "properties", "replicas", "format"), "int32"},
		{"required", apps, comp("io.k8s.api.apps.v1.DeploymentSpec", "required"), []any{"selector", "template"}},
		{"Pod GVK", core, comp("io.k8s.api.core.v1.Pod", "x-kubernetes-group-version-kind"), []any{map[string]any{"group": "", "kind": "Pod", "version": "v1"}}},
		{"DeploymentList GVK", apps, comp("io.k8s.api.apps.v1.DeploymentList", "x-kubernetes-group-version-kind", "0", "kind"), "DeploymentList"},
		{"Scale GVK", apps, comp("io.k8s.api.autoscaling.v1.Scale", "x-kubernetes-group-version-kind", "0", "group"), "autoscaling"},
		{"events.k8s.io Event", "apis/events.k8s.io/v1", comp("io.k8s.api.events.v1.Event", "x-kubernetes-group-version-kind", "0", "group"), "events.k8s.io"},
		{"patch op GVK", apps, []string{"paths", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}", "patch", "x-kubernetes-group-version-kind", "kind"}, "Deployment"},
		{"patch op action", apps, []string{"paths", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}", "patch", "x-kubernetes-action"}, "patch"},
		{"strategic merge patch body", core, []string{"paths", "/api/v1/namespaces/{namespace}/pods/{name}", "patch", "requestBody", "content", "application/strategic-merge-patch+json", "schema", "$ref"}, "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"},
		{"fieldValidation param", core, []string{"paths", "/api/v1/namespaces/{namespace}/pods/{name}", "patch", "parameters", "2", "name"}, "fieldValidation"},
		{"cluster-scoped list", core, []string{"paths", "/api/v1/nodes", "get", "x-kubernetes-action"}, "list"},
		{"list all namespaces", apps, []string{"paths", "/apis/apps/v1/deployments", "get", "x-kubernetes-group-version-kind", "kind"}, "Deployment"},
		{"exec connect", core, []string{"paths", "/api/v1/namespaces/{namespace}/pods/{name}/exec", "post", "x-kubernetes-group-version-kind", "kind"}, "PodExecOptions"},
		{"info", core, []string{"info", "title"}, "Kubernetes"},
		{"openapi version", apps, []string{"openapi"}, "3.0.0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := dig(docs[tc.doc], tc.path...)
			if s, ok := tc.want.(string); ok && strings.HasSuffix(s, "…") {
				if g, _ := got.(string); !strings.HasPrefix(g, strings.TrimSuffix(s, "…")) {
					t.Fatalf("%s: got %q, want a string starting %q", strings.Join(tc.path, "."), got, s)
				}
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("%s: got %#v, want %#v", strings.Join(tc.path, "."), got, tc.want)
			}
		})
	}
}

// TestOpenAPIComplete: every document holds every schema it refers to, and
// every kind of its group version with the kind's GVK.
func TestOpenAPIComplete(t *testing.T) {
	t.Parallel()
	docs := testDocs(t)
	reg := NewRegistry(DefaultResources())
	for _, gv := range reg.groupVersions() {
		doc := docs[gvPath(gv)]
		if doc == nil {
			t.Fatalf("no document for %s", gv)
		}
		schemas, _ := dig(doc, "components", "schemas").(map[string]any)
		var walk func(v any)
		walk = func(v any) {
			switch x := v.(type) {
			case map[string]any:
				if ref, ok := x["$ref"].(string); ok {
					if _, ok := schemas[strings.TrimPrefix(ref, "#/components/schemas/")]; !ok {
						t.Errorf("%s: dangling $ref %s", gv, ref)
					}
				}
				for _, sub := range x {
					walk(sub)
				}
			case []any:
				for _, sub := range x {
					walk(sub)
				}
			}
		}
		walk(doc)
		for _, res := range reg.All() {
			if res.Group != gv.Group || res.Version != gv.Version {
				continue
			}
			name := typeName(reflect.TypeOf(res.New()).Elem())
			gvks, _ := dig(schemas, name, "x-kubernetes-group-version-kind").([]any)
			want := map[string]any{"group": res.Group, "kind": res.Kind, "version": res.Version}
			if len(gvks) == 0 || !reflect.DeepEqual(gvks[0], want) {
				t.Errorf("%s: schema %s has GVK %v, want %v", gv, name, gvks, want)
			}
		}
	}
}

// TestOpenAPIRecursiveType: a type that refers to itself ends in a $ref.
func TestOpenAPIRecursiveType(t *testing.T) {
	t.Parallel()
	type node struct {
		Name     string  `json:"name"`
		Children []*node `json:"children,omitempty"`
	}
	g := newSchemaGen(nil)
	name := g.named(reflect.TypeFor[node]())
	s := g.schemas[name]
	if got := s.Properties["children"].Items.AllOf[0].Ref; got != schemaRefPrefix+name {
		t.Fatalf("children items: got %q, want a $ref to %s", got, name)
	}
	if !reflect.DeepEqual(s.Required, []string{"name"}) {
		t.Fatalf("required: got %v, want [name]", s.Required)
	}
}

// TestOpenAPIHTTP: the index lists every group version with a hash link,
// and the documents are served as Kubernetes serves them.
func TestOpenAPIHTTP(t *testing.T) {
	t.Parallel()
	url, _ := newOpenAPITestServer(t, nil)
	get := func(t *testing.T, path string, hdr ...string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}
	resp, body := get(t, "/openapi/v3")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("index: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var index struct {
		Paths map[string]struct{ ServerRelativeURL string } `json:"paths"`
	}
	if err := json.Unmarshal(body, &index); err != nil {
		t.Fatal(err)
	}
	gvs := NewRegistry(DefaultResources()).groupVersions()
	if len(index.Paths) != len(gvs) {
		t.Errorf("index lists %d group versions, want %d: %s", len(index.Paths), len(gvs), body)
	}
	for _, gv := range gvs {
		link, ok := index.Paths[gvPath(gv)]
		if !ok {
			t.Errorf("index misses %s", gvPath(gv))
			continue
		}
		resp, body := get(t, link.ServerRelativeURL, "Accept", "application/json")
		hash := fmt.Sprintf("%X", sha512.Sum512(body))
		switch {
		case resp.StatusCode != http.StatusOK:
			t.Errorf("%s: status %d", link.ServerRelativeURL, resp.StatusCode)
		case !strings.HasSuffix(link.ServerRelativeURL, "?hash="+hash):
			t.Errorf("%s: the body's sha512 is %s", link.ServerRelativeURL, hash)
		case resp.Header.Get("Etag") != strconv.Quote(hash):
			t.Errorf("%s: Etag %s", link.ServerRelativeURL, resp.Header.Get("Etag"))
		case resp.Header.Get("Cache-Control") != "public, immutable":
			t.Errorf("%s: Cache-Control %q", link.ServerRelativeURL, resp.Header.Get("Cache-Control"))
		case resp.Header.Get("Content-Type") != "application/json":
			t.Errorf("%s: Content-Type %q", link.ServerRelativeURL, resp.Header.Get("Content-Type"))
		}
		var doc spec3.OpenAPI
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Errorf("%s: kube-openapi cannot parse it: %v", gv, err)
		} else if doc.Version != "3.0.0" || doc.Components == nil || len(doc.Components.Schemas) == 0 || doc.Paths == nil || len(doc.Paths.Paths) == 0 {
			t.Errorf("%s: parsed document is missing parts", gv)
		}
	}

	link := index.Paths["apis/apps/v1"].ServerRelativeURL
	statusCases := []struct {
		name, path string
		hdr        []string
		code       int
		check      func(*http.Response) string
	}{
		{"old hash redirects", "/openapi/v3/apis/apps/v1?hash=0123", nil, http.StatusMovedPermanently, func(r *http.Response) string {
			if r.Header.Get("Location") != link {
				return "Location " + r.Header.Get("Location") + ", want " + link
			}
			return ""
		}},
		{"no hash, no immutable caching", "/openapi/v3/apis/apps/v1", nil, http.StatusOK, func(r *http.Response) string {
			if r.Header.Get("Cache-Control") != "" {
				return "Cache-Control " + r.Header.Get("Cache-Control")
			}
			return ""
		}},
		{"etag revalidation", link, []string{"If-None-Match", strconv.Quote(strings.SplitN(link, "hash=", 2)[1])}, http.StatusNotModified, nil},
		{"protobuf only", link, []string{"Accept", "application/com.github.proto-openapi.spec.v3@v1.0+protobuf"}, http.StatusNotAcceptable, nil},
		{"unknown group version", "/openapi/v3/apis/nope/v1", nil, http.StatusNotFound, nil},
		{"v2", "/openapi/v2", nil, http.StatusNotFound, nil},
		{"unknown path", "/openapi/v3x", nil, http.StatusNotFound, nil},
	}
	for _, tc := range statusCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, body := get(t, tc.path, tc.hdr...)
			if resp.StatusCode != tc.code {
				t.Fatalf("GET %s: status %d, want %d: %s", tc.path, resp.StatusCode, tc.code, body)
			}
			if tc.check != nil {
				if msg := tc.check(resp); msg != "" {
					t.Fatal(msg)
				}
			}
		})
	}
}

// TestOpenAPIClientGo: client-go's OpenAPI v3 root finds kinds by GVK, a
// structured-merge-diff type converter accepts every schema, and the
// strategic merge patch kubectl computes from the schemas merges
// containers by name.
func TestOpenAPIClientGo(t *testing.T) {
	t.Parallel()
	_, c := newOpenAPITestServer(t, nil)
	client := c.Discovery().OpenAPIV3()
	root := openapi3.NewRoot(client)
	gvs, err := root.GroupVersions()
	if err != nil {
		t.Fatal(err)
	}
	if want := len(NewRegistry(DefaultResources()).groupVersions()); len(gvs) != want {
		t.Fatalf("GroupVersions: %v, want %d", gvs, want)
	}
	spec, err := root.GVSpec(schema.GroupVersion{Version: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	var podName string
	for name, s := range spec.Components.Schemas {
		var gvks []map[string]string
		if err := s.Extensions.GetObject("x-kubernetes-group-version-kind", &gvks); err == nil && len(gvks) == 1 && gvks[0]["kind"] == "Pod" && gvks[0]["version"] == "v1" {
			podName = name
		}
	}
	if podName != "io.k8s.api.core.v1.Pod" {
		t.Fatalf("schema of v1 Pod by GVK: %q", podName)
	}

	tc, err := openapi.NewTypeConverter(client, false)
	if err != nil {
		t.Fatalf("type converter from the documents: %v", err)
	}
	pod := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{Name: "p", Labels: map[string]string{"a": "b"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{
			{Name: "a", Image: "x", Ports: []corev1.ContainerPort{{ContainerPort: 80, Protocol: "TCP"}, {ContainerPort: 80, Protocol: "UDP"}}},
			{Name: "b", Image: "y"},
		}},
	}
	if _, err := tc.ObjectToTyped(pod); err != nil {
		t.Fatalf("typed Pod: %v", err)
	}
	dep := &appsv1.Deployment{TypeMeta: metav1.TypeMeta{Kind: "Deployment", APIVersion: "apps/v1"}, ObjectMeta: metav1.ObjectMeta{Name: "d"}}
	if _, err := tc.ObjectToTyped(dep); err != nil {
		t.Fatalf("typed Deployment: %v", err)
	}

	meta := strategicpatch.PatchMetaFromOpenAPIV3{Schema: spec.Components.Schemas[podName], SchemaList: spec.Components.Schemas}
	original, _ := json.Marshal(pod)
	modified := pod.DeepCopy()
	modified.Spec.Containers[1].Image = "z"
	modifiedJSON, _ := json.Marshal(modified)
	patch, err := strategicpatch.CreateThreeWayMergePatch(original, modifiedJSON, original, meta, false)
	if err != nil {
		t.Fatalf("three-way patch from the Pod schema: %v", err)
	}
	want := `{"spec":{"$setElementOrder/containers":[{"name":"a"},{"name":"b"}],"containers":[{"image":"z","name":"b"}]}}`
	if string(patch) != want {
		t.Fatalf("patch:\n got %s\nwant %s", patch, want)
	}
}

// TestOpenAPICost measures building the documents (done once per process,
// on the first request for them) and keeps it bounded.
func TestOpenAPICost(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, byGV, err := buildOpenAPI(NewRegistry(DefaultResources()), "v1.34.0-mini")
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	size := 0
	for _, d := range byGV {
		size += len(d.json)
	}
	t.Logf("built %d documents (%d KiB) in %v, allocating %d MiB, retaining %d KiB",
		len(byGV), size>>10, took, (after.TotalAlloc-before.TotalAlloc)>>20, (int64(after.HeapAlloc)-int64(before.HeapAlloc))>>10)
	if size > 8<<20 {
		t.Errorf("documents total %d KiB, want under 8 MiB", size>>10)
	}
	// The hashes must survive a restart, or kubectl's cache goes stale.
	again, err := openAPIFor(NewRegistry(DefaultResources()), "v1.34.0-mini")
	if err != nil {
		t.Fatal(err)
	}
	for gv, d := range byGV {
		if again.byGV[gv].hash != d.hash {
			t.Errorf("%s: two builds hash differently", gv)
		}
	}
}
