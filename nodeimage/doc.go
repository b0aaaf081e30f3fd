// Package nodeimage writes single-layer container images without a
// builder, and builds mini's node image with that writer.
//
// An Image is a list of files (directories, symlinks, regular files from
// bytes or from a host file) and a run configuration (entrypoint, command,
// env, working dir, user, exposed ports, labels). Image.WriteTar (or Open)
// produces a `docker save`-format archive (the image config, one layer tar,
// manifest.json, repositories) that the engine's image-load endpoint
// accepts, as `docker load` does: no BuildKit, no Dockerfile, no build
// context and no registry, and both the classic image store and the
// containerd image store accept it. The archive is deterministic (fixed
// modification times and owners, sorted entries, no creation time from the
// clock), so the same inputs always yield the same image ID.
//
// A node is a Docker container whose PID 1 is the mini binary itself
// (`mini agent`). The node image (Node, WriteTar, Open) is that static
// binary in an otherwise empty (FROM scratch) root filesystem, tagged by the
// binary's content hash ("mini-node:<12 hex>", Ref), so a rebuilt binary
// gets a fresh image and an unchanged one reuses the image already loaded.
// cluster/testimages builds the workload images of the tests the same way.
//
// This package does not talk to Docker; cluster/docker loads the archive.
package nodeimage
