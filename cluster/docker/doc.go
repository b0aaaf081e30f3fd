// Package docker is mini's only door to the Docker engine: images, the
// cluster network, the node volumes and the node containers.
//
// Nothing else in mini imports the Docker client. Every call takes a
// context first, wraps its errors with what it was doing ("create network
// mini-dev: ..."), and treats "already gone" as success where removing.
// Objects are found by the labels mini puts on them (LabelCluster,
// LabelRole, LabelNode), never by cached IDs or addresses: Docker hands out
// new IPs after a restart, so NodeInfo.IP is re-read on every call.
//
// Node containers run privileged where the engine allows it. Some engines
// (rootless setups, hosts whose capability bounding set lacks a capability,
// such as CAP_SYS_RESOURCE) refuse --privileged when the container starts;
// RunNode then recreates the node with every capability the engine can
// grant, seccomp, AppArmor and the masked /proc paths lifted, and a
// read-write bind of /sys/fs/cgroup, and reports that it fell back.
package docker
