package deployment

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// rolloutRecreate scales every old ReplicaSet to 0, waits until their
// pods are gone, then creates and scales up the new one.
func (p *pass) rolloutRecreate(ctx context.Context, rsList []*appsv1.ReplicaSet) error {
	newRS, oldRSs, err := p.allReplicaSets(ctx, rsList, false)
	if err != nil {
		return err
	}
	allRSs := append(append([]*appsv1.ReplicaSet(nil), oldRSs...), newRS)
	scaledDown := false
	for _, rs := range filterActive(oldRSs) {
		scaled, _, err := p.scaleRS(ctx, rs, 0)
		if err != nil {
			return err
		}
		scaledDown = scaledDown || scaled
	}
	if scaledDown {
		return p.syncRolloutStatus(ctx, allRSs, newRS)
	}
	podMap, err := p.podsByReplicaSet(rsList)
	if err != nil {
		return err
	}
	if oldPodsRunning(newRS, oldRSs, podMap) {
		return p.syncRolloutStatus(ctx, allRSs, newRS)
	}
	if newRS == nil {
		if newRS, oldRSs, err = p.allReplicaSets(ctx, rsList, true); err != nil {
			return err
		}
		allRSs = append(append([]*appsv1.ReplicaSet(nil), oldRSs...), newRS)
	}
	if _, newRS, err = p.scaleRS(ctx, newRS, *p.d.Spec.Replicas); err != nil {
		return err
	}
	allRSs[len(allRSs)-1] = newRS
	if DeploymentComplete(p.d, &p.d.Status) {
		if err := p.cleanup(ctx, oldRSs); err != nil {
			return err
		}
	}
	return p.syncRolloutStatus(ctx, allRSs, newRS)
}

// oldPodsRunning reports whether an old ReplicaSet still has pods that
// have not finished.
func oldPodsRunning(newRS *appsv1.ReplicaSet, oldRSs []*appsv1.ReplicaSet, podMap map[types.UID][]*corev1.Pod) bool {
	if actualReplicas(oldRSs...) > 0 {
		return true
	}
	for uid, pods := range podMap {
		if newRS != nil && newRS.UID == uid {
			continue
		}
		for _, pod := range pods {
			if pod.Status.Phase != corev1.PodFailed && pod.Status.Phase != corev1.PodSucceeded {
				return true
			}
		}
	}
	return false
}
