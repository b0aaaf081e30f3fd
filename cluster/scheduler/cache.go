package scheduler

import (
	"sort"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// podCache is the scheduler's view of nodes and the pods on them, kept by
// the informers' events rather than rebuilt per cycle, as kube-scheduler's
// cache: each node's aggregated requests and ports, each pod's requests
// computed once, pods assumed on a node while their Binding is in flight.
// A scheduling cycle runs with mu held and reads the nodeInfos in place.
type podCache struct {
	mu     sync.Mutex
	nodes  map[string]*nodeInfo // node == nil: pods bound to a node not seen (yet)
	sorted []*nodeInfo          // nodes known, by name; nil when it must be rebuilt
	pods   map[types.UID]*cachedPod
	// nextStart is where the next cycle's search for feasible nodes begins.
	nextStart int
}

// cachedPod is a pod counted on a node.
type cachedPod struct {
	pod     *corev1.Pod
	node    string
	assumed bool // placed by this scheduler, not yet seen bound by the informer
	req     podUsage
}

func newPodCache() *podCache {
	return &podCache{nodes: map[string]*nodeInfo{}, pods: map[types.UID]*cachedPod{}}
}

// setNode adds or updates a node.
func (c *podCache) setNode(n *corev1.Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ni := c.nodes[n.Name]
	if ni == nil {
		ni = newNodeInfo(nil)
		c.nodes[n.Name] = ni
	}
	if ni.node == nil {
		c.sorted = nil
	}
	ni.setNode(n)
}

func (c *podCache) deleteNode(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ni := c.nodes[name]
	if ni == nil {
		return
	}
	c.sorted = nil
	if len(ni.pods) == 0 {
		delete(c.nodes, name)
		return
	}
	ni.node = nil // its pods stay counted until they go
}

// updatePod follows a pod seen by the informer: a bound, non-terminal pod
// counts on its node (replacing its assumed copy); one that ended or went
// is dropped. An assumed pod the informer still shows unbound stays.
func (c *podCache) updatePod(p *corev1.Pod) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cur := c.pods[p.UID]
	if p.Spec.NodeName == "" && !terminal(p) {
		if cur != nil && !cur.assumed {
			c.removeLocked(cur)
		}
		return
	}
	if cur != nil {
		c.removeLocked(cur)
	}
	if !terminal(p) {
		c.addLocked(p, p.Spec.NodeName, false)
	}
}

func (c *podCache) deletePod(uid types.UID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur := c.pods[uid]; cur != nil {
		c.removeLocked(cur)
	}
}

// assumeLocked counts pod on node before its Binding is posted; c.mu is held.
func (c *podCache) assumeLocked(pod *corev1.Pod, node string) {
	if cur := c.pods[pod.UID]; cur != nil {
		c.removeLocked(cur)
	}
	a := pod.DeepCopy()
	a.Spec.NodeName = node
	c.addLocked(a, node, true)
}

// forget drops an assumption whose Binding failed.
func (c *podCache) forget(uid types.UID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur := c.pods[uid]; cur != nil && cur.assumed {
		c.removeLocked(cur)
	}
}

func (c *podCache) isAssumed(uid types.UID) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	cur := c.pods[uid]
	return cur != nil && cur.assumed
}

func (c *podCache) addLocked(p *corev1.Pod, node string, assumed bool) {
	ni := c.nodes[node]
	if ni == nil {
		ni = newNodeInfo(nil)
		c.nodes[node] = ni
	}
	cp := &cachedPod{pod: p, node: node, assumed: assumed, req: usageOf(p)}
	c.pods[p.UID] = cp
	ni.add(p, cp.req)
}

func (c *podCache) removeLocked(cp *cachedPod) {
	delete(c.pods, cp.pod.UID)
	ni := c.nodes[cp.node]
	if ni == nil {
		return
	}
	ni.remove(cp.pod, cp.req)
	if ni.node == nil && len(ni.pods) == 0 {
		delete(c.nodes, cp.node)
	}
}

// nodesLocked is the known nodes sorted by name; c.mu is held, and the
// infos may only be read while it is.
func (c *podCache) nodesLocked() []*nodeInfo {
	if c.sorted == nil {
		c.sorted = make([]*nodeInfo, 0, len(c.nodes))
		for _, ni := range c.nodes {
			if ni.node != nil {
				c.sorted = append(c.sorted, ni)
			}
		}
		sort.Slice(c.sorted, func(i, j int) bool { return c.sorted[i].node.Name < c.sorted[j].node.Name })
	}
	return c.sorted
}
