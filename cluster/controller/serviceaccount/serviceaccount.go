// Package serviceaccount keeps a ServiceAccount named "default" in every
// active namespace, as Kubernetes' service account controller does (the
// e2e framework and many manifests expect it).
package serviceaccount

import (
	"context"
	"log/slog"
	"time"

	"github.com/minidev/mini/cluster/controller/loop"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// Name is the service account every namespace gets.
const Name = "default"

// Controller is the service account controller.
type Controller struct {
	client  kubernetes.Interface
	log     *slog.Logger
	loop    *loop.Loop
	nsList  corelisters.NamespaceLister
	saList  corelisters.ServiceAccountLister
	factory informers.SharedInformerFactory
}

// New wires the controller to namespace and service account informers.
func New(client kubernetes.Interface, log *slog.Logger) *Controller {
	if log == nil {
		log = slog.Default()
	}
	c := &Controller{client: client, log: log, factory: informers.NewSharedInformerFactory(client, 0)}
	c.loop = loop.New("serviceaccount", c.reconcile, log)
	ns := c.factory.Core().V1().Namespaces()
	sa := c.factory.Core().V1().ServiceAccounts()
	c.nsList, c.saList = ns.Lister(), sa.Lister()
	_, _ = ns.Informer().AddEventHandler(c.loop.Handler())
	// A deleted default service account is recreated: enqueue its namespace.
	_, _ = sa.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{DeleteFunc: func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			if ns, name, _ := cache.SplitMetaNamespaceKey(key); name == Name {
				c.loop.Add(ns)
			}
		}
	}})
	return c
}

// Run runs until ctx ends.
func (c *Controller) Run(ctx context.Context) {
	c.factory.Start(ctx.Done())
	c.factory.WaitForCacheSync(ctx.Done())
	c.loop.Run(ctx, 1)
}

func (c *Controller) reconcile(ctx context.Context, ns string) (time.Duration, error) {
	n, err := c.nsList.Get(ns)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil || n.DeletionTimestamp != nil || n.Status.Phase == corev1.NamespaceTerminating {
		return 0, err
	}
	if _, err := c.saList.ServiceAccounts(ns).Get(Name); err == nil {
		return 0, nil
	}
	_, err = c.client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: Name}}, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) || apierrors.IsForbidden(err) {
		return 0, nil
	}
	return 0, err
}
