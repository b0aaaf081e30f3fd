package proxy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// DefaultTable is the nftables table (ip family) the proxy owns.
const DefaultTable = "mini-proxy"

// Fixed chains and maps of the table.
const (
	chNatPrerouting   = "nat-prerouting"
	chNatOutput       = "nat-output"
	chNatPostrouting  = "nat-postrouting"
	chServices        = "services"
	chMarkMasq        = "mark-for-masquerade"
	chMasquerading    = "masquerading"
	chFilterInput     = "filter-input"
	chFilterForward   = "filter-forward"
	chFilterOutput    = "filter-output"
	chFilterOutPost   = "filter-output-post-dnat"
	chEndpointsCheck  = "service-endpoints-check"
	chClusterIPsCheck = "cluster-ips-check"
	chReject          = "reject-chain"

	mapServiceIPs     = "service-ips"
	mapNodePorts      = "service-nodeports"
	mapNoEndpointIPs  = "no-endpoint-services"
	mapNoEndpointNPs  = "no-endpoint-nodeports"
	setClusterIPs     = "cluster-ips"
	affinitySetPrefix = "affinity-"
)

// Priorities of the base chains, as kube-proxy's.
var (
	prioFilterPre  = nftables.ChainPriorityRef(-110)
	prioFilterPost = nftables.ChainPriorityRef(-90)
)

// Write programs plan into table in one atomic batch. With fresh, the
// table is deleted first (after an agent restart nothing of the old
// rules is trusted); otherwise all chains are rewritten, stale chains and
// affinity sets deleted, and live affinity sets kept with their clients.
func Write(table string, plan Plan, fresh bool) error {
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("open nftables: %w", err)
	}
	t := &nftables.Table{Name: table, Family: nftables.TableFamilyIPv4}
	var oldChains []*nftables.Chain
	var oldSets []*nftables.Set
	if !fresh {
		if oldChains, oldSets, err = listTable(c, t); err != nil {
			return err
		}
	}
	c.AddTable(t)
	if fresh {
		c.DelTable(t)
		c.AddTable(t)
	}
	b := &batch{c: c, t: t, chains: map[string]*nftables.Chain{}, sets: map[string]*nftables.Set{}, affinity: map[string]string{}}
	b.clear(plan, oldChains, oldSets)
	if err := b.build(plan); err != nil {
		return fmt.Errorf("prepare nftables table %s: %w", table, err)
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("write nftables table %s (%d service ports, %d endpoints): %w", table, len(plan.Services), len(plan.Endpoints), err)
	}
	return nil
}

// Delete removes table, if it exists.
func Delete(table string) error {
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("open nftables: %w", err)
	}
	t := &nftables.Table{Name: table, Family: nftables.TableFamilyIPv4}
	c.AddTable(t)
	c.DelTable(t)
	if err := c.Flush(); err != nil {
		return fmt.Errorf("delete nftables table %s: %w", table, err)
	}
	return nil
}

// listTable lists table's chains and named sets (none if it is missing).
func listTable(c *nftables.Conn, t *nftables.Table) ([]*nftables.Chain, []*nftables.Set, error) {
	all, err := c.ListChainsOfTableFamily(nftables.TableFamilyIPv4)
	if err != nil {
		return nil, nil, fmt.Errorf("list nftables chains: %w", err)
	}
	var chains []*nftables.Chain
	for _, ch := range all {
		if ch.Table != nil && ch.Table.Name == t.Name {
			chains = append(chains, ch)
		}
	}
	if len(chains) == 0 {
		return nil, nil, nil
	}
	sets, err := c.GetSets(t)
	if err != nil && !errors.Is(err, unix.ENOENT) {
		return nil, nil, fmt.Errorf("list sets of nftables table %s: %w", t.Name, err)
	}
	var named []*nftables.Set
	for _, s := range sets {
		if !s.Anonymous && !strings.HasPrefix(s.Name, "__") {
			s.Table = t
			named = append(named, s)
		}
	}
	return chains, named, nil
}

