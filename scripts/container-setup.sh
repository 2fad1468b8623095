#!/usr/bin/env bash
# Makes this machine able to build and run pg-caravan's container image with Podman, as
# /work/shared/CONTAINERS.md describes (no Docker engine, no registry): installs podman, runc and
# debootstrap, configures podman for the sandbox, and makes the base image from Debian's packages.
# Run as root on Debian 12. Idempotent: each step only does what is missing, so running it again
# costs a few seconds.
set -euo pipefail

BASE_IMAGE=docker.io/library/debian:bookworm-slim
# DEBIAN_MIRROR: a mirror for debootstrap (default: debootstrap's own)

# 1. packages (apt-get update only when something is to be installed)
missing=()
for p in podman runc debootstrap; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "container-setup: installing ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

# 2. podman's configuration: the sandbox refuses the default rlimits and crun's cgroup set-up
conf=$'[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n'
if [[ "$(cat /etc/containers/containers.conf 2>/dev/null)"$'\n' != "$conf" ]]; then
  echo "container-setup: writing /etc/containers/containers.conf"
  mkdir -p /etc/containers
  printf '%s' "$conf" > /etc/containers/containers.conf
fi

# 3. the base image, from Debian's packages, under the name the Dockerfile's FROM uses, so that
#    nothing is pulled from a registry (about 25 s)
if ! podman image exists "$BASE_IMAGE"; then
  echo "container-setup: creating $BASE_IMAGE with debootstrap"
  rootfs=$(mktemp -d /var/tmp/rootfs-bookworm.XXXXXX)
  trap 'rm -rf "$rootfs"' EXIT
  debootstrap --variant=minbase bookworm "$rootfs" ${DEBIAN_MIRROR:-} > /var/tmp/container-setup-debootstrap.log 2>&1 \
    || { tail -20 /var/tmp/container-setup-debootstrap.log; exit 1; }
  tar -C "$rootfs" -c . | podman import - "$BASE_IMAGE"
fi
echo "container-setup: podman $(podman version --format '{{.Client.Version}}'), base image $BASE_IMAGE present"
