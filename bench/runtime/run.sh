#!/usr/bin/env bash
# Container start latency and monitor memory, side by side with the peers:
#   swiftcompose  `container run --rm IMAGE true` (own network namespace, loopback only), and on
#                 a plain directory with --rootfs
#   crun / runc   `run` of an OCI bundle on the same busybox directory
#   podman/docker `run --rm --network none` of the same files imported as an image
# and the RSS of one container's supervisor: our monitor vs conmon (podman) and
# containerd-shim (docker). Peers missing here are reported as such (scripts/setup --peers).
# Goals (shared/PEERS.md): start within 1.5× of crun and faster than podman and docker;
# monitor < 4 MiB RSS. Needs root.
# Usage: bench/runtime/run.sh [runs, default 30]
#   Uses SWIFTCOMPOSE_CLI (default: .build/release/swiftcompose if built, else debug); the
#   monitor beside it.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-30}
cli=${SWIFTCOMPOSE_CLI:-}
if [[ -z $cli ]]; then
  if [[ -x .build/release/swiftcompose && -x .build/release/swiftcompose-monitor ]]; then cli=.build/release/swiftcompose
  else cli=.build/debug/swiftcompose; fi
fi
[[ -x $cli ]] || { echo "build first: swift build (or -c release)" >&2; exit 1; }
[[ $(id -u) == 0 ]] || { echo "bench/runtime: needs root" >&2; exit 1; }

work=$(mktemp -d /tmp/scbench-rt.XXXXXX)
export SWIFTCOMPOSE_ROOT=$work/root SWIFTCOMPOSE_RUN=$work/run
cleanup() {
  "$cli" container rm -f $("$cli" container ls -aq --no-trunc 2>/dev/null) >/dev/null 2>&1 || true
  command -v podman >/dev/null && podman rm -f scbench-rss >/dev/null 2>&1 || true
  command -v docker >/dev/null && docker rm -f scbench-rss >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

rootfs=$work/rootfs
mkdir -p "$rootfs"/{bin,etc,proc,sys,dev,tmp}
cp /bin/busybox "$rootfs/bin/"
for applet in $(busybox --list); do [[ $applet == busybox ]] || ln -sf busybox "$rootfs/bin/$applet"; done
echo "root:x:0:0:root:/root:/bin/sh" > "$rootfs/etc/passwd"; echo "root:x:0:" > "$rootfs/etc/group"

# Median wall time of a command in milliseconds (hyperfine when installed).
median_ms() {
  if command -v hyperfine >/dev/null; then
    hyperfine -N -w 3 -r "$runs" --export-json "$work/h.json" "$*" >/dev/null 2>&1 || { echo failed; return; }
    python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][0]["median"]*1000))' "$work/h.json"
    return
  fi
  local times=()
  for _ in 1 2 3; do "$@" >/dev/null 2>&1 || { echo failed; return; }; done
  for _ in $(seq "$runs"); do
    local start=$(date +%s%N); "$@" >/dev/null 2>&1; local end=$(date +%s%N)
    times+=($(( (end - start) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f\n", a[int((NR+1)/2)]/1000}'
}

bundle() {  # an OCI bundle on the busybox rootfs running `true`, for runc/crun
  local runtime=$1 dir=$work/bundle-$1
  mkdir -p "$dir" && (cd "$dir" && "$runtime" spec >/dev/null 2>&1)
  python3 - "$dir/config.json" "$rootfs" <<'PY'
import json, sys
path, rootfs = sys.argv[1], sys.argv[2]
spec = json.load(open(path))
spec["root"] = {"path": rootfs, "readonly": True}
spec["process"]["args"] = ["true"]
spec["process"]["terminal"] = False
json.dump(spec, open(path, "w"))
PY
  echo "$dir"
}

# The same files as an image of our store (overlay layers + a writable layer per container).
tar -C "$rootfs" -c . | "$cli" image import - scbench-busybox >/dev/null

printf '%-34s %s\n' "start: run --rm … true" "median ms ($runs runs)"
printf '%-34s %s\n' "swiftcompose (image)" "$(median_ms "$cli" container run --rm scbench-busybox true)"
printf '%-34s %s\n' "swiftcompose (--rootfs directory)" "$(median_ms "$cli" container run --rm --rootfs "$rootfs" true)"
for runtime in crun runc; do
  if command -v "$runtime" >/dev/null; then
    dir=$(bundle "$runtime")
    figure=$(median_ms "$runtime" run -b "$dir" "scbench-$runtime-$$")
    # crun refuses a hybrid host whose cgroup2 holds a controller ("cgroups in hybrid mode
    # not supported"), as this kind of VM has. In a mount namespace of its own without
    # the cgroup2 mount it sees plain v1, as runc does, and runs.
    if [[ $figure == failed && -d /sys/fs/cgroup/unified ]]; then
      export -f median_ms; export runs work
      figure=$(unshare -m --propagation private bash -c \
        'umount /sys/fs/cgroup/unified && median_ms "$@"' - "$runtime" run -b "$dir" "scbench-$runtime-$$")
      [[ $figure == failed ]] || figure="$figure (own mount namespace without cgroup2)"
    fi
    printf '%-34s %s\n' "$runtime run" "$figure"
  else
    printf '%-34s %s\n' "$runtime run" "not installed"
  fi
done
# An engine counts when it can start a container here (Debian's podman cannot on this kind
# of VM: its crun may not raise RLIMIT_NOFILE); why not is printed instead of a figure.
usable=()
for engine in podman docker; do
  label="$engine run --rm --network none"
  if ! command -v "$engine" >/dev/null || ! "$engine" info >/dev/null 2>&1; then
    printf '%-34s %s\n' "$label" "not available"; continue
  fi
  tar -C "$rootfs" -c . | "$engine" import - localhost/scbench-busybox >/dev/null 2>&1
  if ! why=$("$engine" run --rm --network none localhost/scbench-busybox true 2>&1); then
    printf '%-34s %s\n' "$label" "cannot start containers here: $(echo "$why" | tail -1)"; continue
  fi
  usable+=("$engine")
  printf '%-34s %s\n' "$label" "$(median_ms "$engine" run --rm --network none localhost/scbench-busybox true)"
done

echo
printf '%-34s %s\n' "supervisor of one container" "RSS KiB"
ids=()
for n in 1 2 3; do ids+=("$("$cli" container run -d scbench-busybox sleep 1000)"); done
sleep 0.5
total=0
for id in "${ids[@]}"; do
  pid=$("$cli" container inspect "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["State"]["MonitorPid"])')
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  total=$((total + rss))
done
printf '%-34s %s\n' "swiftcompose-monitor (mean of 3)" "$((total / 3))"
if [[ " ${usable[*]} " == *" podman "* ]]; then
  podman run -d --name scbench-rss --network none localhost/scbench-busybox sleep 1000 >/dev/null
  pid=$(pgrep -n conmon || true)
  printf '%-34s %s\n' "conmon (podman)" "${pid:+$(awk '/VmRSS/ {print $2}' /proc/$pid/status)}"
else
  printf '%-34s %s\n' "conmon (podman)" "not available"
fi
if [[ " ${usable[*]} " == *" docker "* ]]; then
  docker run -d --name scbench-rss --network none localhost/scbench-busybox sleep 1000 >/dev/null
  pid=$(pgrep -n containerd-shim || true)
  printf '%-34s %s\n' "containerd-shim (docker)" "${pid:+$(awk '/VmRSS/ {print $2}' /proc/$pid/status)}"
else
  printf '%-34s %s\n' "containerd-shim (docker)" "not available"
fi
