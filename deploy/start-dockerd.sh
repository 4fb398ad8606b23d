#!/usr/bin/env bash
# Starts dockerd when none answers, with flags that leave the host's network as it is: no iptables rules, no
# ip_forward, no docker0 bridge (compose's own network still connects the containers, and published ports on
# 127.0.0.1 go through docker-proxy). Never start it with defaults on a machine that runs namespace tests.
set -euo pipefail
if docker info >/dev/null 2>&1; then
  exit 0
fi
log=${DOCKERD_LOG:-/tmp/logcluster-dockerd.log}
nohup dockerd --iptables=false --ip-forward=false --bridge=none >"$log" 2>&1 &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    exit 0
  fi
  sleep 0.5
done
echo "dockerd did not come up; its log:" >&2
cat "$log" >&2
exit 1
