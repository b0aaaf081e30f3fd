package ui

import (
	"context"
	"fmt"
	"time"

	"github.com/minidev/mini/ui/data"
)

// clock is the fixed time of every test.
var clock = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) time.Time { return clock.Add(-d) }

// fixture is a small cluster in mid-rollout.
func fixture() data.Batch {
	cond := func(t, s, r, msg string) data.Condition {
		return data.Condition{Type: t, Status: s, Reason: r, Message: msg, Changed: ago(time.Minute)}
	}
	objs := []data.Object{
		data.Node{Name: "mini-control-plane", Ready: "True", Roles: "control-plane", AllocCPU: 4000, AllocMem: 8 << 30, Created: ago(49 * time.Hour), Version: "v1.35.0", Conditions: []data.Condition{cond("Ready", "True", "KubeletReady", "kubelet is posting ready status")}},
		data.Node{Name: "mini-node-1", Ready: "True", Real: true, AllocCPU: 4000, AllocMem: 8 << 30, Created: ago(49 * time.Hour), Version: "v1.35.0"},
		data.Node{Name: "mini-node-2", Ready: "Unknown", AllocCPU: 2000, AllocMem: 4 << 30, Created: ago(3 * time.Hour), Version: "v1.35.0"},
		data.Workload{Kind: "Deployment", Namespace: "default", Name: "web", Desired: 3, Updated: 2, Ready: 1, Available: 1, Generation: 2, Observed: 2, Created: ago(10 * time.Minute), Scalable: true,
			Conditions: []data.Condition{cond("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability."), cond("Progressing", "True", "ReplicaSetUpdated", `ReplicaSet "web-7d4b9" is progressing.`)},
			Message:    "Deployment does not have minimum availability."},
		data.Workload{Kind: "StatefulSet", Namespace: "default", Name: "db", Desired: 1, Updated: 1, Ready: 1, Available: 1, Generation: 1, Observed: 1, Created: ago(2 * time.Hour), Scalable: true},
		data.Workload{Kind: "DaemonSet", Namespace: "kube-system", Name: "proxy", Desired: 3, Updated: 3, Ready: 2, Available: 2, Generation: 1, Observed: 1, Created: ago(49 * time.Hour)},
		data.Workload{Kind: "Job", Namespace: "batch", Name: "migrate", Desired: 1, Available: 1, Created: ago(30 * time.Minute), Complete: true},
		data.Pod{Namespace: "default", Name: "web-7d4b9-abcde", Ready: 1, Total: 1, Status: "Running", Phase: "Running", Node: "mini-node-1", IP: "10.244.1.5", Created: ago(9 * time.Minute), Owner: data.Owner{Kind: "ReplicaSet", Name: "web-7d4b9"}, ReqCPU: 250, ReqMem: 256 << 20,
			Conditions: []data.Condition{cond("Ready", "True", "", "")}, Containers: []data.Container{{Name: "web", Image: "nginx:1.27", Ready: true, State: "Running", Since: ago(8 * time.Minute)}}},
		data.Pod{Namespace: "default", Name: "web-7d4b9-fghij", Ready: 0, Total: 1, Status: "CrashLoopBackOff", Phase: "Running", Restarts: 7, Node: "mini-node-1", IP: "10.244.1.6", Created: ago(9 * time.Minute), Owner: data.Owner{Kind: "ReplicaSet", Name: "web-7d4b9"}, ReqCPU: 250, ReqMem: 256 << 20,
			Containers: []data.Container{{Name: "web", Image: "nginx:1.27", State: "Waiting", Reason: "CrashLoopBackOff", Message: "back-off 5m0s restarting failed container", Restarts: 7}}},
		data.Pod{Namespace: "default", Name: "web-7d4b9-klmno", Ready: 0, Total: 1, Status: "Pending", Phase: "Pending", Created: ago(30 * time.Second), Owner: data.Owner{Kind: "ReplicaSet", Name: "web-7d4b9"},
			Conditions: []data.Condition{cond("PodScheduled", "False", "Unschedulable", "0/3 nodes are available: 3 Insufficient cpu.")}},
		data.Pod{Namespace: "default", Name: "db-0", Ready: 1, Total: 1, Status: "Running", Phase: "Running", Node: "mini-control-plane", IP: "10.244.0.3", Created: ago(2 * time.Hour), Owner: data.Owner{Kind: "StatefulSet", Name: "db"}, ReqCPU: 500, ReqMem: 1 << 30},
		data.Pod{Namespace: "batch", Name: "migrate-x2k9p", Ready: 0, Total: 1, Status: "Completed", Phase: "Succeeded", Node: "mini-node-2", Created: ago(30 * time.Minute), Owner: data.Owner{Kind: "Job", Name: "migrate"}},
		data.Pod{Namespace: "kube-system", Name: "proxy-q8w7e", Ready: 0, Total: 1, Status: "ContainerCreating", Phase: "Pending", Node: "mini-node-2", Created: ago(5 * time.Second), Owner: data.Owner{Kind: "DaemonSet", Name: "proxy"}},
		data.Pod{Namespace: "kube-system", Name: "proxy-old12", Ready: 1, Total: 1, Status: "Terminating", Phase: "Running", Node: "mini-node-1", IP: "10.244.1.2", Created: ago(49 * time.Hour), Owner: data.Owner{Kind: "DaemonSet", Name: "proxy"}},
		data.Service{Namespace: "default", Name: "kubernetes", Type: "ClusterIP", ClusterIP: "10.96.0.1", Ports: "443/TCP", Created: ago(49 * time.Hour)},
		data.Service{Namespace: "default", Name: "web", Type: "NodePort", ClusterIP: "10.96.12.7", Ports: "80:30080/TCP", Created: ago(10 * time.Minute), Selector: map[string]string{"app": "web"}},
		data.Endpoints{Namespace: "default", Slice: "web-abc12", Service: "web", Ready: 1, Total: 3},
		data.Event{Namespace: "default", Name: "web.1", Type: "Normal", Reason: "ScalingReplicaSet", Object: "deployment/web", ObjectKind: "Deployment", ObjectName: "web", Message: "Scaled up replica set web-7d4b9 from 0 to 3", Count: 1, Last: ago(9 * time.Minute)},
		data.Event{Namespace: "default", Name: "web.2", Type: "Warning", Reason: "BackOff", Object: "pod/web-7d4b9-fghij", ObjectKind: "Pod", ObjectName: "web-7d4b9-fghij", Message: "Back-off restarting failed container web in pod web-7d4b9-fghij", Count: 31, Last: ago(20 * time.Second)},
		data.Event{Namespace: "default", Name: "web.3", Type: "Warning", Reason: "FailedScheduling", Object: "pod/web-7d4b9-klmno", ObjectKind: "Pod", ObjectName: "web-7d4b9-klmno", Message: "0/3 nodes are available: 3 Insufficient cpu.", Count: 2, Last: ago(25 * time.Second)},
		data.Event{Namespace: "kube-system", Name: "node.1", Type: "Normal", Reason: "NodeNotReady", Object: "node/mini-node-2", ObjectKind: "Node", ObjectName: "mini-node-2", Message: "Node mini-node-2 status is now: NodeNotReady", Count: 1, Last: ago(time.Minute)},
	}
	return data.Batch{Upserts: objs, Synced: true}
}

