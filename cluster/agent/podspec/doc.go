// Package podspec holds Kubernetes' rules for turning a pod's container spec
// and its image's config into what a process is started with: the
// environment (image env, envFrom, env with $(VAR) expansion, configMap,
// secret, downward API and resource references), the command line
// (command/args against the image's Entrypoint/Cmd), the user and groups, and
// the working directory. They follow the kubelet (pkg/kubelet
// makeEnvironmentVariables, ExpandContainerCommandAndArgs, the forked
// expansion package) and containerd's CRI plugin, which applies the image
// config. Everything here is a pure function; objects are read through
// Lookup, which the agent backs with informer listers.
//
// Errors read like the kubelet's (`configmap "x" not found`, `couldn't find
// key k in ConfigMap ns/x`) because the agent shows them to users as a
// container's CreateContainerConfigError message.
package podspec
