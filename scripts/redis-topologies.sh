#!/usr/bin/env bash
# Starts a throw-away Redis Cluster (3 primaries on 127.0.0.1:7101-7103) and
# a Sentinel (26401) watching a primary on 127.0.0.1:7201, for redisstore's
# Cluster and Sentinel tests, and prints the two environment variables that
# enable them. `scripts/redis-topologies.sh stop` stops them again.
# Everything lives under a temporary folder and binds to loopback only.
set -euo pipefail
dir=${REDIS_TOPOLOGY_DIR:-/tmp/session-redis-topologies}
ports=(7101 7102 7103 7201)

if [ "${1:-}" = stop ]; then
	for p in "${ports[@]}" 26401; do redis-cli -p "$p" shutdown nosave >/dev/null 2>&1 || true; done
	rm -rf "$dir"
	exit 0
fi

mkdir -p "$dir"
for p in 7101 7102 7103; do
	mkdir -p "$dir/$p"
	redis-server --port "$p" --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file "$dir/$p/nodes.conf" \
		--dir "$dir/$p" --save "" --appendonly no --daemonize yes --logfile "$dir/$p/log" >/dev/null
done
redis-server --port 7201 --bind 127.0.0.1 --dir "$dir" --save "" --appendonly no --daemonize yes --logfile "$dir/7201.log" >/dev/null
cat >"$dir/sentinel.conf" <<CONF
port 26401
bind 127.0.0.1
daemonize yes
logfile $dir/sentinel.log
dir $dir
sentinel monitor mymaster 127.0.0.1 7201 1
CONF
redis-server "$dir/sentinel.conf" --sentinel >/dev/null

for _ in $(seq 50); do
	up=0
	for p in "${ports[@]}" 26401; do redis-cli -p "$p" ping 2>/dev/null | grep -q PONG && up=$((up + 1)); done
	[ "$up" -eq 5 ] && break
	sleep 0.2
done
if ! redis-cli -p 7101 cluster info 2>/dev/null | grep -q 'cluster_state:ok'; then
	redis-cli --cluster create 127.0.0.1:7101 127.0.0.1:7102 127.0.0.1:7103 --cluster-replicas 0 --cluster-yes >/dev/null
fi
for _ in $(seq 100); do
	redis-cli -p 7101 cluster info | grep -q 'cluster_state:ok' && break
	sleep 0.2
done
redis-cli -p 7101 cluster info | grep -q 'cluster_state:ok' || { echo "redis cluster did not form" >&2; exit 1; }
echo "export SESSION_TEST_REDIS_CLUSTER_ADDRS=127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103"
echo "export SESSION_TEST_REDIS_SENTINEL=mymaster@127.0.0.1:26401"
