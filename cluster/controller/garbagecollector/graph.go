package garbagecollector

import (
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// ref names one object of one resource.
type ref struct {
	gvr       schema.GroupVersionResource
	namespace string
	name      string
}

// graph indexes objects by UID and dependents by owner UID.
type graph struct {
	mu         sync.Mutex
	byUID      map[types.UID]ref
	dependents map[types.UID]map[types.UID]ref // owner UID -> dependent UID -> dependent
	owners     map[types.UID][]types.UID       // dependent UID -> its owners' UIDs
}

func newGraph() *graph {
	return &graph{byUID: map[types.UID]ref{}, dependents: map[types.UID]map[types.UID]ref{}, owners: map[types.UID][]types.UID{}}
}

// upsert records obj and its owner references.
func (g *graph) upsert(r ref, obj metav1.Object) {
	g.mu.Lock()
	defer g.mu.Unlock()
	uid := obj.GetUID()
	g.removeOwnersLocked(uid)
	g.byUID[uid] = r
	var owners []types.UID
	for _, o := range obj.GetOwnerReferences() {
		if g.dependents[o.UID] == nil {
			g.dependents[o.UID] = map[types.UID]ref{}
		}
		g.dependents[o.UID][uid] = r
		owners = append(owners, o.UID)
	}
	g.owners[uid] = owners
}

// remove forgets an object; it returns its dependents, whose owner just went.
func (g *graph) remove(uid types.UID) []ref {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.removeOwnersLocked(uid)
	delete(g.byUID, uid)
	return g.dependentsLocked(uid)
}

func (g *graph) removeOwnersLocked(uid types.UID) {
	for _, o := range g.owners[uid] {
		delete(g.dependents[o], uid)
		if len(g.dependents[o]) == 0 {
			delete(g.dependents, o)
		}
	}
	delete(g.owners, uid)
}

// dependentsOf lists the objects naming owner in their ownerReferences.
func (g *graph) dependentsOf(owner types.UID) []ref {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.dependentsLocked(owner)
}

func (g *graph) dependentsLocked(owner types.UID) []ref {
	var out []ref
	for _, r := range g.dependents[owner] {
		out = append(out, r)
	}
	return out
}

// lookup finds an object by UID.
func (g *graph) lookup(uid types.UID) (ref, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	r, ok := g.byUID[uid]
	return r, ok
}
