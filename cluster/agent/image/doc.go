// Package image holds the node's images. There is no registry: images come
// from the host's Docker image store through the control plane (a Source:
// inspect for the image ID, save for the `docker save` tar stream), are
// unpacked one layer per directory with overlayfs whiteouts, and are cached
// under Config.Dir:
//
//	layers/sha256/<diffID>/   one unpacked layer (the sha256 of its tar)
//	configs/<imageID>.json    the image config, named by its own digest
//	refs.json                 normalized reference -> image ID and size
//	tmp/                      layers being unpacked (emptied at start)
//
// Store.Ensure applies a pod's imagePullPolicy against the host's store,
// as the kubelet does against a registry, and shares one transfer between
// concurrent callers of the same reference.
package image
