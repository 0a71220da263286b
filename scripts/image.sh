#!/usr/bin/env bash
# Build the Glassbox image with podman, without any container registry, and run the training
# pipeline inside it against the embedded default (`just image`).
#
#   scripts/image.sh [TAG]          build TAG (default localhost/glassbox-mlops:dev), then run
#   GLASSBOX_IMAGE_RUN=0 scripts/image.sh   build only
#
# The base is Debian bookworm made with `debootstrap --variant=minbase` (Python 3.11 is Debian's
# own) and imported once as localhost/glassbox-base:bookworm; the Dockerfile takes it through
# its BASE_IMAGE/PYTHON build arguments. Packages come from Debian's and PyPI's ordinary
# clients inside the build (--network host); a CA bundle named by $SSL_CERT_FILE is mounted into
# the build for them (a TLS-intercepting proxy), never copied into the image. Needs root (or
# rootless podman with subuids), podman, debootstrap.
set -euo pipefail
cd "$(dirname "$0")/.."

tag=${1:-localhost/glassbox-mlops:dev}
base=${GLASSBOX_BASE_IMAGE:-localhost/glassbox-base:bookworm}
limits=(--ulimit nofile=1024:1024 --ulimit nproc=1000:1000)

if ! podman image exists "$base"; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  echo "image: making $base with debootstrap (minbase, python3, python3-pip)" >&2
  debootstrap --variant=minbase --include=python3,python3-pip,ca-certificates \
    bookworm "$work/rootfs" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  chroot "$work/rootfs" apt-get clean
  rm -rf "$work"/rootfs/var/lib/apt/lists/*
  tar -C "$work/rootfs" -c . | podman import --change 'CMD ["/bin/bash"]' - "$base" >/dev/null
fi

ca_args=()
if [ -n "${SSL_CERT_FILE:-}" ] && [ -f "$SSL_CERT_FILE" ]; then
  ca_args=(--volume "$SSL_CERT_FILE:/run/glassbox-ca.crt:ro" --build-arg CA_BUNDLE=/run/glassbox-ca.crt)
fi
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
podman build --network host "${limits[@]}" "${ca_args[@]}" \
  --build-arg BASE_IMAGE="$base" --build-arg PYTHON=/usr/bin/python3 \
  --build-arg GIT_COMMIT="$commit" \
  --build-arg BUILD_DATE="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  --build-arg GLASSBOX_IMAGE="$tag" \
  -t "$tag" .

size=$(podman image inspect --format '{{.Size}}' "$tag")
echo "image: $tag built, $((size / 1000000)) MB ($size bytes), commit $commit"

if [ "${GLASSBOX_IMAGE_RUN:-1}" != "0" ]; then
  # No network at all: the embedded default needs none (--network none).
  echo "image: running the training pipeline inside $tag (embedded MLflow, no network)" >&2
  podman run --rm --network none "${limits[@]}" -e GLASSBOX_HOME=/tmp/glassbox \
    "$tag" glassbox run training
fi
