package apiserver

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestDefaultTolerationSecondsPerCluster(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		configured, want int64
	}{{0, 300}, {300, 300}, {5, 5}} {
		reg := NewRegistry(DefaultResources())
		setDefaultTolerationSeconds(reg, tc.configured)
		r, _ := reg.Lookup("", "v1", "pods")
		pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "x"}}}}
		r.Default(pod)
		got := map[string]int64{}
		for _, tol := range pod.Spec.Tolerations {
			got[tol.Key] = *tol.TolerationSeconds
		}
		if got[corev1.TaintNodeNotReady] != tc.want || got[corev1.TaintNodeUnreachable] != tc.want || len(got) != 2 {
			t.Errorf("configured %d: tolerations %v, want %d for both", tc.configured, got, tc.want)
		}
	}
}
