package deployment

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"time"

	"github.com/minidev/mini/cluster/controller/controllerutil"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
)

// pass is one reconcile of one Deployment: d is the working copy, kept
// current with what this pass wrote; requeue asks to come back later.
type pass struct {
	c       *Controller
	d       *appsv1.Deployment
	requeue time.Duration
}

func (c *Controller) reconcile(ctx context.Context, key string) (time.Duration, error) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	cached, err := c.dList.Deployments(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	p := &pass{c: c, d: cached.DeepCopy()}
	err = p.sync(ctx)
	return p.requeue, err
}

func (p *pass) sync(ctx context.Context) error {
	d := p.d
	if d.Spec.Selector == nil || (len(d.Spec.Selector.MatchLabels) == 0 && len(d.Spec.Selector.MatchExpressions) == 0) {
		p.c.recorder.Eventf(d, corev1.EventTypeWarning, "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.")
		if d.Status.ObservedGeneration < d.Generation {
			st := *d.Status.DeepCopy()
			st.ObservedGeneration = d.Generation
			return p.writeStatus(ctx, st)
		}
		return nil
	}
	rsList, err := p.claimReplicaSets(ctx)
	if err != nil {
		return err
	}
	if d.DeletionTimestamp != nil {
		newRS, oldRSs, err := p.allReplicaSets(ctx, rsList, false)
		if err != nil {
			return err
		}
		return p.syncStatus(ctx, append(oldRSs, newRS), newRS)
	}
	if err := p.checkPaused(ctx); err != nil {
		return err
	}
	if p.d.Spec.Paused {
		return p.scaleOnly(ctx, rsList)
	}
	scaling, err := p.isScalingEvent(ctx, rsList)
	if err != nil {
		return err
	}
	if scaling {
		return p.scaleOnly(ctx, rsList)
	}
	if p.d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		return p.rolloutRecreate(ctx, rsList)
	}
	return p.rolloutRolling(ctx, rsList)
}

// claimReplicaSets lists the ReplicaSets the Deployment controls,
// adopting matching orphans and releasing those that stopped matching.
func (p *pass) claimReplicaSets(ctx context.Context) ([]*appsv1.ReplicaSet, error) {
	d := p.d
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return nil, nil
	}
	all, err := p.c.rsList.ReplicaSets(d.Namespace).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	api := p.c.client.AppsV1().ReplicaSets(d.Namespace)
	cl := controllerutil.Claimer[*appsv1.ReplicaSet]{
		Owner: d, OwnerGVK: deployGVK, Selector: sel,
		Patch: func(ctx context.Context, name string, patch []byte) error {
			_, err := api.Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
			return err
		},
		CanAdopt: controllerutil.RecheckOwner(d, func(ctx context.Context) (metav1.Object, error) {
			return p.c.client.AppsV1().Deployments(d.Namespace).Get(ctx, d.Name, metav1.GetOptions{})
		}),
	}
	return cl.Claim(ctx, all)
}

// podsByReplicaSet groups the Deployment's pods by their ReplicaSet's UID.
func (p *pass) podsByReplicaSet(rsList []*appsv1.ReplicaSet) (map[types.UID][]*corev1.Pod, error) {
	sel, err := metav1.LabelSelectorAsSelector(p.d.Spec.Selector)
	if err != nil {
		return nil, err
	}
	pods, err := p.c.podList.Pods(p.d.Namespace).List(sel)
	if err != nil {
		return nil, err
	}
	m := make(map[types.UID][]*corev1.Pod, len(rsList))
	for _, rs := range rsList {
		m[rs.UID] = nil
	}
	for _, pod := range pods {
		if ref := metav1.GetControllerOfNoCopy(pod); ref != nil {
			if _, ok := m[ref.UID]; ok {
				m[ref.UID] = append(m[ref.UID], pod)
			}
		}
	}
	return m, nil
}

