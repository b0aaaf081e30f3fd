// Package network is the pod network inside a node: the bridge mini0 with
// the gateway address of the node's pod CIDR, one network namespace per pod
// (held by a bind mount, with no process), a veth pair from the bridge into
// it, an IP from the pod CIDR, routes to other nodes' pod CIDRs, and an
// nftables table "mini" that masquerades traffic leaving the cluster.
//
// State: IP allocations are files under Config.StateDir/ips (one per IP,
// holding the pod ID), so they survive a node restart; netns bind mounts
// live under Config.RunDir (a tmpfs, gone after a node restart).
// Everything uses netlink and nftables from Go: the node has no ip or nft
// binaries.
package network
