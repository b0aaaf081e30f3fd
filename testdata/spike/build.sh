#!/bin/sh
# Rebuild the spike node image (FROM scratch rootfs via docker import: no registry needed).
set -e
cd /tmp/spike
cp rt/spike nodefs/spike
tar -C nodefs -cf nodefs.tar .
docker import --change 'LABEL io.mini.spike=1' --change 'ENTRYPOINT ["/bin/sleep","infinity"]' --change 'ENV PATH=/bin' nodefs.tar mini-spike-node:latest