// checkPaused records pausing and resuming in the Progressing condition.
func (p *pass) checkPaused(ctx context.Context) error {
	d := p.d
	if !hasProgressDeadline(d) {
		return nil
	}
	cond := getCondition(d.Status, appsv1.DeploymentProgressing)
	if cond != nil && cond.Reason == TimedOutReason {
		return nil
	}
	pausedCond := cond != nil && cond.Reason == PausedDeployReason
	st := *d.Status.DeepCopy()
	switch {
	case d.Spec.Paused && !pausedCond:
		setCondition(&st, p.condition(appsv1.DeploymentProgressing, corev1.ConditionUnknown, PausedDeployReason, "Deployment is paused"))
	case !d.Spec.Paused && pausedCond:
		setCondition(&st, p.condition(appsv1.DeploymentProgressing, corev1.ConditionUnknown, ResumedDeployReason, "Deployment is resumed"))
	default:
		return nil
	}
	return p.writeStatus(ctx, st)
}

// isScalingEvent reports whether spec.replicas differs from what an
// active ReplicaSet was last scaled for.
func (p *pass) isScalingEvent(ctx context.Context, rsList []*appsv1.ReplicaSet) (bool, error) {
	newRS, oldRSs, err := p.allReplicaSets(ctx, rsList, false)
	if err != nil {
		return false, err
	}
	for _, rs := range filterActive(append(oldRSs, newRS)) {
		v, ok := rs.Annotations[DesiredReplicasAnnotation]
		if !ok {
			continue
		}
		if n, err := strconv.ParseInt(v, 10, 32); err == nil && int32(n) != *p.d.Spec.Replicas {
			return true, nil
		}
	}
	return false, nil
}

// scaleOnly scales without rolling out (paused, or a scaling event).
func (p *pass) scaleOnly(ctx context.Context, rsList []*appsv1.ReplicaSet) error {
	newRS, oldRSs, err := p.allReplicaSets(ctx, rsList, false)
	if err != nil {
		return err
	}
	if err := p.scale(ctx, newRS, oldRSs); err != nil {
		return err
	}
	if p.d.Spec.Paused {
		if err := p.cleanup(ctx, oldRSs); err != nil {
			return err
		}
	}
	return p.syncStatus(ctx, append(oldRSs, newRS), newRS)
}

// allReplicaSets returns the new ReplicaSet (created if asked and
// missing) and all old ones, and brings revisions up to date.
func (p *pass) allReplicaSets(ctx context.Context, rsList []*appsv1.ReplicaSet, create bool) (*appsv1.ReplicaSet, []*appsv1.ReplicaSet, error) {
	_, oldRSs := FindOldReplicaSets(p.d, rsList)
	newRS, err := p.newReplicaSet(ctx, rsList, oldRSs, create)
	return newRS, oldRSs, err
}

func maxRevision(rss []*appsv1.ReplicaSet) int64 {
	var m int64
	for _, rs := range rss {
		m = max(m, Revision(rs))
	}
	return m
}

