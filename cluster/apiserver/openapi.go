package apiserver

import (
	"bytes"
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientscheme "k8s.io/client-go/kubernetes/scheme"
)

// openAPIDoc is one served document: an OpenAPI 3.0 group version, or the index.
type openAPIDoc struct {
	json []byte
	hash string // sha512, upper-case hex, as Kubernetes computes it
}

// openAPISpecs are the documents of one registry, built on first use.
type openAPISpecs struct {
	once  sync.Once
	index *openAPIDoc
	byGV  map[string]*openAPIDoc // "api/v1", "apis/apps/v1"
	err   error
}

// openAPICache holds the documents per registry contents and version, so
// that servers over the same resources (every test server) share them.
var openAPICache = struct {
	sync.Mutex
	m map[string]*openAPISpecs
}{m: map[string]*openAPISpecs{}}

// openAPIFor returns the documents for reg, building them on first use.
func openAPIFor(reg *Registry, version string) (*openAPISpecs, error) {
	var key strings.Builder
	key.WriteString(version)
	for _, r := range reg.All() {
		fmt.Fprintf(&key, "|%s/%s/%s %s %t %v", r.Group, r.Version, r.Name, r.Kind, r.Namespaced, r.Subresources)
		if r.New != nil {
			key.WriteString(" " + reflect.TypeOf(r.New()).String())
		}
	}
	openAPICache.Lock()
	specs, ok := openAPICache.m[key.String()]
	if !ok {
		specs = &openAPISpecs{}
		openAPICache.m[key.String()] = specs
	}
	openAPICache.Unlock()
	specs.once.Do(func() { specs.index, specs.byGV, specs.err = buildOpenAPI(reg, version) })
	return specs, specs.err
}

// gvPath is a group version's key in the /openapi/v3 index.
func gvPath(gv schema.GroupVersion) string {
	if gv.Group == "" {
		return "api/" + gv.Version
	}
	return "apis/" + gv.Group + "/" + gv.Version
}

func newOpenAPIDoc(v any) (*openAPIDoc, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return &openAPIDoc{json: data, hash: fmt.Sprintf("%X", sha512.Sum512(data))}, nil
}

// serverRelativeURL is where the index points clients for gv's document.
func (d *openAPIDoc) serverRelativeURL(gvKey string) string {
	return "/openapi/v3/" + gvKey + "?" + url.Values{"hash": {d.hash}}.Encode()
}

// buildOpenAPI generates the schemas of every kind reg serves by reflection
// over its Go types, and one document per group version holding the paths
// of its resources and the schemas they reach.
func buildOpenAPI(reg *Registry, version string) (*openAPIDoc, map[string]*openAPIDoc, error) {
	g, names, listNames := kindSchemas(reg)
	byGV := map[string]*openAPIDoc{}
	index := map[string]map[string]string{}
	for _, gv := range reg.groupVersions() {
		b := newPathBuilder(gv, names, listNames)
		reached := map[string]bool{}
		for _, res := range reg.All() {
			if res.Group == gv.Group && res.Version == gv.Version {
				b.resource(res)
				g.refs(refTo(names[res.GVK()]), reached)
				if l, ok := listNames[res.GVK()]; ok {
					g.refs(refTo(l), reached)
				}
			}
		}
		for _, s := range b.bodies() {
			g.refs(s, reached)
		}
		schemas := make(map[string]*oaSchema, len(reached))
		for name := range reached {
			schemas[name] = g.schemas[name]
		}
		doc, err := newOpenAPIDoc(map[string]any{
			"openapi":    "3.0.0",
			"info":       map[string]string{"title": "Kubernetes", "version": version},
			"paths":      b.paths,
			"components": map[string]any{"schemas": schemas},
		})
		if err != nil {
			return nil, nil, fmt.Errorf("encode OpenAPI document of %s: %w", gv, err)
		}
		byGV[gvPath(gv)] = doc
		index[gvPath(gv)] = map[string]string{"serverRelativeURL": doc.serverRelativeURL(gvPath(gv))}
	}
	idx, err := newOpenAPIDoc(map[string]any{"paths": index})
	if err != nil {
		return nil, nil, fmt.Errorf("encode OpenAPI index: %w", err)
	}
	return idx, byGV, nil
}

