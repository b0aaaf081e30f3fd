package apiserver

import (
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Resource describes one REST resource and the hooks that give it its
// Kubernetes semantics. Hooks left nil mean "nothing special".
type Resource struct {
	Group, Version, Name string // Name is the plural resource name, e.g. "pods"
	Kind                 string
	Singular             string
	Namespaced           bool
	ShortNames           []string
	Categories           []string
	// Subresources this resource serves besides the object itself.
	Subresources []string
	// New returns an empty typed object of Kind.
	New func() runtime.Object
	// Default fills in defaults on create and update, as the real API server does.
	Default func(obj runtime.Object)
	// Validate checks the object; old is nil on create.
	Validate func(obj, old runtime.Object) field.ErrorList
	// Fields returns the field-selector values of obj beyond metadata.name/namespace.
	Fields func(obj runtime.Object) map[string]string
	// Table gives the columns for `kubectl get`; nil means NAME AGE.
	Table *TableSpec
	// NameRule validates metadata.name; nil means a DNS-1123 subdomain.
	NameRule func(name string, prefix bool) []string
}

// GVR returns the resource's group/version/resource.
func (r *Resource) GVR() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: r.Group, Version: r.Version, Resource: r.Name}
}

// GVK returns the resource's group/version/kind.
func (r *Resource) GVK() schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: r.Group, Version: r.Version, Kind: r.Kind}
}

// APIVersion is the apiVersion field value of the resource's objects.
func (r *Resource) APIVersion() string { return r.GVK().GroupVersion().String() }

// HasSubresource reports whether sub is served for r.
func (r *Resource) HasSubresource(sub string) bool {
	for _, s := range r.Subresources {
		if s == sub {
			return true
		}
	}
	return false
}

// storeKey is where an object lives in the store.
func (r *Resource) storeKey(namespace, name string) string {
	return r.storePrefix(namespace) + name
}

// storePrefix is the key prefix of a collection: all namespaces when
// namespace is empty.
func (r *Resource) storePrefix(namespace string) string {
	g := r.Group
	if g == "" {
		g = "core"
	}
	p := "/" + g + "/" + r.Name + "/"
	if r.Namespaced && namespace != "" {
		p += namespace + "/"
	}
	return p
}

// Registry is the set of resources the server knows, by group/version/resource.
type Registry struct {
	list  []*Resource
	byGVR map[schema.GroupVersionResource]*Resource
}

// NewRegistry indexes resources.
func NewRegistry(rs []*Resource) *Registry {
	reg := &Registry{byGVR: map[schema.GroupVersionResource]*Resource{}}
	for _, r := range rs {
		if r.Singular == "" {
			r.Singular = strings.ToLower(r.Kind)
		}
		reg.list = append(reg.list, r)
		reg.byGVR[r.GVR()] = r
	}
	return reg
}

// Lookup finds a resource.
func (reg *Registry) Lookup(group, version, resource string) (*Resource, bool) {
	r, ok := reg.byGVR[schema.GroupVersionResource{Group: group, Version: version, Resource: resource}]
	return r, ok
}

// ForKind finds the resource serving kind in apiVersion.
func (reg *Registry) ForKind(apiVersion, kind string) (*Resource, bool) {
	for _, r := range reg.list {
		if r.APIVersion() == apiVersion && r.Kind == kind {
			return r, true
		}
	}
	return nil, false
}

// All returns the resources in registration order.
func (reg *Registry) All() []*Resource { return reg.list }

// groupVersions returns the group versions served, core first.
func (reg *Registry) groupVersions() []schema.GroupVersion {
	seen := map[schema.GroupVersion]bool{}
	var out []schema.GroupVersion
	for _, r := range reg.list {
		gv := schema.GroupVersion{Group: r.Group, Version: r.Version}
		if !seen[gv] {
			seen[gv] = true
			out = append(out, gv)
		}
	}
	return out
}