// batch queues the messages of one Write.
type batch struct {
	c      *nftables.Conn
	t      *nftables.Table
	chains map[string]*nftables.Chain
	sets   map[string]*nftables.Set
	// affinity maps an endpoint chain to its affinity set.
	affinity map[string]string
}

// clear empties every old chain and map and deletes what plan no longer
// has: rules first (they hold references), then map elements, then
// stale affinity sets and chains.
func (b *batch) clear(plan Plan, oldChains []*nftables.Chain, oldSets []*nftables.Set) {
	want := map[string]bool{}
	for _, n := range fixedChains() {
		want[n.Name] = true
	}
	for _, n := range planChains(plan) {
		want[n] = true
	}
	keepSets := map[string]bool{}
	for _, ep := range plan.Endpoints {
		if ep.AffinitySet != "" {
			keepSets[ep.AffinitySet] = true
		}
	}
	for _, ch := range oldChains {
		b.c.FlushChain(ch)
	}
	for _, s := range oldSets {
		switch {
		case strings.HasPrefix(s.Name, affinitySetPrefix):
			if !keepSets[s.Name] {
				b.c.DelSet(s)
			}
		default:
			b.c.FlushSet(s)
		}
	}
	for _, ch := range oldChains {
		if !want[ch.Name] {
			b.c.DelChain(ch)
		}
	}
}

func planChains(p Plan) []string {
	var names []string
	for _, s := range p.Services {
		names = append(names, s.Name)
	}
	for _, e := range p.Externals {
		names = append(names, e.Name)
	}
	for _, e := range p.Endpoints {
		names = append(names, e.Name)
	}
	return names
}

// fixedChains are the chains every plan has; base chains carry a hook.
func fixedChains() []*nftables.Chain {
	accept := nftables.ChainPolicyAccept
	nat := func(name string, hook *nftables.ChainHook, prio *nftables.ChainPriority) *nftables.Chain {
		return &nftables.Chain{Name: name, Type: nftables.ChainTypeNAT, Hooknum: hook, Priority: prio}
	}
	filter := func(name string, hook *nftables.ChainHook, prio *nftables.ChainPriority) *nftables.Chain {
		return &nftables.Chain{Name: name, Type: nftables.ChainTypeFilter, Hooknum: hook, Priority: prio, Policy: &accept}
	}
	return []*nftables.Chain{
		nat(chNatPrerouting, nftables.ChainHookPrerouting, nftables.ChainPriorityNATDest),
		nat(chNatOutput, nftables.ChainHookOutput, nftables.ChainPriorityNATDest),
		nat(chNatPostrouting, nftables.ChainHookPostrouting, nftables.ChainPriorityNATSource),
		filter(chFilterInput, nftables.ChainHookInput, prioFilterPre),
		filter(chFilterForward, nftables.ChainHookForward, prioFilterPre),
		filter(chFilterOutput, nftables.ChainHookOutput, prioFilterPre),
		filter(chFilterOutPost, nftables.ChainHookOutput, prioFilterPost),
		{Name: chServices}, {Name: chMarkMasq}, {Name: chMasquerading},
		{Name: chEndpointsCheck}, {Name: chClusterIPsCheck}, {Name: chReject},
	}
}

func (b *batch) chain(name string) *nftables.Chain { return b.chains[name] }

func (b *batch) rule(chain string, e ...expr.Any) {
	b.c.AddRule(&nftables.Rule{Table: b.t, Chain: b.chain(chain), Exprs: e})
}

