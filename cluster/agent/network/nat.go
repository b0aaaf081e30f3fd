package network

import (
	"fmt"
	"net"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// TableName is the nftables table (ip family) holding mini's node rules.
// This package owns only the chains below in it; others may add theirs.
const TableName = "mini"

const (
	natChain     = "pod-postrouting"
	forwardChain = "pod-forward"
)

// ensureNAT writes, in one atomic batch, the table "mini" and its two pod
// chains, replacing their rules:
//
//	pod-postrouting (nat, postrouting, srcnat):
//	    ip saddr POD ip daddr != CLUSTER masquerade
//	pod-forward (filter, forward, policy accept):
//	    iifname mini0 accept; oifname mini0 accept
//
// The forward rules matter only if some other table drops forwarded
// traffic; they are there so pods keep working next to one.
func ensureNAT(podNet, cluster *net.IPNet) error {
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("open nftables: %w", err)
	}
	table := c.AddTable(&nftables.Table{Name: TableName, Family: nftables.TableFamilyIPv4})
	accept := nftables.ChainPolicyAccept
	nat := c.AddChain(&nftables.Chain{
		Name: natChain, Table: table, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookPostrouting, Priority: nftables.ChainPriorityNATSource,
	})
	fwd := c.AddChain(&nftables.Chain{
		Name: forwardChain, Table: table, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookForward, Priority: nftables.ChainPriorityFilter, Policy: &accept,
	})
	c.FlushChain(nat)
	c.FlushChain(fwd)
	c.AddRule(&nftables.Rule{Table: table, Chain: nat, Exprs: masqueradeExprs(podNet, cluster)})
	c.AddRule(&nftables.Rule{Table: table, Chain: fwd, Exprs: ifnameAccept(expr.MetaKeyIIFNAME, BridgeName)})
	c.AddRule(&nftables.Rule{Table: table, Chain: fwd, Exprs: ifnameAccept(expr.MetaKeyOIFNAME, BridgeName)})
	if err := c.Flush(); err != nil {
		return fmt.Errorf("write nftables table %s (masquerade for %s): %w", TableName, podNet, err)
	}
	return nil
}

// IPv4 header offsets of the source and destination addresses.
const (
	ipv4SrcOffset = 12
	ipv4DstOffset = 16
)

func masqueradeExprs(src, notDst *net.IPNet) []expr.Any {
	e := matchPrefix(ipv4SrcOffset, src, expr.CmpOpEq)
	e = append(e, matchPrefix(ipv4DstOffset, notDst, expr.CmpOpNeq)...)
	return append(e, &expr.Counter{}, &expr.Masq{})
}

// matchPrefix compares the address at offset in the IPv4 header, masked
// with cidr's mask, with cidr's network address.
func matchPrefix(offset uint32, cidr *net.IPNet, op expr.CmpOp) []expr.Any {
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: offset, Len: 4},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: []byte(cidr.Mask), Xor: make([]byte, 4)},
		&expr.Cmp{Op: op, Register: 1, Data: cidr.IP.Mask(cidr.Mask).To4()},
	}
}

func ifnameAccept(key expr.MetaKey, name string) []expr.Any {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, name)
	return []expr.Any{
		&expr.Meta{Key: key, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: b},
		&expr.Counter{},
		&expr.Verdict{Kind: expr.VerdictAccept},
	}
}
