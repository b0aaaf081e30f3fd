package garbagecollector

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/minidev/mini/cluster/controller/loop"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/cache"
)

// Config of the garbage collector.
type Config struct {
	Discovery discovery.DiscoveryInterface
	Metadata  metadata.Interface
	Log       *slog.Logger
	// Recheck is how soon an owner waiting for its dependents is looked at
	// again; 0 means 500 ms.
	Recheck time.Duration
}

// Controller is the garbage collector.
type Controller struct {
	cfg      Config
	log      *slog.Logger
	loop     *loop.Loop
	graph    *graph
	mapper   meta.RESTMapper
	factory  metadatainformer.SharedInformerFactory
	indexers map[schema.GroupVersionResource]cache.Indexer
	synced   []cache.InformerSynced
}

// New discovers every resource that can be listed, watched and deleted,
// and wires a metadata informer to each.
func New(cfg Config) (*Controller, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Recheck == 0 {
		cfg.Recheck = 500 * time.Millisecond
	}
	c := &Controller{
		cfg: cfg, log: cfg.Log.With("controller", "garbagecollector"), graph: newGraph(),
		mapper:   restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(cfg.Discovery)),
		factory:  metadatainformer.NewSharedInformerFactory(cfg.Metadata, 0),
		indexers: map[schema.GroupVersionResource]cache.Indexer{},
	}
	c.loop = loop.New("garbagecollector", c.reconcile, cfg.Log)
	lists, err := discovery.ServerPreferredResources(cfg.Discovery)
	if err != nil {
		return nil, fmt.Errorf("garbage collector: discover resources: %w", err)
	}
	for _, l := range discovery.FilteredBy(discovery.SupportsAllVerbs{Verbs: []string{"list", "watch", "delete"}}, lists) {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") {
				continue
			}
			c.watch(gv.WithResource(r.Name))
		}
	}
	return c, nil
}

func (c *Controller) watch(gvr schema.GroupVersionResource) {
	inf := c.factory.ForResource(gvr).Informer()
	c.indexers[gvr] = inf.GetIndexer()
	c.synced = append(c.synced, inf.HasSynced)
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { c.observe(gvr, obj) },
		UpdateFunc: func(_, obj any) { c.observe(gvr, obj) },
		DeleteFunc: func(obj any) { c.forget(gvr, obj) },
	})
}

// observe indexes an object and queues it: its owners may be gone, or it
// may be an owner being deleted.
func (c *Controller) observe(gvr schema.GroupVersionResource, obj any) {
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return
	}
	r := ref{gvr: gvr, namespace: m.Namespace, name: m.Name}
	c.graph.upsert(r, m)
	if len(m.OwnerReferences) > 0 || m.DeletionTimestamp != nil {
		c.loop.Add(key(r))
	}
}

// forget drops a deleted object; its dependents lost an owner and its
// owners (perhaps waiting in foreground deletion) lost a dependent.
func (c *Controller) forget(gvr schema.GroupVersionResource, obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return
	}
	for _, d := range c.graph.remove(m.UID) {
		c.loop.Add(key(d))
	}
	for _, o := range m.OwnerReferences {
		if r, ok := c.graph.lookup(o.UID); ok {
			c.loop.Add(key(r))
		}
	}
}

// Run starts the informers, waits for them, and collects until ctx ends.
func (c *Controller) Run(ctx context.Context) {
	c.factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return
	}
	c.loop.Run(ctx, 2)
}

func key(r ref) string {
	return r.gvr.Group + "/" + r.gvr.Version + "/" + r.gvr.Resource + "|" + r.namespace + "|" + r.name
}

func parseKey(k string) (ref, bool) {
	parts := strings.Split(k, "|")
	if len(parts) != 3 {
		return ref{}, false
	}
	g := strings.SplitN(parts[0], "/", 3)
	if len(g) != 3 {
		return ref{}, false
	}
	return ref{gvr: schema.GroupVersionResource{Group: g[0], Version: g[1], Resource: g[2]}, namespace: parts[1], name: parts[2]}, true
}

func (c *Controller) reconcile(ctx context.Context, k string) (time.Duration, error) {
	r, ok := parseKey(k)
	if !ok {
		return 0, nil
	}
	idx := c.indexers[r.gvr]
	if idx == nil {
		return 0, nil
	}
	cacheKey := r.name
	if r.namespace != "" {
		cacheKey = r.namespace + "/" + r.name
	}
	item, exists, err := idx.GetByKey(cacheKey)
	if err != nil || !exists {
		return 0, err
	}
	m := item.(*metav1.PartialObjectMetadata)
	if m.DeletionTimestamp != nil {
		return c.finalizeOwner(ctx, r, m)
	}
	return 0, c.collectIfOrphaned(ctx, r, m)
}