func (p *pass) newReplicaSet(ctx context.Context, rsList, oldRSs []*appsv1.ReplicaSet, create bool) (*appsv1.ReplicaSet, error) {
	d := p.d
	api := p.c.client.AppsV1().ReplicaSets(d.Namespace)
	existing := FindNewReplicaSet(d, rsList)
	newRevision := strconv.FormatInt(maxRevision(oldRSs)+1, 10)
	if existing != nil {
		rs := existing.DeepCopy()
		annotationsChanged := setNewReplicaSetAnnotations(d, rs, newRevision, true)
		if annotationsChanged || rs.Spec.MinReadySeconds != d.Spec.MinReadySeconds {
			rs.Spec.MinReadySeconds = d.Spec.MinReadySeconds
			return api.Update(ctx, rs, metav1.UpdateOptions{})
		}
		if err := p.setRevision(ctx, rs.Annotations[RevisionAnnotation]); err != nil {
			return nil, err
		}
		if hasProgressDeadline(d) && getCondition(p.d.Status, appsv1.DeploymentProgressing) == nil {
			st := *p.d.Status.DeepCopy()
			setCondition(&st, p.condition(appsv1.DeploymentProgressing, corev1.ConditionTrue, FoundNewRSReason, fmt.Sprintf("Found new replica set %q", rs.Name)))
			if err := p.writeStatus(ctx, st); err != nil {
				return nil, err
			}
		}
		return rs, nil
	}
	if !create {
		return nil, nil
	}
	tmpl := *d.Spec.Template.DeepCopy()
	hash := ComputeHash(&tmpl, d.Status.CollisionCount)
	tmpl.Labels = withLabel(d.Spec.Template.Labels, HashLabel, hash)
	sel := d.Spec.Selector.DeepCopy()
	sel.MatchLabels = withLabel(sel.MatchLabels, HashLabel, hash)
	zero := int32(0)
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name: d.Name + "-" + hash, Namespace: d.Namespace, Labels: tmpl.Labels,
			OwnerReferences: []metav1.OwnerReference{*controllerutil.NewControllerRef(d, deployGVK)},
		},
		Spec: appsv1.ReplicaSetSpec{Replicas: &zero, MinReadySeconds: d.Spec.MinReadySeconds, Selector: sel, Template: tmpl},
	}
	replicas := NewRSNewReplicas(d, append(oldRSs, rs), rs)
	rs.Spec.Replicas = &replicas
	setNewReplicaSetAnnotations(d, rs, newRevision, false)
	created, err := api.Create(ctx, rs, metav1.CreateOptions{})
	alreadyExists := false
	switch {
	case apierrors.IsAlreadyExists(err):
		alreadyExists = true
		got, getErr := p.c.rsList.ReplicaSets(d.Namespace).Get(rs.Name)
		if getErr != nil {
			return nil, getErr
		}
		if ref := metav1.GetControllerOfNoCopy(got); ref != nil && ref.UID == d.UID && EqualIgnoreHash(&d.Spec.Template, &got.Spec.Template) {
			created = got
			break
		}
		// A hash collision: bump collisionCount and come back.
		st := *p.d.Status.DeepCopy()
		if st.CollisionCount == nil {
			st.CollisionCount = new(int32)
		}
		*st.CollisionCount++
		if werr := p.writeStatus(ctx, st); werr != nil {
			return nil, werr
		}
		return nil, fmt.Errorf("replica set %s exists and is not this deployment's: collision count now %d", rs.Name, *st.CollisionCount)
	case apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause):
		return nil, err
	case err != nil:
		msg := fmt.Sprintf("Failed to create new replica set %q: %v", rs.Name, err)
		if hasProgressDeadline(d) {
			st := *p.d.Status.DeepCopy()
			setCondition(&st, p.condition(appsv1.DeploymentProgressing, corev1.ConditionFalse, FailedRSCreateReason, msg))
			_ = p.writeStatus(ctx, st)
		}
		p.c.recorder.Event(d, corev1.EventTypeWarning, FailedRSCreateReason, msg)
		return nil, err
	}
	if !alreadyExists && replicas > 0 {
		p.c.recorder.Eventf(d, corev1.EventTypeNormal, "ScalingReplicaSet", "Scaled up replica set %s from 0 to %d", created.Name, replicas)
	}
	if err := p.setRevision(ctx, newRevision); err != nil {
		return nil, err
	}
	if !alreadyExists && hasProgressDeadline(d) {
		st := *p.d.Status.DeepCopy()
		setCondition(&st, p.condition(appsv1.DeploymentProgressing, corev1.ConditionTrue, NewReplicaSetReason, fmt.Sprintf("Created new replica set %q", created.Name)))
		if err := p.writeStatus(ctx, st); err != nil {
			return nil, err
		}
	}
	return created, nil
}

func withLabel(m map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for a, b := range m {
		out[a] = b
	}
	out[k] = v
	return out
}

// setRevision sets the Deployment's revision annotation. Kubernetes does
// it through UpdateStatus (its status strategy keeps annotations); mini's
// status subresource keeps only status, so this is a metadata patch.
func (p *pass) setRevision(ctx context.Context, rev string) error {
	if p.d.Annotations[RevisionAnnotation] == rev {
		return nil
	}
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{RevisionAnnotation: rev}}})
	out, err := p.c.client.AppsV1().Deployments(p.d.Namespace).Patch(ctx, p.d.Name, types.MergePatchType, patch, metav1.PatchOptions{})
	if err != nil {
		return fmt.Errorf("set revision of deployment %s: %w", p.d.Name, err)
	}
	st := p.d.Status
	p.d = out
	p.d.Status = st
	return nil
}

