package views

import (
	"testing"

	"github.com/minidev/mini/ui/data"
)

func TestNow(t *testing.T) {
	t.Parallel()
	deploy := data.Workload{Kind: "Deployment", Desired: 3, Updated: 3, Ready: 2, Available: 2, Generation: 1, Observed: 1, Message: "ReplicaSet is progressing."}
	steady := data.Workload{Kind: "Deployment", Desired: 2, Updated: 2, Ready: 2, Available: 2, Generation: 1, Observed: 1}
	unsched := []data.Condition{{Type: "PodScheduled", Status: "False", Reason: "Unschedulable"}}
	running := data.Pod{Status: "Running", Ready: 1, Total: 1, Node: "n1"}
	type pod struct {
		p       data.Pod
		pulling string
	}
	tests := []struct {
		name string
		w    data.Workload
		pods []pod
		want string
	}{
		{"pulling", deploy, []pod{{running, ""}, {running, ""}, {data.Pod{Status: "ContainerCreating", Total: 1, Node: "n1"}, "mini-test/server:v1"}}, "2/3 ready · 1 pulling mini-test/server:v1"},
		{"starting without a pull", deploy, []pod{{running, ""}, {running, ""}, {data.Pod{Status: "ContainerCreating", Total: 1, Node: "n1"}, ""}}, "2/3 ready · 1 starting"},
		{"back-off first", deploy, []pod{{running, ""}, {data.Pod{Status: "Running", Total: 1, Node: "n1"}, ""}, {data.Pod{Status: "CrashLoopBackOff", Total: 1, Node: "n1"}, ""}}, "2/3 ready · 1 in CrashLoopBackOff · 1 waiting for readiness"},
		{"image back-off", deploy, []pod{{data.Pod{Status: "ImagePullBackOff", Total: 1, Node: "n1"}, ""}, {data.Pod{Status: "ErrImagePull", Total: 1, Node: "n1"}, ""}}, "2/3 ready · 1 in ErrImagePull · 1 in ImagePullBackOff"},
		{"scheduling", deploy, []pod{{data.Pod{Status: "Pending", Total: 1}, ""}, {data.Pod{Status: "Pending", Total: 1, Conditions: unsched}, ""}}, "2/3 ready · 1 unschedulable · 1 scheduling"},
		{"terminating", steady, []pod{{running, ""}, {running, ""}, {data.Pod{Status: "Terminating", Total: 1}, ""}}, "2/2 ready · 1 terminating"},
		{"controller message", deploy, []pod{{running, ""}, {running, ""}}, "2/3 ready · ReplicaSet is progressing."},
		{"steady", steady, []pod{{running, ""}, {running, ""}}, "steady"},
		{"job running", data.Workload{Kind: "Job", Desired: 1}, []pod{{running, ""}}, "1 running"},
		{"job failed pod", data.Workload{Kind: "Job", Desired: 1}, []pod{{data.Pod{Status: "Error", Total: 1, Node: "n1"}, ""}}, "1 failed"},
		{"job complete", data.Workload{Kind: "Job", Desired: 1, Available: 1, Complete: true}, []pod{{data.Pod{Status: "Completed", Total: 1}, ""}}, "complete"},
		{"job failed", data.Workload{Kind: "Job", Desired: 1, Failed: true, Message: "BackoffLimitExceeded"}, nil, "failed: BackoffLimitExceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var c PodCounts
			for _, p := range tt.pods {
				c.Count(p.p, p.pulling)
			}
			if got := Now(tt.w, c); got != tt.want {
				t.Errorf("Now = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPullingImage(t *testing.T) {
	t.Parallel()
	tests := []struct{ msg, want string }{
		{`Pulling image "mini-test/server:v1"`, "mini-test/server:v1"},
		{"Pulling image", "image"},
	}
	for _, tt := range tests {
		if got := PullingImage(tt.msg); got != tt.want {
			t.Errorf("PullingImage(%q) = %q, want %q", tt.msg, got, tt.want)
		}
	}
}