// finalizeOwner does what an owner's deletion finalizers ask.
func (c *Controller) finalizeOwner(ctx context.Context, r ref, m *metav1.PartialObjectMetadata) (time.Duration, error) {
	deps := c.graph.dependentsOf(m.UID)
	switch {
	case hasFinalizer(m, metav1.FinalizerOrphanDependents):
		for _, d := range deps {
			if err := c.dropOwnerRef(ctx, d, m.UID); err != nil {
				return 0, err
			}
		}
		return 0, c.removeFinalizer(ctx, r, m, metav1.FinalizerOrphanDependents)
	case hasFinalizer(m, metav1.FinalizerDeleteDependents):
		if len(deps) == 0 {
			return 0, c.removeFinalizer(ctx, r, m, metav1.FinalizerDeleteDependents)
		}
		fg := metav1.DeletePropagationForeground
		for _, d := range deps {
			err := c.resource(d).Delete(ctx, d.name, metav1.DeleteOptions{PropagationPolicy: &fg})
			if err != nil && !apierrors.IsNotFound(err) {
				return 0, err
			}
		}
		return c.cfg.Recheck, nil
	}
	return 0, nil
}

// collectIfOrphaned deletes an object none of whose owners exist, checked
// live against the API.
func (c *Controller) collectIfOrphaned(ctx context.Context, r ref, m *metav1.PartialObjectMetadata) error {
	if len(m.OwnerReferences) == 0 {
		return nil
	}
	for _, o := range m.OwnerReferences {
		exists, err := c.ownerExists(ctx, m.Namespace, o)
		if err != nil || exists {
			return err
		}
	}
	bg := metav1.DeletePropagationBackground
	uid := m.UID
	err := c.resource(r).Delete(ctx, r.name, metav1.DeleteOptions{PropagationPolicy: &bg, Preconditions: &metav1.Preconditions{UID: &uid}})
	if err == nil {
		c.log.Info("Deleted an object whose owners are gone", "resource", r.gvr.Resource, "namespace", r.namespace, "name", r.name)
	}
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	return err
}

// ownerExists asks the API for the owner; an owner of a kind the server
// does not serve counts as present (nothing is deleted on a guess).
func (c *Controller) ownerExists(ctx context.Context, namespace string, o metav1.OwnerReference) (bool, error) {
	gv, err := schema.ParseGroupVersion(o.APIVersion)
	if err != nil {
		return true, nil
	}
	mapping, err := c.mapper.RESTMapping(schema.GroupKind{Group: gv.Group, Kind: o.Kind}, gv.Version)
	if err != nil {
		c.log.Warn("Owner of an unknown kind: keeping its dependent", "kind", o.Kind, "apiVersion", o.APIVersion, "name", o.Name)
		return true, nil
	}
	ri := c.cfg.Metadata.Resource(mapping.Resource)
	var got *metav1.PartialObjectMetadata
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		got, err = ri.Namespace(namespace).Get(ctx, o.Name, metav1.GetOptions{})
	} else {
		got, err = ri.Get(ctx, o.Name, metav1.GetOptions{})
	}
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return got.UID == o.UID, nil
}

func (c *Controller) resource(r ref) metadata.ResourceInterface {
	if r.namespace != "" {
		return c.cfg.Metadata.Resource(r.gvr).Namespace(r.namespace)
	}
	return c.cfg.Metadata.Resource(r.gvr)
}

// dropOwnerRef removes one owner reference from a dependent (orphaning it).
func (c *Controller) dropOwnerRef(ctx context.Context, d ref, owner types.UID) error {
	patch := fmt.Sprintf(`{"metadata":{"ownerReferences":[{"$patch":"delete","uid":%q}]}}`, owner)
	_, err := c.resource(d).Patch(ctx, d.name, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// removeFinalizer takes one finalizer off an object, guarded by its
// resourceVersion.
func (c *Controller) removeFinalizer(ctx context.Context, r ref, m *metav1.PartialObjectMetadata, f string) error {
	var keep []string
	for _, have := range m.Finalizers {
		if have != f {
			keep = append(keep, have)
		}
	}
	body := map[string]any{"metadata": map[string]any{"finalizers": keep, "resourceVersion": m.ResourceVersion}}
	patch, err := json.Marshal(body)
	if err != nil {
		return err
	}
	_, err = c.resource(r).Patch(ctx, r.name, types.MergePatchType, patch, metav1.PatchOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func hasFinalizer(m *metav1.PartialObjectMetadata, f string) bool {
	for _, have := range m.Finalizers {
		if have == f {
			return true
		}
	}
	return false
}
