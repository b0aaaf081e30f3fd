// Package nodeimage builds mini's node image from the running executable.
//
// A node is a Docker container whose PID 1 is the mini binary itself
// (`mini agent`). The node image is therefore nothing but that static binary
// in an otherwise empty (FROM scratch) root filesystem, tagged by the
// binary's content hash ("mini-node:<12 hex>"), so a rebuilt binary gets a
// fresh image and an unchanged one reuses the image already loaded.
//
// The image is built without a builder: WriteTar (or Open) produces a
// `docker save`-format archive (manifest.json, the image config, one layer
// tar, repositories) that the engine's image-load endpoint accepts, as
// `docker load` does. No BuildKit, no Dockerfile, no build context and no
// registry are needed, and both the classic image store and the containerd
// image store accept the format. The archive is deterministic (fixed
// modification times and owners, sorted entries, no creation time from the
// clock), so one binary always yields the same image ID.
//
// This package does not talk to Docker; cluster/docker loads the archive.
package nodeimage