// writeStatus writes st as the Deployment's status and keeps the result.
func (p *pass) writeStatus(ctx context.Context, st appsv1.DeploymentStatus) error {
	cp := p.d.DeepCopy()
	cp.Status = st
	out, err := p.c.client.AppsV1().Deployments(p.d.Namespace).UpdateStatus(ctx, cp, metav1.UpdateOptions{})
	if err != nil {
		return fmt.Errorf("update status of deployment %s: %w", p.d.Name, err)
	}
	p.d = out
	return nil
}

func (p *pass) condition(t appsv1.DeploymentConditionType, s corev1.ConditionStatus, reason, msg string) appsv1.DeploymentCondition {
	now := metav1.NewTime(p.c.now())
	return appsv1.DeploymentCondition{Type: t, Status: s, LastUpdateTime: now, LastTransitionTime: now, Reason: reason, Message: msg}
}

// scaleRS sets rs's replicas (and replica annotations) and records the
// event; it reports whether the size changed.
func (p *pass) scaleRS(ctx context.Context, rs *appsv1.ReplicaSet, n int32) (bool, *appsv1.ReplicaSet, error) {
	if *rs.Spec.Replicas == n {
		return false, rs, nil
	}
	op := "down"
	if *rs.Spec.Replicas < n {
		op = "up"
	}
	return p.setScale(ctx, rs, n, op)
}

func (p *pass) setScale(ctx context.Context, rs *appsv1.ReplicaSet, n int32, op string) (bool, *appsv1.ReplicaSet, error) {
	d := p.d
	sizeChange := *rs.Spec.Replicas != n
	maxReplicas := *d.Spec.Replicas + MaxSurge(d)
	if !sizeChange && !replicasAnnotationsNeedUpdate(rs, *d.Spec.Replicas, maxReplicas) {
		return false, rs, nil
	}
	from := *rs.Spec.Replicas
	cp := rs.DeepCopy()
	cp.Spec.Replicas = &n
	setReplicasAnnotations(cp, *d.Spec.Replicas, maxReplicas)
	out, err := p.c.client.AppsV1().ReplicaSets(rs.Namespace).Update(ctx, cp, metav1.UpdateOptions{})
	if err != nil {
		return false, rs, fmt.Errorf("scale replica set %s to %d: %w", rs.Name, n, err)
	}
	if sizeChange {
		p.c.recorder.Eventf(d, corev1.EventTypeNormal, "ScalingReplicaSet", "Scaled %s replica set %s from %d to %d", op, rs.Name, from, n)
	}
	return sizeChange, out, nil
}

// scale brings the replicas of all active ReplicaSets to the Deployment's
// size: all of it to the only active one, else proportionally.
func (p *pass) scale(ctx context.Context, newRS *appsv1.ReplicaSet, oldRSs []*appsv1.ReplicaSet) error {
	d := p.d
	if rs := findActiveOrLatest(newRS, oldRSs); rs != nil {
		_, _, err := p.scaleRS(ctx, rs, *d.Spec.Replicas)
		return err
	}
	if isSaturated(d, newRS) {
		for _, old := range filterActive(oldRSs) {
			if _, _, err := p.scaleRS(ctx, old, 0); err != nil {
				return err
			}
		}
		return nil
	}
	if !isRollingUpdate(d) {
		return nil
	}
	sizes, op := proportionalSizes(d, filterActive(append(append([]*appsv1.ReplicaSet(nil), oldRSs...), newRS)))
	for _, s := range sizes {
		if _, _, err := p.setScale(ctx, s.rs, s.n, op); err != nil {
			return err
		}
	}
	return nil
}

type sized struct {
	rs *appsv1.ReplicaSet
	n  int32
}

