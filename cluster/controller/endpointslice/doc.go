// Package endpointslice is the EndpointSlice and Endpoints controller, as
// kube-controller-manager's endpointslice and endpoints controllers: for
// every Service with a selector it keeps EndpointSlices (labelled
// kubernetes.io/service-name, managed by endpointslice-controller.k8s.io,
// owned by the Service, at most 100 endpoints each, one group of slices
// per set of resolved ports) and an Endpoints object of the Service's name
// listing the matching pods that have an IP and are not terminal, with
// their ready/serving/terminating conditions and per-pod named ports.
// Services without a selector are left to their users.
package endpointslice
