package statefulset

import (
	"fmt"
	"regexp"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var statefulPodRegex = regexp.MustCompile(`(.*)-([0-9]+)$`)

// parentAndOrdinal splits a pod name <parent>-<ordinal>; the ordinal is -1
// when the name has none.
func parentAndOrdinal(name string) (string, int) {
	m := statefulPodRegex.FindStringSubmatch(name)
	if len(m) != 3 {
		return "", -1
	}
	i, err := strconv.ParseInt(m[2], 10, 32)
	if err != nil {
		return "", -1
	}
	return m[1], int(i)
}

// ordinalOf is the pod's ordinal, -1 if its name has none.
func ordinalOf(p *corev1.Pod) int {
	_, o := parentAndOrdinal(p.Name)
	return o
}

// isMemberOf reports whether the pod's name makes it one of set's.
func isMemberOf(set *appsv1.StatefulSet, p *corev1.Pod) bool {
	parent, _ := parentAndOrdinal(p.Name)
	return parent == set.Name
}

// PodName is the name of the pod with this ordinal.
func PodName(set *appsv1.StatefulSet, ordinal int) string {
	return fmt.Sprintf("%s-%d", set.Name, ordinal)
}

// ClaimName is the name of the claim from template tmpl for this ordinal.
func ClaimName(set *appsv1.StatefulSet, tmpl string, ordinal int) string {
	return fmt.Sprintf("%s-%s-%d", tmpl, set.Name, ordinal)
}

// startOrdinal is spec.ordinals.start (0 by default).
func startOrdinal(set *appsv1.StatefulSet) int {
	if set.Spec.Ordinals != nil {
		return int(set.Spec.Ordinals.Start)
	}
	return 0
}

func replicasOf(set *appsv1.StatefulSet) int {
	if set.Spec.Replicas == nil {
		return 1
	}
	return int(*set.Spec.Replicas)
}

// identityMatches reports whether the pod carries the identity of its
// ordinal in set.
func identityMatches(set *appsv1.StatefulSet, p *corev1.Pod) bool {
	parent, ord := parentAndOrdinal(p.Name)
	return ord >= 0 && parent == set.Name && p.Namespace == set.Namespace &&
		p.Labels[appsv1.StatefulSetPodNameLabel] == p.Name &&
		p.Labels[appsv1.PodIndexLabel] == strconv.Itoa(ord)
}

// updateIdentity sets the pod's name, namespace and identity labels.
func updateIdentity(set *appsv1.StatefulSet, p *corev1.Pod, ordinal int) {
	p.Name = PodName(set, ordinal)
	p.Namespace = set.Namespace
	if p.Labels == nil {
		p.Labels = map[string]string{}
	}
	p.Labels[appsv1.StatefulSetPodNameLabel] = p.Name
	p.Labels[appsv1.PodIndexLabel] = strconv.Itoa(ordinal)
}

// storageMatches reports whether every claim template has its volume in
// the pod, pointing at the ordinal's claim.
func storageMatches(set *appsv1.StatefulSet, p *corev1.Pod) bool {
	ord := ordinalOf(p)
	vols := map[string]corev1.Volume{}
	for _, v := range p.Spec.Volumes {
		vols[v.Name] = v
	}
	for _, t := range set.Spec.VolumeClaimTemplates {
		v, ok := vols[t.Name]
		if !ok || v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != ClaimName(set, t.Name, ord) {
			return false
		}
	}
	return true
}

// updateStorage points the pod's volumes named after claim templates at
// the ordinal's claims, adding those missing.
func updateStorage(set *appsv1.StatefulSet, p *corev1.Pod, ordinal int) {
	if len(set.Spec.VolumeClaimTemplates) == 0 {
		return
	}
	claims := map[string]corev1.Volume{}
	for _, t := range set.Spec.VolumeClaimTemplates {
		claims[t.Name] = corev1.Volume{Name: t.Name, VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: ClaimName(set, t.Name, ordinal)},
		}}
	}
	vols := make([]corev1.Volume, 0, len(p.Spec.Volumes)+len(claims))
	for _, v := range p.Spec.Volumes {
		if _, ok := claims[v.Name]; !ok {
			vols = append(vols, v)
		}
	}
	for _, t := range set.Spec.VolumeClaimTemplates {
		vols = append(vols, claims[t.Name])
	}
	p.Spec.Volumes = vols
}

// newPod is the pod for ordinal from set's template at revision rev (its
// name, the controller-revision-hash label value).
func newPod(set *appsv1.StatefulSet, rev string, ordinal int) *corev1.Pod {
	t := set.Spec.Template.DeepCopy()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Labels:          t.Labels,
			Annotations:     t.Annotations,
			Finalizers:      t.Finalizers,
			OwnerReferences: []metav1.OwnerReference{*newControllerRef(set)},
		},
		Spec: t.Spec,
	}
	updateIdentity(set, p, ordinal)
	p.Spec.Hostname = p.Name
	p.Spec.Subdomain = set.Spec.ServiceName
	updateStorage(set, p, ordinal)
	p.Labels[appsv1.StatefulSetRevisionLabel] = rev
	return p
}

// claimsFor are the claims the pod with this ordinal needs, by template:
// the template with the ordinal's name and the set's selector labels.
func claimsFor(set *appsv1.StatefulSet, ordinal int) []*corev1.PersistentVolumeClaim {
	var out []*corev1.PersistentVolumeClaim
	for i := range set.Spec.VolumeClaimTemplates {
		c := set.Spec.VolumeClaimTemplates[i].DeepCopy()
		c.Name = ClaimName(set, set.Spec.VolumeClaimTemplates[i].Name, ordinal)
		c.Namespace = set.Namespace
		c.ResourceVersion, c.UID = "", ""
		if c.Labels == nil {
			c.Labels = map[string]string{}
		}
		if set.Spec.Selector != nil {
			for k, v := range set.Spec.Selector.MatchLabels {
				c.Labels[k] = v
			}
		}
		c.Status = corev1.PersistentVolumeClaimStatus{}
		out = append(out, c)
	}
	return out
}

func podRevision(p *corev1.Pod) string { return p.Labels[appsv1.StatefulSetRevisionLabel] }