// build queues the chains, maps and rules of plan.
func (b *batch) build(p Plan) error {
	for _, ch := range fixedChains() {
		ch.Table = b.t
		b.chains[ch.Name] = b.c.AddChain(ch)
	}
	for _, n := range planChains(p) {
		b.chains[n] = b.c.AddChain(&nftables.Chain{Name: n, Table: b.t})
	}
	if err := b.maps(p); err != nil {
		return err
	}
	b.fixedRules()
	for _, s := range p.Services {
		if err := b.serviceRules(s); err != nil {
			return err
		}
	}
	for _, e := range p.Externals {
		b.rule(e.Name, verdict(expr.VerdictJump, chMarkMasq))
		b.rule(e.Name, verdict(expr.VerdictGoto, e.Service))
	}
	for _, e := range p.Endpoints {
		b.rule(e.Name, append(matchPrefix(offSaddr, e.MasqueradeFrom, expr.CmpOpEq), verdict(expr.VerdictJump, chMarkMasq))...)
		if e.AffinitySet != "" {
			s := b.sets[e.AffinitySet]
			b.rule(e.Name, loadAddr(offSaddr, reg1),
				&expr.Dynset{SrcRegKey: reg1, SetName: s.Name, SetID: s.ID, Operation: unix.NFT_DYNSET_OP_UPDATE, Timeout: e.AffinityTimeout})
		}
		b.rule(e.Name, dnat(e.Proto, e.IP, e.Port)...)
	}
	return nil
}

// maps queues the named maps and sets with their elements.
func (b *batch) maps(p Plan) error {
	ipProtoPort := nftables.MustConcatSetType(nftables.TypeIPAddr, nftables.TypeInetProto, nftables.TypeInetService)
	protoPort := nftables.MustConcatSetType(nftables.TypeInetProto, nftables.TypeInetService)
	vmap := func(name string, key nftables.SetDatatype, elems []MapElem, keyOf func(MapElem) []byte, to func(MapElem) string) error {
		s := &nftables.Set{Table: b.t, Name: name, IsMap: true, Concatenation: true, KeyType: key, DataType: nftables.TypeVerdict}
		vals := make([]nftables.SetElement, 0, len(elems))
		for _, e := range elems {
			vals = append(vals, nftables.SetElement{Key: keyOf(e), VerdictData: verdict(expr.VerdictGoto, to(e))})
		}
		b.sets[name] = s
		if err := b.c.AddSet(s, vals); err != nil {
			return fmt.Errorf("map %s: %w", name, err)
		}
		return nil
	}
	target := func(e MapElem) string { return e.Chain }
	reject := func(MapElem) string { return chReject }
	if err := vmap(mapServiceIPs, ipProtoPort, p.ServiceIPs, ipProtoPortKey, target); err != nil {
		return err
	}
	if err := vmap(mapNodePorts, protoPort, p.NodePorts, protoPortKey, target); err != nil {
		return err
	}
	if err := vmap(mapNoEndpointIPs, ipProtoPort, p.NoEndpointIPs, ipProtoPortKey, reject); err != nil {
		return err
	}
	if err := vmap(mapNoEndpointNPs, protoPort, p.NoEndpointNodePorts, protoPortKey, reject); err != nil {
		return err
	}
	cips := &nftables.Set{Table: b.t, Name: setClusterIPs, KeyType: nftables.TypeIPAddr}
	var vals []nftables.SetElement
	for _, ip := range p.ClusterIPs {
		vals = append(vals, nftables.SetElement{Key: ip.AsSlice()})
	}
	b.sets[setClusterIPs] = cips
	if err := b.c.AddSet(cips, vals); err != nil {
		return fmt.Errorf("set %s: %w", setClusterIPs, err)
	}
	for _, e := range p.Endpoints {
		if e.AffinitySet == "" {
			continue
		}
		b.affinity[e.Name] = e.AffinitySet
		s := &nftables.Set{Table: b.t, Name: e.AffinitySet, KeyType: nftables.TypeIPAddr, HasTimeout: true, Dynamic: true}
		b.sets[s.Name] = s
		if err := b.c.AddSet(s, nil); err != nil {
			return fmt.Errorf("set %s: %w", s.Name, err)
		}
	}
	return nil
}

