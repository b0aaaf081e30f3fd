package apiserver

import (
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// kindHooks holds, by group kind, the defaulting, validation and table
// hooks semantics attaches (defaults*.go, validation*.go, printers*.go).
var kindHooks = map[string]struct {
	Default  func(kruntime.Object)
	Validate func(obj, old kruntime.Object) field.ErrorList
	Table    *TableSpec
}{
	"Node":                           {Default: defaultWith(defaultNode)},
	"Pod":                            {Default: defaultWith(defaultPod), Validate: validatePodHook},
	"Service":                        {Default: defaultWith(defaultService), Validate: validateServiceHook, Table: serviceTable},
	"Endpoints":                      {Default: defaultWith(defaultEndpoints), Table: endpointsTable},
	"ConfigMap":                      {Validate: validateConfigMapHook, Table: configMapTable},
	"Secret":                         {Default: defaultWith(defaultSecret), Validate: validateSecretHook, Table: secretTable},
	"ServiceAccount":                 {Table: serviceAccountTable},
	"Event":                          {Table: eventTable},
	"PersistentVolumeClaim":          {Default: defaultWith(defaultPVC), Table: pvcTable},
	"PersistentVolume":               {Default: defaultWith(defaultPV), Table: pvTable},
	"Deployment.apps":                {Default: defaultWith(defaultDeployment), Validate: validateDeploymentHook, Table: deploymentTable},
	"ReplicaSet.apps":                {Default: defaultWith(defaultReplicaSet), Validate: validateReplicaSetHook, Table: replicaSetTable},
	"StatefulSet.apps":               {Default: defaultWith(defaultStatefulSet), Validate: validateStatefulSetHook, Table: statefulSetTable},
	"DaemonSet.apps":                 {Default: defaultWith(defaultDaemonSet), Validate: validateDaemonSetHook, Table: daemonSetTable},
	"ControllerRevision.apps":        {Table: controllerRevisionTable},
	"Job.batch":                      {Default: defaultWith(defaultJob), Validate: validateJobHook, Table: jobTable},
	"CronJob.batch":                  {Default: defaultWith(defaultCronJob), Validate: validateCronJobHook, Table: cronJobTable},
	"EndpointSlice.discovery.k8s.io": {Default: defaultWith(defaultEndpointSlice), Table: endpointSliceTable},
	"Lease.coordination.k8s.io":      {Table: leaseTable},
	"Event.events.k8s.io":            {Table: eventsV1Table},
	"StorageClass.storage.k8s.io":    {Default: defaultWith(defaultStorageClass), Validate: validateStorageClassHook, Table: storageClassTable},
}

// attachHooks sets r's hooks from kindHooks, leaving those it has none for.
func attachHooks(r *Resource) {
	h, ok := kindHooks[r.GVK().GroupKind().String()]
	if !ok {
		return
	}
	if h.Default != nil {
		r.Default = h.Default
	}
	if h.Validate != nil {
		r.Validate = h.Validate
	}
	if h.Table != nil {
		r.Table = h.Table
	}
}

// defaultWith adapts a typed defaulting function to the Default hook.
func defaultWith[T kruntime.Object](f func(T)) func(kruntime.Object) {
	return func(o kruntime.Object) { f(o.(T)) }
}
