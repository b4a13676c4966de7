#!/usr/bin/env bash
# Published ports and DNS, measured side by side:
#   direct        client → container address (no proxy: the ceiling)
#   swiftcompose  client → 127.0.0.1:port → our port proxy (splice) → container
#   proxy-ipv6    client → [::1]:port → our port proxy → container's IPv4 address: how a
#                 container's monitor serves its IPv6 published ports ([::]:8080 of 8080:80)
#   kernel-dnat   client → 127.0.0.1:port → nftables DNAT → container (the rules
#                 NetworkManager.publish installs, written out here: how `swiftcompose up`
#                 publishes a service's IPv4 ports)
#   docker-proxy  client → 127.0.0.1:port → docker-proxy → container (when docker.io is installed)
# Bulk TCP throughput with iperf3, short connections per second with wrk (or a Python loop
# when wrk is missing), DNS query latency against the network's embedded server, and the
# proxies' memory. Goals (shared/PEERS.md): throughput ≥ 0.9 of direct; connections/s ≥ 2×
# docker-proxy. Needs root. Install peers with: scripts/setup --peers
# Usage: bench/network/run.sh [seconds per run, default 5]
#   The proxy measured is a release build of swiftcompose-netd (built when missing); the CLI
#   that sets up the network is taken from SWIFTCOMPOSE_CLI (default .build/debug/swiftcompose).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-5}
netd=.build/release/swiftcompose-netd
cli=${SWIFTCOMPOSE_CLI:-.build/debug/swiftcompose}
[[ -x $netd ]] || { echo "building $netd" >&2; scripts/build-release --product swiftcompose-netd >/dev/null; }
[[ -x $cli ]] || { echo "building $cli" >&2; swift build --product swiftcompose >/dev/null; }
[[ $(id -u) == 0 ]] || { echo "bench/network: needs root" >&2; exit 1; }

work=$(mktemp -d /tmp/swiftcompose-netbench.XXXXXX)
export SWIFTCOMPOSE_ROOT=$work/root SWIFTCOMPOSE_RUN=$work/run
ns=scbench$$
veth=scb$$
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  ip link del "$veth" 2>/dev/null || true
  nft delete table ip "swiftcompose-bench$$" 2>/dev/null || true
  "$cli" network rm "bench$$" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# A network of ours, and a stand-in container: a namespace on its bridge.
"$cli" network create "bench$$" >/dev/null
read -r bridge gateway prefix < <("$cli" network inspect "bench$$" | python3 -c '
import json, sys
n = json.load(sys.stdin)[0]
c = n["IPAM"]["Config"][0]
print(n["Options"]["com.docker.network.bridge.name"], c["Gateway"], c["Subnet"].split("/")[1])')
target=${gateway%.*}.200
ip netns add "$ns"
ip link add "$veth" type veth peer name eth0 netns "$ns"
ip link set "$veth" master "$bridge" up
ip -n "$ns" addr add "$target/$prefix" dev eth0
ip -n "$ns" link set lo up
ip -n "$ns" link set eth0 up
ip -n "$ns" route add default via "$gateway"
mkdir -p "$work/site" && echo ok > "$work/site/index.html"
# The web server for the connection rate (bench/network/responder.c; busybox httpd when no
# C compiler is installed — it forks per connection, which then caps every path alike).
# Each path gets a server port of its own (8081-8085): the server keeps every closed
# connection in TIME_WAIT for a minute, and a path sharing the ports of the one measured
# before it would collide with those and wait out SYN retransmissions instead.
if cc -O2 -o "$work/responder" bench/network/responder.c 2>/dev/null; then
  for port in 8081 8082 8083 8084 8085; do ip netns exec "$ns" "$work/responder" "$port" & pids+=($!); done
  web_server="responder (epoll, one thread)"
else
  for port in 8081 8082 8083 8084 8085; do ip netns exec "$ns" busybox httpd -f -p "$port" -h "$work/site" & pids+=($!); done
  web_server="busybox httpd (a fork per connection)"
fi
have_iperf=$(command -v iperf3 || true)
if [[ -n $have_iperf ]]; then ip netns exec "$ns" iperf3 -s -p 5201 >/dev/null 2>&1 & pids+=($!); fi

# Our proxy (the same PortProxy a container's monitor runs), and docker-proxy beside it.
"$netd" --pid-file "$work/proxy.pid" \
  --publish "127.0.0.1:15201:$target:5201" --publish "127.0.0.1:18080:$target:8082" \
  --publish "[::1]:16201:$target:5201" --publish "[::1]:18085:$target:8085" & pids+=($!)
ours=$!
echo 1 > "/proc/sys/net/ipv4/conf/$bridge/route_localnet"
nft -f - <<NFT
table ip swiftcompose-bench$$ {
    chain output {
        type nat hook output priority -100; policy accept;
        ip daddr 127.0.0.1 tcp dport 35201 dnat to $target:5201
        ip daddr 127.0.0.1 tcp dport 38080 dnat to $target:8083
    }
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        ct status dnat ip saddr 127.0.0.0/8 ip daddr $target masquerade
    }
}
NFT
docker_proxy=$(command -v docker-proxy || ls /usr/sbin/docker-proxy /usr/libexec/docker/docker-proxy 2>/dev/null | head -1 || true)
if [[ -n $docker_proxy ]]; then
  # dockerd hands docker-proxy a pipe on fd 3 to report readiness; without one it fails.
  "$docker_proxy" -proto tcp -host-ip 127.0.0.1 -host-port 25201 -container-ip "$target" -container-port 5201 3>/dev/null 2>/dev/null & pids+=($!)
  dp1=$!
  "$docker_proxy" -proto tcp -host-ip 127.0.0.1 -host-port 28080 -container-ip "$target" -container-port 8084 3>/dev/null 2>/dev/null & pids+=($!)
