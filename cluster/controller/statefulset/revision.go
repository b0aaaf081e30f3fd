package statefulset

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/rand"
)

// hashLabel is the label carrying a ControllerRevision's hash
// (history.ControllerRevisionHashLabel).
const hashLabel = "controller.kubernetes.io/hash"

// revisionPatch is what a StatefulSet's ControllerRevision records: its
// template, as a strategic merge patch replacing spec.template.
type revisionPatch struct {
	Spec struct {
		Template json.RawMessage `json:"template"`
	} `json:"spec"`
}

// patchOf is the revision data of set's template, as Kubernetes' getPatch:
// {"spec":{"template":{...,"$patch":"replace"}}}.
func patchOf(set *appsv1.StatefulSet) ([]byte, error) {
	b, err := json.Marshal(set.Spec.Template)
	if err != nil {
		return nil, err
	}
	var t map[string]any
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, err
	}
	t["$patch"] = "replace"
	return json.Marshal(map[string]any{"spec": map[string]any{"template": t}})
}

// hashRevision is history.HashControllerRevision: fnv32a of the data and
// the collision count, safe-encoded.
func hashRevision(raw []byte, collisionCount *int32) string {
	h := fnv.New32a()
	h.Write(raw)
	if collisionCount != nil {
		b := make([]byte, 8)
		binary.LittleEndian.PutUint32(b, uint32(*collisionCount))
		h.Write(b)
	}
	return rand.SafeEncodeString(fmt.Sprint(h.Sum32()))
}

// newRevision is the ControllerRevision of set's current template with
// number revision, named <set>-<hash>.
func newRevision(set *appsv1.StatefulSet, revision int64, collisionCount *int32) (*appsv1.ControllerRevision, error) {
	raw, err := patchOf(set)
	if err != nil {
		return nil, fmt.Errorf("encode template of stateful set %s: %w", set.Name, err)
	}
	hash := hashRevision(raw, collisionCount)
	lbls := map[string]string{}
	for k, v := range set.Spec.Template.Labels {
		lbls[k] = v
	}
	lbls[hashLabel] = hash
	prefix := set.Name
	if len(prefix) > 223 {
		prefix = prefix[:223]
	}
	return &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{
			Name: prefix + "-" + hash, Namespace: set.Namespace, Labels: lbls,
			OwnerReferences: []metav1.OwnerReference{*newControllerRef(set)},
		},
		Data:     runtime.RawExtension{Raw: raw},
		Revision: revision,
	}, nil
}

// templateOf decodes a revision's template.
func templateOf(rev *appsv1.ControllerRevision) (*corev1.PodTemplateSpec, error) {
	var p revisionPatch
	if err := json.Unmarshal(rev.Data.Raw, &p); err != nil {
		return nil, fmt.Errorf("decode controller revision %s: %w", rev.Name, err)
	}
	var t corev1.PodTemplateSpec
	if err := json.Unmarshal(p.Spec.Template, &t); err != nil {
		return nil, fmt.Errorf("decode template of controller revision %s: %w", rev.Name, err)
	}
	return &t, nil
}

// applyRevision is set with the template rev recorded.
func applyRevision(set *appsv1.StatefulSet, rev *appsv1.ControllerRevision) (*appsv1.StatefulSet, error) {
	t, err := templateOf(rev)
	if err != nil {
		return nil, err
	}
	out := set.DeepCopy()
	out.Spec.Template = *t
	return out, nil
}

// equalRevision reports whether two revisions record the same template.
func equalRevision(a, b *appsv1.ControllerRevision) bool {
	ta, err1 := templateOf(a)
	tb, err2 := templateOf(b)
	return err1 == nil && err2 == nil && apiequality.Semantic.DeepEqual(ta, tb)
}

// sortRevisions orders revisions by number, then creation, then name.
func sortRevisions(revs []*appsv1.ControllerRevision) {
	sort.SliceStable(revs, func(i, j int) bool {
		a, b := revs[i], revs[j]
		if a.Revision != b.Revision {
			return a.Revision < b.Revision
		}
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return a.CreationTimestamp.Before(&b.CreationTimestamp)
		}
		return a.Name < b.Name
	})
}

// nextRevision is one more than the highest revision number in sorted revs.
func nextRevision(revs []*appsv1.ControllerRevision) int64 {
	if len(revs) == 0 {
		return 1
	}
	return revs[len(revs)-1].Revision + 1
}

// historyToDelete returns the revisions beyond limit to delete, oldest
// first, never one a live pod uses nor current or update.
func historyToDelete(revs []*appsv1.ControllerRevision, pods []*corev1.Pod, current, update string, limit int) []*appsv1.ControllerRevision {
	live := map[string]bool{current: true, update: true}
	for _, p := range pods {
		live[podRevision(p)] = true
	}
	var old []*appsv1.ControllerRevision
	for _, r := range revs {
		if !live[r.Name] {
			old = append(old, r)
		}
	}
	if n := len(old) - limit; n > 0 {
		return old[:n]
	}
	return nil
}
