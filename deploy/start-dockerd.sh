#!/usr/bin/env bash
# Starts dockerd when none answers, with settings that leave the host's network as it is: no iptables rules, no
# ip_forward, no docker0 bridge (compose's own network still connects the containers, and published ports on
# 127.0.0.1 go through docker-proxy). Never start it with defaults on a machine that runs namespace tests.
# The settings come from /etc/docker/daemon.json when it has them (.ci/run writes it before installing docker.io,
# so a service that a package starts gets them too), else from the command line.
set -euo pipefail
if docker info >/dev/null 2>&1; then
  exit 0
fi
flags=(--iptables=false --ip-forward=false --bridge=none)
if [ -f /etc/docker/daemon.json ]; then
  if ! grep -q '"bridge": *"none"' /etc/docker/daemon.json; then
    echo "/etc/docker/daemon.json exists without \"bridge\": \"none\": not starting dockerd with other network settings" >&2
    exit 1
  fi
  flags=() # dockerd refuses a setting given both in daemon.json and as a flag
fi
log=${DOCKERD_LOG:-/tmp/logcluster-dockerd.log}
nohup dockerd "${flags[@]}" >"$log" 2>&1 &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    exit 0
  fi
  sleep 0.5
done
echo "dockerd did not come up; its log:" >&2
cat "$log" >&2
exit 1