// kindSchemas generates the schemas of reg's kinds, their lists, the
// subresource kinds and the meta types operations use, each kind marked
// with its GVK. It returns the schema names by GVK, of kinds and of lists.
func kindSchemas(reg *Registry) (g *schemaGen, names, listNames map[schema.GroupVersionKind]string) {
	var collections collectionTypes
	if c := loadSMDCollections(); c != nil {
		collections = c
	}
	g = newSchemaGen(collections)
	names = map[schema.GroupVersionKind]string{}
	listNames = map[schema.GroupVersionKind]string{}
	kind := func(gvk schema.GroupVersionKind, t reflect.Type) string {
		name := g.named(t)
		g.addGVK(name, gvk)
		return name
	}
	for _, res := range reg.All() {
		if res.New == nil {
			continue
		}
		gvk := res.GVK()
		names[gvk] = kind(gvk, reflect.TypeOf(res.New()))
		listGVK := gvk.GroupVersion().WithKind(res.Kind + "List")
		if list, err := clientscheme.Scheme.New(listGVK); err == nil {
			listNames[gvk] = kind(listGVK, reflect.TypeOf(list))
		}
	}
	for sub, t := range map[string]reflect.Type{
		"scale": reflect.TypeFor[autoscalingv1.Scale](), "binding": reflect.TypeFor[corev1.Binding](), "eviction": reflect.TypeFor[policyv1.Eviction](),
	} {
		names[subresourceKinds[sub]] = kind(subresourceKinds[sub], t)
	}
	core := schema.GroupVersion{Version: "v1"}
	kind(core.WithKind("Status"), reflect.TypeFor[metav1.Status]())
	kind(core.WithKind("APIResourceList"), reflect.TypeFor[metav1.APIResourceList]())
	g.named(reflect.TypeFor[metav1.Patch]())
	for _, gv := range append([]schema.GroupVersion{core}, reg.groupVersions()...) {
		kind(gv.WithKind("DeleteOptions"), reflect.TypeFor[metav1.DeleteOptions]())
	}
	return g, names, listNames
}

// openAPI serves OpenAPI v3: the index at /openapi/v3 and one document per
// group version at /openapi/v3/api/v1, /openapi/v3/apis/GROUP/VERSION.
// OpenAPI v2 is not served; kubectl only falls back to it without v3.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(strings.TrimSuffix(r.URL.Path, "/"), "/openapi/v3")
	if !ok || rest != "" && rest[0] != '/' {
		writeError(w, statusError(http.StatusNotFound, metav1.StatusReasonNotFound, "the server could not find the requested resource: mini serves OpenAPI v3 only, at /openapi/v3"))
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, apierrors.NewMethodNotSupported(schema.GroupResource{Resource: "openapi"}, r.Method))
		return
	}
	specs, err := openAPIFor(s.reg, s.cfg.Version)
	if err != nil {
		writeError(w, apierrors.NewInternalError(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if rest == "" {
		w.Header().Set("Etag", strconv.Quote(specs.index.hash))
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(specs.index.json))
		return
	}
	gvKey := strings.TrimPrefix(rest, "/")
	doc, ok := specs.byGV[gvKey]
	if !ok {
		writeError(w, errNoResource())
		return
	}
	w.Header().Add("Vary", "Accept")
	if !acceptsJSON(r.Header.Get("Accept")) {
		writeError(w, statusError(http.StatusNotAcceptable, metav1.StatusReasonNotAcceptable, "mini serves OpenAPI documents as application/json only"))
		return
	}
	w.Header().Set("Etag", strconv.Quote(doc.hash))
	if hash := r.URL.Query().Get("hash"); hash != "" {
		if hash != doc.hash {
			// An old link: send the client to the document as it is now, as Kubernetes does.
			http.Redirect(w, r, doc.serverRelativeURL(gvKey), http.StatusMovedPermanently)
			return
		}
		w.Header().Set("Cache-Control", "public, immutable")
		w.Header().Set("Expires", time.Now().AddDate(1, 0, 0).UTC().Format(http.TimeFormat))
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(doc.json))
}

// acceptsJSON reports whether an Accept header admits application/json.
func acceptsJSON(accept string) bool {
	if strings.TrimSpace(accept) == "" {
		return true
	}
	for _, part := range strings.Split(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "application/json", "application/*", "*/*":
			return true
		}
	}
	return false
}
