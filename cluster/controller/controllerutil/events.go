package controllerutil

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"
)

// Recorder records Events as component; Start makes it write them as
// core/v1 Events (what kubectl describe shows) until ctx ends.
type Recorder struct {
	record.EventRecorder
	b      record.EventBroadcaster
	client kubernetes.Interface
}

// NewRecorder returns a recorder for component.
func NewRecorder(client kubernetes.Interface, component string) *Recorder {
	return NewRecorderFor(client, corev1.EventSource{Component: component})
}

// NewRecorderFor returns a recorder for an Event source with a host, as
// the kubelet's ("kubelet" on node N).
func NewRecorderFor(client kubernetes.Interface, source corev1.EventSource) *Recorder {
	b := record.NewBroadcaster()
	return &Recorder{EventRecorder: b.NewRecorder(scheme.Scheme, source), b: b, client: client}
}

// Start writes recorded Events through the API until ctx ends.
func (r *Recorder) Start(ctx context.Context) {
	r.b.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: r.client.CoreV1().Events("")})
	go func() { <-ctx.Done(); r.b.Shutdown() }()
}
