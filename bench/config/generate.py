#!/usr/bin/env python3
"""Writes a compose file with N services (default 300) that exercises the loader:
ports, volumes, environment, healthchecks, depends_on, labels, networks."""
import sys
n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
out = ["services:"]
for i in range(n):
    out += [
        f"  svc{i}:",
        f"    image: registry.example/app{i % 7}:${{TAG:-1.{i}}}",
        f"    command: sh -c 'echo service {i} && sleep 3600'",
        f"    ports: [\"{10000 + i}:80\", \"127.0.0.1::{9000 + i % 50}/udp\"]",
        f"    volumes: [\"data{i % 10}:/data\", \"./conf/{i}:/etc/app:ro\"]",
        f"    environment: {{A: \"{i}\", B: \"${{HOME}}\", C: \"x\"}}",
        f"    labels: [\"com.example.id={i}\", \"tier=t{i % 3}\"]",
        f"    healthcheck: {{test: \"wget -q -O- localhost\", interval: 10s, retries: 3}}",
        f"    networks: [front, back]",
    ]
    if i > 0:
        out.append(f"    depends_on: [svc{i - 1}]")
out.append("volumes:")
out += [f"  data{i}: {{}}" for i in range(10)]
out += ["networks:", "  front: {}", "  back: {internal: true}"]
print("\n".join(out))
