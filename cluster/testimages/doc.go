// Package testimages builds the workload images the end-to-end tests and
// the benchmark run, straight into the host's Docker engine: there is no
// registry to pull from and no Dockerfile builder. Each image is written
// with nodeimage's single-layer writer and loaded like `docker load`.
//
//   - Server (mini-test/server:v1): the static test server of
//     testdata/images/testserver at /server, built with `go build`.
//   - Busybox (mini-test/busybox:v1): Debian's static busybox (the host's
//     /bin/busybox, from the busybox-static package) with one symlink per
//     applet in /bin, and /etc/passwd and /etc/group with root and nobody.
//
// Ensure rebuilds and reloads both every time: the archives are
// deterministic, so an unchanged image keeps its ID, and a changed test
// server never hides behind an old tag.
package testimages
