package data

import "time"

// Kind names what an object is; it is also the dashboard's view order.
type Kind int

const (
	KindNode Kind = iota
	KindWorkload
	KindPod
	KindService
	KindEvent
)

// Key identifies an object of one kind. Workloads put their kind
// (Deployment, StatefulSet, ...) in Sub so names never collide.
type Key struct {
	Kind      Kind
	Sub       string
	Namespace string
	Name      string
}

// Object is any value the source hands out.
type Object interface{ ObjectKey() Key }

// Condition is one status condition, already flattened to strings.
type Condition struct {
	Type, Status, Reason, Message string
	Changed                       time.Time
}

// Container is one container's state as a line of text.
type Container struct {
	Name     string
	Init     bool
	Image    string
	Ready    bool
	Restarts int
	State    string // Running, Waiting, Terminated
	Reason   string // e.g. ContainerCreating, CrashLoopBackOff, Completed
	Message  string
	Since    time.Time
}

// Pod is a pod as the dashboard shows it.
type Pod struct {
	Namespace, Name string
	Ready, Total    int
	Status          string // as kubectl prints it
	Phase           string
	Restarts        int
	Node, IP        string
	Created         time.Time
	Owner           Owner
	ReqCPU          int64 // millicores
	ReqMem          int64 // bytes
	Conditions      []Condition
	Containers      []Container
}

// Owner is a controller reference: kind and name.
type Owner struct{ Kind, Name string }

func (p Pod) ObjectKey() Key { return Key{Kind: KindPod, Namespace: p.Namespace, Name: p.Name} }

// Node is a node as the dashboard shows it.
type Node struct {
	Name          string
	Ready         string // True, False, Unknown
	Roles         string
	Real          bool // label mini.dev/node=real
	AllocCPU      int64
	AllocMem      int64
	Created       time.Time
	Unschedulable bool
	Conditions    []Condition
	Addresses     string
	Version       string
}

func (n Node) ObjectKey() Key { return Key{Kind: KindNode, Name: n.Name} }

// Workload is a Deployment, StatefulSet, DaemonSet or Job reduced to
// desired against actual.
type Workload struct {
	Kind            string // Deployment, StatefulSet, DaemonSet, Job
	Namespace, Name string
	Desired         int
	Updated         int
	Ready           int
	Available       int
	Generation      int64
	Observed        int64
	Created         time.Time
	Message         string // the controller's current condition message
	Conditions      []Condition
	Selector        map[string]string
	Scalable        bool
	Complete        bool // a finished Job
	Failed          bool
}

func (w Workload) ObjectKey() Key {
	return Key{Kind: KindWorkload, Sub: w.Kind, Namespace: w.Namespace, Name: w.Name}
}

// RollingOut reports whether the workload has not reached its desired state.
func (w Workload) RollingOut() bool {
	if w.Kind == "Job" {
		return !w.Complete && !w.Failed
	}
	return w.Observed < w.Generation || w.Updated < w.Desired || w.Ready < w.Desired || w.Available < w.Desired
}

// Service is a service with its ready endpoint count.
type Service struct {
	Namespace, Name string
	Type            string
	ClusterIP       string
	Ports           string
	Created         time.Time
	ReadyEndpoints  int
	Endpoints       int
	Selector        map[string]string
}

func (s Service) ObjectKey() Key { return Key{Kind: KindService, Namespace: s.Namespace, Name: s.Name} }

// Endpoints counts one EndpointSlice's endpoints for a service.
type Endpoints struct {
	Namespace, Slice, Service string
	Ready, Total              int
}

func (e Endpoints) ObjectKey() Key {
	return Key{Kind: KindService, Sub: "EndpointSlice", Namespace: e.Namespace, Name: e.Slice}
}

// Event is a core/v1 Event.
type Event struct {
	Namespace, Name string
	Type            string // Normal, Warning
	Reason          string
	Object          string // kind/name
	ObjectKind      string
	ObjectName      string
	Message         string
	Count           int
	Last            time.Time
}

func (e Event) ObjectKey() Key { return Key{Kind: KindEvent, Namespace: e.Namespace, Name: e.Name} }

// Conn is the state of the connection to the API server.
type Conn struct {
	Up    bool
	Err   string
	Since time.Time
	Retry time.Duration // the next reconnect attempt is this far off
}

// Batch is everything that changed since the last batch. Upserts and
// Deletes hold at most one entry per key: the latest.
type Batch struct {
	Upserts []Object
	Deletes []Key
	Conn    *Conn // set when the connection state changed
	Synced  bool  // every informer has listed once
}
