// Package runtime is the container runtime of mini's node agent: it runs a
// pod's containers as real processes in their own mount, pid, uts and ipc
// namespaces, joined to the pod's network namespace, with an overlay root
// of the image layers, Docker's default confinement (capabilities,
// no_new_privs, masked and read-only /proc and /sys paths) and resource
// limits through the node's cgroups (v1 or v2) where the node can write
// them. It also runs exec sessions inside a running container.
//
// The agent re-executes itself (/proc/self/exe) for the child phases that
// must run inside the new namespaces before the workload's execve: cmd/mini
// calls Main first thing in main(). The workload ends up the direct child
// of the agent, so its exit status comes back through wait(2).
//
// At agent start Cleanup removes what a previous life left; at agent stop
// Close removes every container and the runtime's cgroups, which would
// otherwise stay in the host's cgroup tree.
//
// State on the node: /var/lib/mini/containers/<id>/{upper,work,rootfs}
// (see Config.StateDir) and cgroups <node cgroup>/<CgroupParent>/<group>/<id>.
package runtime