// fixedRules queues the rules of the fixed chains.
func (b *batch) fixedRules() {
	b.rule(chNatPrerouting, verdict(expr.VerdictJump, chServices))
	b.rule(chNatOutput, verdict(expr.VerdictJump, chServices))
	b.rule(chNatPostrouting, verdict(expr.VerdictJump, chMasquerading))
	svcIPs, nodePorts := b.sets[mapServiceIPs], b.sets[mapNodePorts]
	b.rule(chServices, append(loadIPProtoPort(), vmapLookup(svcIPs.Name, svcIPs.ID))...)
	b.rule(chServices, append(append(localNonLoopback(), loadProtoPort()...), vmapLookup(nodePorts.Name, nodePorts.ID))...)
	b.rule(chMarkMasq, setMarkOr()...)
	for _, r := range masqueradeRules() {
		b.rule(chMasquerading, r...)
	}
	jumpIfNew := func(from, to string) { b.rule(from, append(ctNew(), verdict(expr.VerdictJump, to))...) }
	jumpIfNew(chFilterInput, chEndpointsCheck)
	jumpIfNew(chFilterForward, chEndpointsCheck)
	jumpIfNew(chFilterForward, chClusterIPsCheck)
	jumpIfNew(chFilterOutput, chEndpointsCheck)
	jumpIfNew(chFilterOutPost, chClusterIPsCheck)
	noIPs, noNPs := b.sets[mapNoEndpointIPs], b.sets[mapNoEndpointNPs]
	b.rule(chEndpointsCheck, append(loadIPProtoPort(), vmapLookup(noIPs.Name, noIPs.ID))...)
	b.rule(chEndpointsCheck, append(append(localNonLoopback(), loadProtoPort()...), vmapLookup(noNPs.Name, noNPs.ID))...)
	cips := b.sets[setClusterIPs]
	b.rule(chClusterIPsCheck, loadAddr(offDaddr, reg1), &expr.Lookup{SourceRegister: reg1, SetName: cips.Name, SetID: cips.ID},
		&expr.Counter{}, &expr.Reject{Type: unix.NFT_REJECT_ICMP_UNREACH, Code: icmpPortUnreachable})
	b.rule(chReject, &expr.Counter{}, &expr.Reject{Type: unix.NFT_REJECT_ICMP_UNREACH, Code: icmpPortUnreachable})
}

// serviceRules queues a service chain: masquerade marking for traffic
// from outside the cluster's pods, affinity, then the random pick.
func (b *batch) serviceRules(s ServiceChain) error {
	n := len(s.Endpoints)
	if n == 0 {
		return fmt.Errorf("service chain %s has no endpoints", s.Name)
	}
	if s.MasqueradeNotFrom.IsValid() && s.ClusterIP.IsValid() {
		e := matchAddr(offDaddr, s.ClusterIP)
		e = append(e, matchProtoPort(s.Proto, s.Port)...)
		e = append(e, matchPrefix(offSaddr, s.MasqueradeNotFrom, expr.CmpOpNeq)...)
		b.rule(s.Name, append(e, verdict(expr.VerdictJump, chMarkMasq))...)
	}
	if s.Affinity {
		for _, ep := range s.Endpoints {
			set := b.sets[b.affinity[ep]]
			if set == nil {
				return fmt.Errorf("service chain %s: no affinity set for %s", s.Name, ep)
			}
			b.rule(s.Name, loadAddr(offSaddr, reg1), &expr.Lookup{SourceRegister: reg1, SetName: set.Name, SetID: set.ID},
				verdict(expr.VerdictGoto, ep))
		}
	}
	pick := &nftables.Set{Table: b.t, Anonymous: true, Constant: true, IsMap: true, KeyType: nftables.TypeInteger, DataType: nftables.TypeVerdict}
	vals := make([]nftables.SetElement, n)
	for i, ep := range s.Endpoints {
		vals[i] = nftables.SetElement{Key: binaryutil.NativeEndian.PutUint32(uint32(i)), VerdictData: verdict(expr.VerdictGoto, ep)}
	}
	if err := b.c.AddSet(pick, vals); err != nil {
		return fmt.Errorf("endpoint map of %s: %w", s.Name, err)
	}
	b.rule(s.Name, &expr.Numgen{Register: reg1, Modulus: uint32(n), Type: unix.NFT_NG_RANDOM}, vmapLookup(pick.Name, pick.ID))
	return nil
}

// icmpPortUnreachable is ICMP destination-unreachable code 3, what
// kube-proxy's reject sends (TCP clients see connection refused).
const icmpPortUnreachable = 3
