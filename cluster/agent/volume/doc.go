// Package volume materialises a pod's volumes on the node, under
// <Dir>/<pod uid>/volumes/<name>, with the kubelet's semantics: emptyDir
// (a directory, or tmpfs for medium Memory), configMap, secret,
// downwardAPI and projected (written with the kubelet's atomic-writer
// layout, so a running container sees an update all at once; secret,
// downwardAPI and projected live on tmpfs as in the kubelet so their data
// never reaches the node's disk) and hostPath (with its type checks). It
// also turns a container's volumeMounts into bind mounts for the runtime
// (Mounts), resolving subPath and subPathExpr safely inside the volume.
//
// Errors name the volume as the kubelet's FailedMount events do:
// `MountVolume.SetUp failed for volume "cfg" : configmap "app-config" not found`.
package volume