fi
sleep 1

declare -A where=([direct]="$target" [swiftcompose]="127.0.0.1" [proxy-ipv6]="::1" [kernel-dnat]="127.0.0.1" [docker-proxy]="127.0.0.1")
declare -A iperf_port=([direct]=5201 [swiftcompose]=15201 [proxy-ipv6]=16201 [kernel-dnat]=35201 [docker-proxy]=25201)
declare -A http_port=([direct]=8081 [swiftcompose]=18080 [proxy-ipv6]=18085 [kernel-dnat]=38080 [docker-proxy]=28080)
paths=(direct swiftcompose proxy-ipv6 kernel-dnat)
[[ -n $docker_proxy ]] && paths+=(docker-proxy)

connections_per_second() {  # host port
  if command -v wrk >/dev/null; then
    local host=$1; [[ $host == *:* ]] && host="[$host]"
    wrk -t2 -c4 -d"${seconds}s" -H 'Connection: close' "http://$host:$2/" | awk '/Requests\/sec/ {print $2}'
  else
    python3 - "$1" "$2" "$seconds" <<'PY'
import socket, sys, time
host, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
count, end = 0, time.time() + seconds
while time.time() < end:
    s = socket.create_connection((host, port))
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    while s.recv(65536): pass
    s.close()
    count += 1
print(f"{count / seconds:.0f}")
PY
  fi
}

# One iperf3 stream is noisy on a shared 2-core machine: three rounds, the paths taken in
# turn within each, and the median per path.
declare -A gbits conns
for path in "${paths[@]}"; do gbits[$path]="-"; done
if [[ -n $have_iperf ]]; then
  declare -A samples
  for round in 1 2 3; do
    for path in "${paths[@]}"; do
      samples[$path]+=" $(iperf3 -c "${where[$path]}" -p "${iperf_port[$path]}" -t "$seconds" -J |
        python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))')"
    done
  done
  for path in "${paths[@]}"; do gbits[$path]=$(printf '%s\n' ${samples[$path]} | sort -n | sed -n 2p); done
fi
echo "throughput: iperf3, one TCP stream, median of 3 runs of ${seconds} s per path"
echo "connections per second: wrk -t2 -c4, Connection: close, against $web_server"
printf '%-14s %16s %16s\n' path "iperf3 Gbit/s" "conn/s"
for path in "${paths[@]}"; do
  conns[$path]=$(connections_per_second "${where[$path]}" "${http_port[$path]}")
  printf '%-14s %16s %16s\n' "$path" "${gbits[$path]}" "${conns[$path]}"
done
ratio() { python3 -c "import sys; a, b = sys.argv[1], sys.argv[2]; print('%.2f' % (float(a) / float(b)) if '-' not in (a, b) else '-')" "$1" "$2"; }
echo "throughput swiftcompose/direct: $(ratio "${gbits[swiftcompose]}" "${gbits[direct]}")   (goal ≥ 0.9)"
echo "throughput proxy-ipv6/direct: $(ratio "${gbits[proxy-ipv6]}" "${gbits[direct]}")"
echo "throughput kernel-dnat/direct: $(ratio "${gbits[kernel-dnat]}" "${gbits[direct]}")"
if [[ -n $docker_proxy ]]; then
  echo "throughput docker-proxy/direct: $(ratio "${gbits[docker-proxy]}" "${gbits[direct]}")"
  echo "conn/s swiftcompose/docker-proxy: $(ratio "${conns[swiftcompose]}" "${conns[docker-proxy]}")   (goal ≥ 2)"
  echo "conn/s proxy-ipv6/docker-proxy: $(ratio "${conns[proxy-ipv6]}" "${conns[docker-proxy]}")"
  echo "conn/s kernel-dnat/docker-proxy: $(ratio "${conns[kernel-dnat]}" "${conns[docker-proxy]}")   (goal ≥ 2)"
fi
echo "RSS swiftcompose proxy (4 ports): $(awk '/VmRSS/ {print $2, $3}' /proc/$ours/status)"
[[ -n $docker_proxy ]] && echo "RSS docker-proxy (1 port): $(awk '/VmRSS/ {print $2, $3}' /proc/$dp1/status)"

# DNS: queries for a container name from inside the network, one at a time.
printf '%s %s\n' "$target" "bench-web-1 web" >> "$SWIFTCOMPOSE_RUN/networks/$("$cli" network inspect "bench$$" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Id"])')/endpoints"
ip netns exec "$ns" python3 - "$gateway" <<'PY'
import socket, statistics, struct, sys, time
server = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
query = lambda i: struct.pack(">HHHHHH", i, 0x0100, 1, 0, 0, 0) + b"\x03web\x00" + struct.pack(">HH", 1, 1)
samples = []
for i in range(2000):
    start = time.perf_counter()
    s.sendto(query(i), (server, 53))
    s.recv(512)
    samples.append((time.perf_counter() - start) * 1e6)
samples.sort()
print(f"DNS A query (embedded server): median {statistics.median(samples):.0f} µs, p99 {samples[int(len(samples) * 0.99)]:.0f} µs")
PY
