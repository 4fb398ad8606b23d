#!/usr/bin/env bash
# Builds the base images deploy/Dockerfile and deploy/prometheus.Dockerfile need, on a machine that reaches no image
# registry (only a Debian mirror): a Debian rootfs from debootstrap, imported as
#   logcluster-local/debian:bookworm       (runtime base of LogNode, and Prometheus' base)
#   logcluster-local/dotnet-sdk:<SDK version> (the same rootfs plus this machine's .NET SDK, the one global.json
#                                           selects: the build stage; a new SDK gets a new image)
# Then: LOGCLUSTER_SDK_IMAGE=logcluster-local/dotnet-sdk:$(dotnet --version) LOGCLUSTER_BUILD_NETWORK=host
#       LOGCLUSTER_BASE_IMAGE=logcluster-local/debian:bookworm PROMETHEUS_BASE_IMAGE=logcluster-local/debian:bookworm
#       docker-compose ... build
# Images that exist already are kept. Needs root, docker, debootstrap.
set -euo pipefail

runtime_image=logcluster-local/debian:bookworm
sdk_image=logcluster-local/dotnet-sdk:$(dotnet --version)
if docker image inspect "$runtime_image" "$sdk_image" >/dev/null 2>&1; then
  echo "base images present: $runtime_image $sdk_image"
  exit 0
fi
docker image rm -f "$runtime_image" >/dev/null 2>&1 || true

# The Debian mirror apt already uses on this machine: the URIs of the stanza whose suites include bookworm.
mirror=$(awk '/^URIs:/ {uri = $2} /^Suites:/ && / bookworm( |$)/ {print uri; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ca-certificates: the SDK stage restores from nuget.org over HTTPS.
debootstrap --variant=minbase --include=ca-certificates bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { cat "$work/debootstrap.log" >&2; exit 1; }
rm -rf "$work"/rootfs/var/lib/apt/lists/* "$work"/rootfs/var/cache/apt/archives/*.deb
tar -C "$work/rootfs" -c . | docker import - "$runtime_image" >/dev/null

# The build stage trusts what this machine trusts: a proxy's own root CA in front of nuget.org, for instance.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$work/rootfs/usr/local/share/ca-certificates/"
  chroot "$work/rootfs" update-ca-certificates >/dev/null
fi
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
mkdir -p "$work/rootfs/usr/share/dotnet"
cp -a "$dotnet_root/." "$work/rootfs/usr/share/dotnet/"
ln -sf /usr/share/dotnet/dotnet "$work/rootfs/usr/bin/dotnet"
tar -C "$work/rootfs" -c . | docker import \
  --change "ENV DOTNET_ROOT=/usr/share/dotnet" \
  --change "ENV DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1" \
  --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  - "$sdk_image" >/dev/null
echo "built $runtime_image and $sdk_image"