// fixedModel is a model over the fixture at the fixed clock.
func fixedModel(noColor bool) *Model {
	m := New(Options{Cluster: "mini", NoColor: noColor, Now: func() time.Time { return clock }})
	m.Update(batchMsg(fixture()))
	return m
}

// feed hands out the batches it is given, then blocks until ctx ends.
type feed struct{ ch chan data.Batch }

func (f feed) Next(ctx context.Context) (data.Batch, bool) {
	select {
	case b := <-f.ch:
		return b, true
	case <-ctx.Done():
		return data.Batch{}, false
	}
}

// pods makes n pods spread over three nodes, version v.
func pods(n, v int) []data.Object {
	out := make([]data.Object, n)
	status := []string{"Running", "Pending", "ContainerCreating", "CrashLoopBackOff"}
	for i := range out {
		out[i] = data.Pod{Namespace: fmt.Sprintf("ns-%d", i%5), Name: fmt.Sprintf("app-%04d", i), Ready: (i + v) % 2, Total: 1,
			Status: status[(i+v)%4], Restarts: v, Node: fmt.Sprintf("mini-node-%d", i%3), IP: fmt.Sprintf("10.244.%d.%d", i/250, i%250),
			Created: ago(time.Duration(i) * time.Second), Owner: data.Owner{Kind: "ReplicaSet", Name: fmt.Sprintf("app%d-abc", i%10)}, ReqCPU: 100, ReqMem: 64 << 20}
	}
	return out
}
