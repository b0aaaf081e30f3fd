package deployment

import (
	"context"
	"fmt"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
)

// rolloutRolling scales the new ReplicaSet up within maxSurge and the old
// ones down within maxUnavailable, one step per pass.
func (p *pass) rolloutRolling(ctx context.Context, rsList []*appsv1.ReplicaSet) error {
	newRS, oldRSs, err := p.allReplicaSets(ctx, rsList, true)
	if err != nil {
		return err
	}
	allRSs := append(append([]*appsv1.ReplicaSet(nil), oldRSs...), newRS)
	scaledUp, newRS, err := p.reconcileNewReplicaSet(ctx, allRSs, newRS)
	if err != nil {
		return err
	}
	allRSs[len(allRSs)-1] = newRS
	if scaledUp {
		return p.syncRolloutStatus(ctx, allRSs, newRS)
	}
	scaledDown, err := p.reconcileOldReplicaSets(ctx, allRSs, filterActive(oldRSs), newRS)
	if err != nil {
		return err
	}
	if scaledDown {
		return p.syncRolloutStatus(ctx, allRSs, newRS)
	}
	if DeploymentComplete(p.d, &p.d.Status) {
		if err := p.cleanup(ctx, oldRSs); err != nil {
			return err
		}
	}
	return p.syncRolloutStatus(ctx, allRSs, newRS)
}

func (p *pass) reconcileNewReplicaSet(ctx context.Context, allRSs []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet) (bool, *appsv1.ReplicaSet, error) {
	d := p.d
	if *newRS.Spec.Replicas == *d.Spec.Replicas {
		return false, newRS, nil
	}
	if *newRS.Spec.Replicas > *d.Spec.Replicas {
		return p.scaleRS(ctx, newRS, *d.Spec.Replicas)
	}
	return p.scaleRS(ctx, newRS, NewRSNewReplicas(d, allRSs, newRS))
}

func (p *pass) reconcileOldReplicaSets(ctx context.Context, allRSs, oldRSs []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet) (bool, error) {
	d := p.d
	oldPods := specReplicas(oldRSs...)
	if oldPods == 0 {
		return false, nil
	}
	minAvailable := *d.Spec.Replicas - MaxUnavailable(d)
	newUnavailable := *newRS.Spec.Replicas - newRS.Status.AvailableReplicas
	maxScaledDown := specReplicas(allRSs...) - minAvailable - newUnavailable
	if maxScaledDown <= 0 {
		return false, nil
	}
	// First the old pods that are not available: removing them costs no
	// availability.
	oldRSs, cleaned, err := p.cleanupUnhealthy(ctx, oldRSs, maxScaledDown)
	if err != nil {
		return false, err
	}
	all := append(append([]*appsv1.ReplicaSet(nil), oldRSs...), newRS)
	scaled, err := p.scaleDownOld(ctx, all, oldRSs)
	if err != nil {
		return false, err
	}
	return cleaned+scaled > 0, nil
}

func (p *pass) cleanupUnhealthy(ctx context.Context, oldRSs []*appsv1.ReplicaSet, maxCleanup int32) ([]*appsv1.ReplicaSet, int32, error) {
	oldRSs = append([]*appsv1.ReplicaSet(nil), oldRSs...)
	sort.Sort(byCreation(oldRSs))
	var total int32
	for i, rs := range oldRSs {
		if total >= maxCleanup {
			break
		}
		if *rs.Spec.Replicas == 0 || *rs.Spec.Replicas == rs.Status.AvailableReplicas {
			continue
		}
		n := min(maxCleanup-total, *rs.Spec.Replicas-rs.Status.AvailableReplicas)
		target := *rs.Spec.Replicas - n
		if target > *rs.Spec.Replicas {
			return nil, 0, fmt.Errorf("when cleaning up unhealthy replicas, got invalid request to scale down %s %d -> %d", rs.Name, *rs.Spec.Replicas, target)
		}
		_, updated, err := p.scaleRS(ctx, rs, target)
		if err != nil {
			return nil, total, err
		}
		total += n
		oldRSs[i] = updated
	}
	return oldRSs, total, nil
}

func (p *pass) scaleDownOld(ctx context.Context, allRSs, oldRSs []*appsv1.ReplicaSet) (int32, error) {
	d := p.d
	minAvailable := *d.Spec.Replicas - MaxUnavailable(d)
	available := availableReplicas(allRSs...)
	if available <= minAvailable {
		return 0, nil
	}
	oldRSs = append([]*appsv1.ReplicaSet(nil), oldRSs...)
	sort.Sort(byCreation(oldRSs))
	var total int32
	want := available - minAvailable
	for _, rs := range oldRSs {
		if total >= want {
			break
		}
		if *rs.Spec.Replicas == 0 {
			continue
		}
		n := min(*rs.Spec.Replicas, want-total)
		if _, _, err := p.scaleRS(ctx, rs, *rs.Spec.Replicas-n); err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}