// proportionalSizes spreads the replicas a scaled Deployment adds or
// removes over its active ReplicaSets in proportion to their size, the
// leftover to the largest (Kubernetes' proportional scaling).
func proportionalSizes(d *appsv1.Deployment, active []*appsv1.ReplicaSet) ([]sized, string) {
	allowed := int32(0)
	if *d.Spec.Replicas > 0 {
		allowed = *d.Spec.Replicas + MaxSurge(d)
	}
	toAdd := allowed - specReplicas(active...)
	op := ""
	switch {
	case toAdd > 0:
		sort.Sort(bySizeNewer(active))
		op = "up"
	case toAdd < 0:
		sort.Sort(bySizeOlder(active))
		op = "down"
	}
	out := make([]sized, len(active))
	added := int32(0)
	for i, rs := range active {
		out[i] = sized{rs: rs, n: *rs.Spec.Replicas}
		if toAdd != 0 {
			pr := proportion(rs, d, toAdd, added)
			out[i].n += pr
			added += pr
		}
	}
	if len(out) > 0 && toAdd != 0 {
		out[0].n = max(out[0].n+toAdd-added, 0)
	}
	return out, op
}

// cleanup deletes the oldest ReplicaSets at 0 replicas beyond
// revisionHistoryLimit.
func (p *pass) cleanup(ctx context.Context, oldRSs []*appsv1.ReplicaSet) error {
	d := p.d
	if d.Spec.RevisionHistoryLimit == nil || *d.Spec.RevisionHistoryLimit == 1<<31-1 {
		return nil
	}
	var alive []*appsv1.ReplicaSet
	for _, rs := range oldRSs {
		if rs != nil && rs.DeletionTimestamp == nil {
			alive = append(alive, rs)
		}
	}
	diff := len(alive) - int(*d.Spec.RevisionHistoryLimit)
	if diff <= 0 {
		return nil
	}
	sort.Sort(byRevision(alive))
	for _, rs := range alive[:diff] {
		if rs.Status.Replicas != 0 || *rs.Spec.Replicas != 0 || rs.Generation > rs.Status.ObservedGeneration || rs.DeletionTimestamp != nil {
			continue
		}
		err := p.c.client.AppsV1().ReplicaSets(rs.Namespace).Delete(ctx, rs.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &rs.UID}})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("clean up old replica set %s: %w", rs.Name, err)
		}
	}
	return nil
}

// calculateStatus is the Deployment's status from its ReplicaSets, with
// the Available condition.
func (p *pass) calculateStatus(allRSs []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet) appsv1.DeploymentStatus {
	d := p.d
	avail := availableReplicas(allRSs...)
	st := appsv1.DeploymentStatus{
		ObservedGeneration:  d.Generation,
		Replicas:            actualReplicas(allRSs...),
		UpdatedReplicas:     actualReplicas(newRS),
		ReadyReplicas:       readyReplicas(allRSs...),
		AvailableReplicas:   avail,
		UnavailableReplicas: max(specReplicas(allRSs...)-avail, 0),
		CollisionCount:      d.Status.CollisionCount,
		TerminatingReplicas: terminatingReplicas(allRSs),
	}
	st.Conditions = append(st.Conditions, d.Status.Conditions...)
	if avail >= *d.Spec.Replicas-MaxUnavailable(d) {
		setCondition(&st, p.condition(appsv1.DeploymentAvailable, corev1.ConditionTrue, MinimumReplicasAvailable, "Deployment has minimum availability."))
	} else {
		setCondition(&st, p.condition(appsv1.DeploymentAvailable, corev1.ConditionFalse, MinimumReplicasUnavailable, "Deployment does not have minimum availability."))
	}
	return st
}

// terminatingReplicas sums the ReplicaSets' terminatingReplicas, nil if
// none reports it.
func terminatingReplicas(rss []*appsv1.ReplicaSet) *int32 {
	var n *int32
	for _, rs := range rss {
		if rs != nil && rs.Status.TerminatingReplicas != nil {
			if n == nil {
				n = new(int32)
			}
			*n += *rs.Status.TerminatingReplicas
		}
	}
	return n
}

// syncStatus writes the calculated status if it changed.
func (p *pass) syncStatus(ctx context.Context, allRSs []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet) error {
	st := p.calculateStatus(allRSs, newRS)
	if reflect.DeepEqual(p.d.Status, st) {
		return nil
	}
	return p.writeStatus(ctx, st)
}

