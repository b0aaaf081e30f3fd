// Package namespace empties namespaces being deleted, then finalizes them:
// every namespaced resource the server lists in discovery is deleted in the
// namespace (background propagation), and when nothing is left the
// "kubernetes" finalizer is removed through namespaces/finalize, which lets
// the namespace go. Objects that take time to go (pods waiting for their
// node, objects with finalizers) make it wait and retry.
package namespace

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/minidev/mini/cluster/controller/loop"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/metadata"
)

// Config of the controller.
type Config struct {
	Client   kubernetes.Interface
	Metadata metadata.Interface
	Log      *slog.Logger
	// Recheck is how long to wait while content is still going; 0 means 1 s.
	Recheck time.Duration
}

// Controller is the namespace controller.
type Controller struct {
	cfg     Config
	loop    *loop.Loop
	lister  corelisters.NamespaceLister
	factory informers.SharedInformerFactory
}

// New wires the controller to a namespace informer.
func New(cfg Config) *Controller {
	if cfg.Recheck == 0 {
		cfg.Recheck = time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	c := &Controller{cfg: cfg, factory: informers.NewSharedInformerFactory(cfg.Client, 0)}
	c.loop = loop.New("namespace", c.reconcile, cfg.Log)
	inf := c.factory.Core().V1().Namespaces()
	c.lister = inf.Lister()
	_, _ = inf.Informer().AddEventHandler(c.loop.Handler())
	return c
}

// Run runs until ctx ends.
func (c *Controller) Run(ctx context.Context) {
	c.factory.Start(ctx.Done())
	c.factory.WaitForCacheSync(ctx.Done())
	c.loop.Run(ctx, 2)
}

func (c *Controller) reconcile(ctx context.Context, name string) (time.Duration, error) {
	ns, err := c.lister.Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil || ns.DeletionTimestamp == nil {
		return 0, err
	}
	resources, err := namespacedResources(c.cfg.Client.Discovery())
	if err != nil {
		return 0, err
	}
	remaining := 0
	for _, gvr := range resources {
		ri := c.cfg.Metadata.Resource(gvr).Namespace(name)
		bg := metav1.DeletePropagationBackground
		if err := ri.DeleteCollection(ctx, metav1.DeleteOptions{PropagationPolicy: &bg}, metav1.ListOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return 0, fmt.Errorf("delete %s in namespace %s: %w", gvr.Resource, name, err)
		}
		list, err := ri.List(ctx, metav1.ListOptions{})
		if err != nil {
			return 0, fmt.Errorf("list %s in namespace %s: %w", gvr.Resource, name, err)
		}
		remaining += len(list.Items)
	}
	if remaining > 0 {
		c.cfg.Log.Debug("Namespace still has content", "namespace", name, "objects", remaining)
		return c.cfg.Recheck, nil
	}
	return 0, c.finalize(ctx, ns)
}

// finalize removes the "kubernetes" finalizer; the API server then deletes
// the namespace.
func (c *Controller) finalize(ctx context.Context, ns *corev1.Namespace) error {
	ns = ns.DeepCopy()
	var keep []corev1.FinalizerName
	for _, f := range ns.Spec.Finalizers {
		if f != corev1.FinalizerKubernetes {
			keep = append(keep, f)
		}
	}
	if len(keep) == len(ns.Spec.Finalizers) {
		return nil
	}
	ns.Spec.Finalizers = keep
	_, err := c.cfg.Client.CoreV1().Namespaces().Finalize(ctx, ns, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err == nil {
		c.cfg.Log.Info("Namespace emptied and finalized", "namespace", ns.Name)
	}
	return err
}

// namespacedResources lists the namespaced resources that can be listed and
// deleted as a collection, from discovery.
func namespacedResources(d discovery.DiscoveryInterface) ([]schema.GroupVersionResource, error) {
	lists, err := discovery.ServerPreferredNamespacedResources(d)
	if err != nil {
		return nil, fmt.Errorf("discover namespaced resources: %w", err)
	}
	var out []schema.GroupVersionResource
	for _, l := range discovery.FilteredBy(discovery.SupportsAllVerbs{Verbs: []string{"list", "deletecollection"}}, lists) {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range l.APIResources {
			out = append(out, gv.WithResource(r.Name))
		}
	}
	return out, nil
}
