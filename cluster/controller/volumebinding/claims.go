package volumebinding

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

var everything = labels.Everything()

// Event messages, as Kubernetes words them.
const (
	msgWaitForConsumer = "waiting for first consumer to be created before binding"
	msgNoClass         = "no persistent volumes available for this claim and no storage class is set"
	msgNoVolume        = "no persistent volumes available for this claim"
	msgExternal        = "Waiting for a volume to be created either by the external provisioner '%s' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered."
)

func (c *Controller) syncClaim(ctx context.Context, ns, name string) error {
	claim, err := c.claims.PersistentVolumeClaims(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if claim.DeletionTimestamp != nil {
		return nil
	}
	if claim.Spec.VolumeName == "" {
		return c.syncUnboundClaim(ctx, claim)
	}
	return c.syncBoundClaim(ctx, claim)
}

// syncUnboundClaim binds a pending claim to a matching volume, or has one
// provisioned, or says in an Event what it waits for.
func (c *Controller) syncUnboundClaim(ctx context.Context, claim *corev1.PersistentVolumeClaim) error {
	className := ClaimClass(claim)
	var class *storagev1.StorageClass
	var classErr error
	if className != "" {
		class, classErr = c.classes.Get(className)
	}
	delay := DelayBinding(class)
	var node *corev1.Node
	if sel := claim.Annotations[AnnSelectedNode]; sel != "" {
		if n, err := c.nodes.Get(sel); err == nil {
			node = n
		}
	}
	pvs, err := c.volumes.List(everything)
	if err != nil {
		return err
	}
	if pv := FindMatch(claim, pvs, node, delay); pv != nil {
		return c.bind(ctx, pv, claim)
	}
	switch {
	case className == "":
		c.rec.Event(claim, corev1.EventTypeNormal, "FailedBinding", msgNoClass)
		return nil
	case classErr != nil:
		c.rec.Event(claim, corev1.EventTypeWarning, "ProvisioningFailed", fmt.Sprintf("storageclass.storage.k8s.io %q not found", className))
		return nil
	case !CanProvision(class):
		c.rec.Event(claim, corev1.EventTypeNormal, "FailedBinding", msgNoVolume)
		return nil
	case delay && node == nil:
		c.rec.Event(claim, corev1.EventTypeNormal, "WaitForFirstConsumer", msgWaitForConsumer)
		return nil
	case class.Provisioner != Provisioner:
		if err := c.setProvisioner(ctx, claim, class.Provisioner); err != nil {
			return err
		}
		c.rec.Event(claim, corev1.EventTypeNormal, "ExternalProvisioning", fmt.Sprintf(msgExternal, class.Provisioner))
		return nil
	}
	nodeName := ""
	if node != nil {
		nodeName = node.Name
	} else if nodeName = c.pickNode(); nodeName == "" {
		c.rec.Event(claim, corev1.EventTypeWarning, "ProvisioningFailed", "no Ready node to provision a local volume on")
		return nil
	}
	return c.provision(ctx, claim, class, nodeName)
}

// syncBoundClaim completes or checks the binding of a claim that names
// its volume.
func (c *Controller) syncBoundClaim(ctx context.Context, claim *corev1.PersistentVolumeClaim) error {
	pv, err := c.volume(ctx, claim.Spec.VolumeName)
	if err != nil {
		return err
	}
	switch {
	case pv == nil:
		if claim.Status.Phase != corev1.ClaimLost {
			c.rec.Event(claim, corev1.EventTypeWarning, "ClaimLost", "Bound claim has lost reference to PersistentVolume. Data on the volume is lost!")
			return c.setClaimPhase(ctx, claim, corev1.ClaimLost)
		}
		return nil
	case pv.Spec.ClaimRef == nil || BoundTo(pv, claim):
		return c.bind(ctx, pv, claim)
	default:
		if claim.Status.Phase != corev1.ClaimLost {
			c.rec.Event(claim, corev1.EventTypeWarning, "ClaimMisbound", "Two claims are bound to the same volume, this one is bound incorrectly")
			return c.setClaimPhase(ctx, claim, corev1.ClaimLost)
		}
		return nil
	}
}

// volume reads a PV from the informer, then from the API (a volume just
// made may not be in the cache yet); nil when it does not exist.
func (c *Controller) volume(ctx context.Context, name string) (*corev1.PersistentVolume, error) {
	pv, err := c.volumes.Get(name)
	if err == nil {
		return pv, nil
	}
	if !apierrors.IsNotFound(err) {
		return nil, err
	}
	pv, err = c.client.CoreV1().PersistentVolumes().Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get persistentvolume %s: %w", name, err)
	}
	return pv, nil
}

// pickNode is where an Immediate claim's volume goes: the first Ready,
// schedulable real node by name (simulated nodes have no disk).
func (c *Controller) pickNode() string {
	nodes, err := c.nodes.List(everything)
	if err != nil {
		return ""
	}
	best := ""
	for _, n := range nodes {
		if n.Labels["mini.dev/node"] == "simulated" || n.Spec.Unschedulable || !nodeReady(n) {
			continue
		}
		if best == "" || n.Name < best {
			best = n.Name
		}
	}
	return best
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func (c *Controller) setClaimPhase(ctx context.Context, claim *corev1.PersistentVolumeClaim, phase corev1.PersistentVolumeClaimPhase) error {
	cl := claim.DeepCopy()
	cl.Status.Phase = phase
	if _, err := c.client.CoreV1().PersistentVolumeClaims(cl.Namespace).UpdateStatus(ctx, cl, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("set phase %s on persistentvolumeclaim %s/%s: %w", phase, cl.Namespace, cl.Name, err)
	}
	return nil
}

// setProvisioner annotates the claim with the provisioner expected to
// make its volume, as the PV controller does before provisioning.
func (c *Controller) setProvisioner(ctx context.Context, claim *corev1.PersistentVolumeClaim, provisioner string) error {
	if claim.Annotations[AnnStorageProvisioner] == provisioner && claim.Annotations[AnnBetaStorageProvisioner] == provisioner {
		return nil
	}
	cl := claim.DeepCopy()
	if cl.Annotations == nil {
		cl.Annotations = map[string]string{}
	}
	cl.Annotations[AnnStorageProvisioner] = provisioner
	cl.Annotations[AnnBetaStorageProvisioner] = provisioner
	if _, err := c.client.CoreV1().PersistentVolumeClaims(cl.Namespace).Update(ctx, cl, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("annotate persistentvolumeclaim %s/%s with its provisioner: %w", cl.Namespace, cl.Name, err)
	}
	return nil
}
