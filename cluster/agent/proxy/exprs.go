package proxy

import (
	"net/netip"

	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// masqMark is the packet mark bit that asks nat-postrouting to masquerade.
const masqMark uint32 = 0x4000

// Registers: reg 1 is the 16-byte NFT_REG_1; concatenations continue in
// the 4-byte registers after its first word (NFT_REG32_01, _02).
const (
	reg1    = 1
	reg2    = 2
	reg32_1 = 9
	reg32_2 = 10
)

// IPv4 header offsets and the transport header's destination port.
const (
	offSaddr = 12
	offDaddr = 16
	offDport = 2
)

func loadAddr(offset uint32, reg uint32) *expr.Payload {
	return &expr.Payload{DestRegister: reg, Base: expr.PayloadBaseNetworkHeader, Offset: offset, Len: 4}
}

func loadDport(reg uint32) *expr.Payload {
	return &expr.Payload{DestRegister: reg, Base: expr.PayloadBaseTransportHeader, Offset: offDport, Len: 2}
}

func verdict(kind expr.VerdictKind, chain string) *expr.Verdict {
	return &expr.Verdict{Kind: kind, Chain: chain}
}

// matchAddr: the address at offset equals ip.
func matchAddr(offset uint32, ip netip.Addr) []expr.Any {
	return []expr.Any{loadAddr(offset, reg1), &expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: ip.AsSlice()}}
}

// matchPrefix: the address at offset is (op Eq) or is not (op Neq) in p.
func matchPrefix(offset uint32, p netip.Prefix, op expr.CmpOp) []expr.Any {
	if p.Bits() == 32 {
		return []expr.Any{loadAddr(offset, reg1), &expr.Cmp{Op: op, Register: reg1, Data: p.Addr().AsSlice()}}
	}
	mask := binaryutil.BigEndian.PutUint32(^uint32(0) << (32 - p.Bits()))
	return []expr.Any{
		loadAddr(offset, reg1),
		&expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: 4, Mask: mask, Xor: make([]byte, 4)},
		&expr.Cmp{Op: op, Register: reg1, Data: p.Masked().Addr().AsSlice()},
	}
}

// matchProtoPort: meta l4proto proto th dport port.
func matchProtoPort(proto Proto, port uint16) []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: reg1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: []byte{byte(proto)}},
		loadDport(reg1),
		&expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: binaryutil.BigEndian.PutUint16(port)},
	}
}

// loadIPProtoPort loads ip daddr . meta l4proto . th dport into reg 1.
func loadIPProtoPort() []expr.Any {
	return []expr.Any{loadAddr(offDaddr, reg1), &expr.Meta{Key: expr.MetaKeyL4PROTO, Register: reg32_1}, loadDport(reg32_2)}
}

// loadProtoPort loads meta l4proto . th dport into reg 1.
func loadProtoPort() []expr.Any {
	return []expr.Any{&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: reg1}, loadDport(reg32_1)}
}

// localNonLoopback: fib daddr type local ip daddr != 127.0.0.0/8.
func localNonLoopback() []expr.Any {
	e := []expr.Any{
		&expr.Fib{Register: reg1, FlagDADDR: true, ResultADDRTYPE: true},
		&expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: binaryutil.NativeEndian.PutUint32(unix.RTN_LOCAL)},
	}
	return append(e, matchPrefix(offDaddr, netip.MustParsePrefix("127.0.0.0/8"), expr.CmpOpNeq)...)
}

// vmapLookup looks reg 1 up in a verdict map.
func vmapLookup(name string, id uint32) *expr.Lookup {
	return &expr.Lookup{SourceRegister: reg1, SetName: name, SetID: id, DestRegister: 0, IsDestRegSet: true}
}

// ctNew: ct state new.
func ctNew() []expr.Any {
	return []expr.Any{
		&expr.Ct{Register: reg1, Key: expr.CtKeySTATE},
		&expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: 4, Mask: binaryutil.NativeEndian.PutUint32(expr.CtStateBitNEW), Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: reg1, Data: make([]byte, 4)},
	}
}

// setMarkOr: meta mark set meta mark | masqMark.
func setMarkOr() []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyMARK, Register: reg1},
		&expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(^masqMark), Xor: binaryutil.NativeEndian.PutUint32(masqMark)},
		&expr.Meta{Key: expr.MetaKeyMARK, SourceRegister: true, Register: reg1},
	}
}

// masqueradeRules: return unless marked; clear the mark; masquerade.
func masqueradeRules() [][]expr.Any {
	return [][]expr.Any{
		{
			&expr.Meta{Key: expr.MetaKeyMARK, Register: reg1},
			&expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: 4, Mask: binaryutil.NativeEndian.PutUint32(masqMark), Xor: make([]byte, 4)},
			&expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: make([]byte, 4)},
			verdict(expr.VerdictReturn, ""),
		},
		{
			&expr.Meta{Key: expr.MetaKeyMARK, Register: reg1},
			&expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: 4,
				Mask: binaryutil.NativeEndian.PutUint32(^uint32(0)), Xor: binaryutil.NativeEndian.PutUint32(masqMark)},
			&expr.Meta{Key: expr.MetaKeyMARK, SourceRegister: true, Register: reg1},
		},
		{&expr.Counter{}, &expr.Masq{FullyRandom: true}},
	}
}

// dnat: meta l4proto proto dnat to ip:port.
func dnat(proto Proto, ip netip.Addr, port uint16) []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: reg1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: []byte{byte(proto)}},
		&expr.Immediate{Register: reg1, Data: ip.AsSlice()},
		&expr.Immediate{Register: reg2, Data: binaryutil.BigEndian.PutUint16(port)},
		&expr.Counter{},
		&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: reg1, RegProtoMin: reg2},
	}
}

// ipProtoPortKey is the key of ip . inet_proto . inet_service: each field
// padded to 4 bytes.
func ipProtoPortKey(e MapElem) []byte {
	k := append([]byte{}, e.IP.AsSlice()...)
	k = append(k, byte(e.Proto), 0, 0, 0)
	return append(k, byte(e.Port>>8), byte(e.Port), 0, 0)
}

// protoPortKey is the key of inet_proto . inet_service.
func protoPortKey(e MapElem) []byte {
	return []byte{byte(e.Proto), 0, 0, 0, byte(e.Port >> 8), byte(e.Port), 0, 0}
}
