package objects

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// Client runs the verbs against one cluster.
type Client struct {
	cfg    *rest.Config
	dyn    dynamic.Interface
	mapper meta.RESTMapper
	http   *http.Client
	out    io.Writer
}

// New connects to the cluster described by cfg; output goes to out.
func New(cfg *rest.Config, out io.Writer) (*Client, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	cached := memory.NewMemCacheClient(disc)
	mapper := restmapper.NewShortcutExpander(restmapper.NewDeferredDiscoveryRESTMapper(cached), cached, nil)
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, dyn: dyn, mapper: mapper, http: hc, out: out}, nil
}

// mappingFor resolves what a user typed ("po", "pods", "deployment",
// "deploy.apps") to a resource.
func (c *Client) mappingFor(kind string) (*meta.RESTMapping, error) {
	gr := schema.ParseGroupResource(strings.ToLower(kind))
	gvr, err := c.mapper.ResourceFor(gr.WithVersion(""))
	if err != nil {
		return nil, fmt.Errorf("the server doesn't have a resource type %q", kind)
	}
	gvk, err := c.mapper.KindFor(gvr)
	if err != nil {
		return nil, err
	}
	return c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
}

// mappingOf resolves a document's apiVersion and kind.
func (c *Client) mappingOf(gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, fmt.Errorf("kind %s in apiVersion %s is not served by this cluster", gvk.Kind, gvk.GroupVersion())
	}
	return m, nil
}

// resourceFor is the dynamic client of a mapping in a namespace.
func (c *Client) resourceFor(m *meta.RESTMapping, ns string) dynamic.ResourceInterface {
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return c.dyn.Resource(m.Resource).Namespace(ns)
	}
	return c.dyn.Resource(m.Resource)
}

// kindName is how kubectl names an object in its output: deployment.apps/web.
func kindName(m *meta.RESTMapping, name string) string {
	k := strings.ToLower(m.GroupVersionKind.Kind)
	if g := m.GroupVersionKind.Group; g != "" {
		k += "." + g
	}
	return k + "/" + name
}

// namespaceOf settles an object's namespace: defaultNS when a namespaced
// object names none, none for cluster-scoped kinds.
func namespaceOf(m *meta.RESTMapping, obj interface {
	GetNamespace() string
	SetNamespace(string)
}, defaultNS string) string {
	if m.Scope.Name() != meta.RESTScopeNameNamespace {
		obj.SetNamespace("")
		return ""
	}
	if obj.GetNamespace() == "" {
		obj.SetNamespace(defaultNS)
	}
	return obj.GetNamespace()
}
