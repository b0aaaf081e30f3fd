package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/minidev/mini/cluster/controller/volumebinding"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"
)

// errWaitForVolumes says a pod's claims are being bound on its node.
var errWaitForVolumes = errors.New("waiting for the pod's volumes to be bound")

// volumeWait is how soon a pod waiting for its claims is tried again when
// no claim update comes first.
const volumeWait = 5 * time.Second

// watchVolumes adds the claim, volume and class informers: a claim that
// changes sends its pending pods round again, a new claim or volume can
// make an unschedulable pod fit.
func (s *Scheduler) watchVolumes() {
	pvcs, pvs := s.factory.Core().V1().PersistentVolumeClaims(), s.factory.Core().V1().PersistentVolumes()
	classes := s.factory.Storage().V1().StorageClasses()
	s.pvcs, s.pvs, s.classes = pvcs.Lister(), pvs.Lister(), classes.Lister()
	_, _ = pvcs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { s.claimChanged(obj.(*corev1.PersistentVolumeClaim)) },
		UpdateFunc: func(_, obj any) { s.claimChanged(obj.(*corev1.PersistentVolumeClaim)) },
	})
	_, _ = pvs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { s.retryUnschedulable() },
		UpdateFunc: func(any, any) { s.retryUnschedulable() },
	})
	_, _ = classes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: func(any) { s.retryUnschedulable() }})
}

// claimChanged enqueues the pending pods that use the claim.
func (s *Scheduler) claimChanged(claim *corev1.PersistentVolumeClaim) {
	pods, err := s.pods.Pods(claim.Namespace).List(labels.Everything())
	if err != nil {
		return
	}
	for _, p := range pods {
		if !responsible(p) {
			continue
		}
		for _, v := range p.Spec.Volumes {
			if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == claim.Name {
				s.loop.Enqueue(p)
				break
			}
		}
	}
}

// volumeLookup reads claims, volumes and classes from the informers.
func (s *Scheduler) volumeLookup() volumeLookup {
	return volumeLookup{
		claim: func(ns, name string) *corev1.PersistentVolumeClaim {
			c, _ := s.pvcs.PersistentVolumeClaims(ns).Get(name)
			return c
		},
		volume: func(name string) *corev1.PersistentVolume {
			v, _ := s.pvs.Get(name)
			return v
		},
		class: func(name string) *storagev1.StorageClass {
			c, _ := s.classes.Get(name)
			return c
		},
		all: func() []*corev1.PersistentVolume {
			pvs, _ := s.pvs.List(labels.Everything())
			return pvs
		},
	}
}

// bindVolumes is the VolumeBinding plugin's PreBind: a static volume is
// pre-bound to its claim (spec.claimRef), other claims get the chosen node
// in volume.kubernetes.io/selected-node for the provisioner. The PV
// controller then binds; the pod waits (errWaitForVolumes).
func (s *Scheduler) bindVolumes(ctx context.Context, pod *corev1.Pod, node *corev1.Node, actions []volumeAction) error {
	for _, a := range actions {
		key := a.claim.Namespace + "/" + a.claim.Name
		if a.pv != nil {
			if volumebinding.BoundTo(a.pv, a.claim) {
				continue
			}
			pv := a.pv.DeepCopy()
			pv.Spec.ClaimRef = &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1",
				Namespace: a.claim.Namespace, Name: a.claim.Name, UID: a.claim.UID, ResourceVersion: a.claim.ResourceVersion}
			if pv.Annotations == nil {
				pv.Annotations = map[string]string{}
			}
			pv.Annotations[volumebinding.AnnBoundByController] = "yes"
			if _, err := s.cfg.Client.CoreV1().PersistentVolumes().Update(ctx, pv, metav1.UpdateOptions{}); err != nil {
				return fmt.Errorf("pre-bind persistentvolume %s to claim %s for pod %s/%s: %w", pv.Name, key, pod.Namespace, pod.Name, err)
			}
			s.log.Info("Pre-bound volume", "pod", pod.Namespace+"/"+pod.Name, "claim", key, "pv", pv.Name, "node", node.Name)
			continue
		}
		if a.claim.Annotations[volumebinding.AnnSelectedNode] == node.Name {
			continue
		}
		claim := a.claim.DeepCopy()
		if claim.Annotations == nil {
			claim.Annotations = map[string]string{}
		}
		claim.Annotations[volumebinding.AnnSelectedNode] = node.Name
		if _, err := s.cfg.Client.CoreV1().PersistentVolumeClaims(claim.Namespace).Update(ctx, claim, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("select node %s for claim %s of pod %s/%s: %w", node.Name, key, pod.Namespace, pod.Name, err)
		}
		s.log.Info("Selected node for claim", "pod", pod.Namespace+"/"+pod.Name, "claim", key, "node", node.Name)
	}
	return errWaitForVolumes
}