// syncRolloutStatus writes the status with the Progressing condition of
// a rollout, and asks to come back at the progress deadline.
func (p *pass) syncRolloutStatus(ctx context.Context, allRSs []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet) error {
	d := p.d
	st := p.calculateStatus(allRSs, newRS)
	if !hasProgressDeadline(d) {
		removeCondition(&st, appsv1.DeploymentProgressing)
	}
	cur := getCondition(d.Status, appsv1.DeploymentProgressing)
	complete := st.Replicas == st.UpdatedReplicas && cur != nil && cur.Reason == NewRSAvailableReason
	if hasProgressDeadline(d) && !complete {
		switch {
		case DeploymentComplete(d, &st):
			name := ""
			if newRS != nil {
				name = newRS.Name
			}
			setCondition(&st, p.condition(appsv1.DeploymentProgressing, corev1.ConditionTrue, NewRSAvailableReason, fmt.Sprintf("ReplicaSet %q has successfully progressed.", name)))
		case deploymentProgressing(d, &st):
			msg := fmt.Sprintf("Deployment %q is progressing.", d.Name)
			if newRS != nil {
				msg = fmt.Sprintf("ReplicaSet %q is progressing.", newRS.Name)
			}
			c := p.condition(appsv1.DeploymentProgressing, corev1.ConditionTrue, ReplicaSetUpdatedReason, msg)
			if cur != nil {
				if cur.Status == corev1.ConditionTrue {
					c.LastTransitionTime = cur.LastTransitionTime
				}
				removeCondition(&st, appsv1.DeploymentProgressing)
			}
			setCondition(&st, c)
		case p.timedOut(&st):
			msg := fmt.Sprintf("Deployment %q has timed out progressing.", d.Name)
			if newRS != nil {
				msg = fmt.Sprintf("ReplicaSet %q has timed out progressing.", newRS.Name)
			}
			setCondition(&st, p.condition(appsv1.DeploymentProgressing, corev1.ConditionFalse, TimedOutReason, msg))
		}
	}
	if f := replicaFailure(allRSs, newRS); f != nil {
		setCondition(&st, *f)
	} else {
		removeCondition(&st, appsv1.DeploymentReplicaFailure)
	}
	if reflect.DeepEqual(d.Status, st) {
		p.requeueStuck(&st)
		return nil
	}
	return p.writeStatus(ctx, st)
}

func (p *pass) timedOut(st *appsv1.DeploymentStatus) bool {
	d := p.d
	if !hasProgressDeadline(d) {
		return false
	}
	c := getCondition(*st, appsv1.DeploymentProgressing)
	if c == nil || c.Reason == NewRSAvailableReason {
		return false
	}
	if c.Reason == TimedOutReason {
		return true
	}
	return c.LastUpdateTime.Add(time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second).Before(p.c.now())
}

// requeueStuck asks to come back when a rollout without progress would
// pass its deadline.
func (p *pass) requeueStuck(st *appsv1.DeploymentStatus) {
	d := p.d
	c := getCondition(d.Status, appsv1.DeploymentProgressing)
	if !hasProgressDeadline(d) || c == nil || DeploymentComplete(d, st) || c.Reason == TimedOutReason {
		return
	}
	after := c.LastUpdateTime.Add(time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second).Sub(p.c.now())
	if after < time.Second {
		p.requeue = time.Second
		return
	}
	p.requeue = after + time.Second
}

// replicaFailure lifts a ReplicaSet's ReplicaFailure condition (the new
// one's first) into the Deployment's.
func replicaFailure(allRSs []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet) *appsv1.DeploymentCondition {
	for _, rs := range append([]*appsv1.ReplicaSet{newRS}, allRSs...) {
		if rs == nil {
			continue
		}
		for _, c := range rs.Status.Conditions {
			if c.Type == appsv1.ReplicaSetReplicaFailure {
				return &appsv1.DeploymentCondition{
					Type: appsv1.DeploymentReplicaFailure, Status: c.Status, Reason: c.Reason, Message: c.Message,
					LastUpdateTime: c.LastTransitionTime, LastTransitionTime: c.LastTransitionTime,
				}
			}
		}
	}
	return nil
}
