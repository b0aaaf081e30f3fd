// Package controllerutil holds what the workload controllers share, each
// piece as Kubernetes' pkg/controller has it:
//
//   - Expectations: creations and deletions a controller has asked for and
//     not yet seen in its informer, so it never acts twice on a stale cache;
//   - Claim: ControllerRefManager's adoption of matching orphans and release
//     of owned objects that no longer match, through strategic merge patches;
//   - pod predicates (active, ready, available) and the ActivePods ordering
//     that decides which pods go first when a controller scales down;
//   - NewRecorder: an Event recorder writing core/v1 Events through the API.
package controllerutil