// DefaultResources is the set mini serves, with Kubernetes' semantics.
func DefaultResources() []*Resource {
	core := func(name, kind string, namespaced bool, short []string, newObj func() runtime.Object) *Resource {
		return &Resource{Version: "v1", Name: name, Kind: kind, Namespaced: namespaced, ShortNames: short, New: newObj}
	}
	group := func(g, v, name, kind string, namespaced bool, short []string, newObj func() runtime.Object) *Resource {
		return &Resource{Group: g, Version: v, Name: name, Kind: kind, Namespaced: namespaced, ShortNames: short, New: newObj}
	}
	rs := []*Resource{
		core("namespaces", "Namespace", false, []string{"ns"}, func() runtime.Object { return &corev1.Namespace{} }),
		core("nodes", "Node", false, []string{"no"}, func() runtime.Object { return &corev1.Node{} }),
		core("pods", "Pod", true, []string{"po"}, func() runtime.Object { return &corev1.Pod{} }),
		core("services", "Service", true, []string{"svc"}, func() runtime.Object { return &corev1.Service{} }),
		core("endpoints", "Endpoints", true, []string{"ep"}, func() runtime.Object { return &corev1.Endpoints{} }),
		core("configmaps", "ConfigMap", true, []string{"cm"}, func() runtime.Object { return &corev1.ConfigMap{} }),
		core("secrets", "Secret", true, nil, func() runtime.Object { return &corev1.Secret{} }),
		core("serviceaccounts", "ServiceAccount", true, []string{"sa"}, func() runtime.Object { return &corev1.ServiceAccount{} }),
		core("events", "Event", true, []string{"ev"}, func() runtime.Object { return &corev1.Event{} }),
		core("persistentvolumeclaims", "PersistentVolumeClaim", true, []string{"pvc"}, func() runtime.Object { return &corev1.PersistentVolumeClaim{} }),
		core("persistentvolumes", "PersistentVolume", false, []string{"pv"}, func() runtime.Object { return &corev1.PersistentVolume{} }),
		group("apps", "v1", "deployments", "Deployment", true, []string{"deploy"}, func() runtime.Object { return &appsv1.Deployment{} }),
		group("apps", "v1", "replicasets", "ReplicaSet", true, []string{"rs"}, func() runtime.Object { return &appsv1.ReplicaSet{} }),
		group("apps", "v1", "statefulsets", "StatefulSet", true, []string{"sts"}, func() runtime.Object { return &appsv1.StatefulSet{} }),
		group("apps", "v1", "daemonsets", "DaemonSet", true, []string{"ds"}, func() runtime.Object { return &appsv1.DaemonSet{} }),
		group("apps", "v1", "controllerrevisions", "ControllerRevision", true, nil, func() runtime.Object { return &appsv1.ControllerRevision{} }),
		group("batch", "v1", "jobs", "Job", true, nil, func() runtime.Object { return &batchv1.Job{} }),
		group("batch", "v1", "cronjobs", "CronJob", true, []string{"cj"}, func() runtime.Object { return &batchv1.CronJob{} }),
		group("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", true, nil, func() runtime.Object { return &discoveryv1.EndpointSlice{} }),
		group("coordination.k8s.io", "v1", "leases", "Lease", true, nil, func() runtime.Object { return &coordinationv1.Lease{} }),
		group("events.k8s.io", "v1", "events", "Event", true, []string{"ev"}, func() runtime.Object { return &eventsv1.Event{} }),
		group("storage.k8s.io", "v1", "storageclasses", "StorageClass", false, []string{"sc"}, func() runtime.Object { return &storagev1.StorageClass{} }),
	}
	for _, r := range rs {
		semantics(r)
	}
	return rs
}

// partialMeta is the object kubectl gets in each Table row.
func partialMeta(m metav1.Object) *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{
		TypeMeta: metav1.TypeMeta{Kind: "PartialObjectMetadata", APIVersion: "meta.k8s.io/v1"},
		ObjectMeta: metav1.ObjectMeta{
			Name: m.GetName(), Namespace: m.GetNamespace(), UID: m.GetUID(),
			ResourceVersion: m.GetResourceVersion(), CreationTimestamp: m.GetCreationTimestamp(),
			Labels: m.GetLabels(), Annotations: m.GetAnnotations(), OwnerReferences: m.GetOwnerReferences(),
			DeletionTimestamp: m.GetDeletionTimestamp(), Generation: m.GetGeneration(),
		},
	}
}
