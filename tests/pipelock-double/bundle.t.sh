#!/usr/bin/env bash
# make-bundle.sh builds a bare OCI bundle (static /pipelock, empty /etc) whose
# binary needs nothing from its rootfs: run it under runc in a netns of our own,
# resolving through rootfs/etc/resolv.conf (no test knobs) against a fake DNS on
# the netns loopback, and proxy to a busybox httpd on that loopback.
. "$(dirname "$0")/double.lib.sh"

B=$WORK/bundle
check "make-bundle.sh builds" "$(dirname "$0")/make-bundle.sh" "$B"
check "rootfs/pipelock is static" bash -c "ldd '$B/rootfs/pipelock' 2>&1 | grep -q 'not a dynamic executable'"
check_eq "rootfs holds only /pipelock and /etc" "etc pipelock" "$(cd "$B/rootfs" && echo *)"
check_eq "rootfs/etc is empty" "" "$(ls -A "$B/rootfs/etc")"
check_contains "config.json args mirror ENTRYPOINT+CMD" \
  '"args": ["/pipelock", "run", "--listen", "0.0.0.0:8888", "--config", "/etc/pipelock.yaml"]' \
  "$(cat "$B/config.json")"
check_eq "static binary: version" "pipelock 2.3.0-double" "$("$B/rootfs/pipelock" version)"

need_root
command -v runc >/dev/null || skip "runc not installed"
command -v busybox >/dev/null || skip "busybox not installed"

NS=pdtest-bundle-$$
ID=pdtest-bundle-$$
ip netns add "$NS" || { fail "ip netns add"; finish; exit; }
cleanup_bundle() {
  runc kill "$ID" KILL 2>/dev/null
  runc delete -f "$ID" 2>/dev/null
  ip netns pids "$NS" 2>/dev/null | xargs -r kill 2>/dev/null
  ip netns del "$NS" 2>/dev/null
  _cleanup
}
trap cleanup_bundle EXIT
ip -n "$NS" link set lo up

mkdir -p "$WORK/www"
echo "hello inside" >"$WORK/www/index.html"
ip netns exec "$NS" busybox httpd -f -p 127.0.0.1:8080 -h "$WORK/www" &
_pids+=("$!")
: >"$WORK/dns.log"
ip netns exec "$NS" "$DOUBLE" fake-dns --listen 127.0.0.1:53 --log "$WORK/dns.log" \
  web.test=127.0.0.1 >"$WORK/dns.out" &
_pids+=("$!")
wait_for grep -qs listening "$WORK/dns.out" || fail "fake dns in netns"

# The runtime (bottle) provides these files; here the test writes them.
cat >"$B/rootfs/etc/pipelock.yaml" <<'YAML'
version: 1
mode: "strict"
api_allowlist: ["web.test", "blocked-by-ssrf.test"]
forward_proxy:
  enabled: true
trusted_domains: ["web.test"]
YAML
echo "nameserver 127.0.0.1" >"$B/rootfs/etc/resolv.conf"
sed -i "s|{\"type\": \"network\"}|{\"type\": \"network\", \"path\": \"/run/netns/$NS\"}|" "$B/config.json"
# A pids limit small enough to exhaust: main + signal thread + 4 client threads.
sed -i 's|"linux": {|"linux": {\n    "resources": {"pids": {"limit": 6}},|' "$B/config.json"

(cd "$B" && runc run -d "$ID" >"$WORK/sidecar.log" 2>&1 </dev/null)
check_eq "runc starts the bundle" 0 "$?"
in_ns() { ip netns exec "$NS" "$@"; }
wait_for in_ns curl -s -o /dev/null --noproxy '*' http://127.0.0.1:8888/health
check_contains "health inside the sidecar netns" '"mode":"strict"' \
  "$(in_ns curl -s --noproxy '*' http://127.0.0.1:8888/health)"
check "in-container healthcheck (runc exec /pipelock healthcheck)" runc exec "$ID" /pipelock healthcheck
check_eq "CONNECT through the static binary, name from rootfs resolv.conf" "hello inside" \
  "$(in_ns curl -s -p -x http://127.0.0.1:8888 http://web.test:8080/index.html)"
check_eq "absolute-URI through the static binary" "hello inside" \
  "$(in_ns curl -s -x http://127.0.0.1:8888 http://web.test:8080/index.html)"
check_eq "not allowlisted: 403" 403 \
  "$(in_ns curl -s -o /dev/null -w '%{http_code}' -x http://127.0.0.1:8888 http://other.test:8080/)"
check_eq "only the allowlisted name was resolved" "web.test" "$(cut -d' ' -f1 "$WORK/dns.log" | sort -u)"
check "audit log on the sidecar's stdout" grep -q '"event":"blocked".*"target":"other.test:8080"' "$WORK/sidecar.log"
# Exhaust the pids limit with tunnels held open until the checks are done, however slow the
# machine (a tunnel left in the 5 s SNI window would end and free its thread): each sends the
# first line of a request the upstream httpd then waits for. The next client gets a 503
# instead of a silent close. How many fit depends on the double's own threads (main, signals,
# the config watcher), so tunnels are added until one is refused.
holders=()
for i in 1 2 3 4 5 6; do
  in_ns bash -c 'exec 3<>/dev/tcp/127.0.0.1/8888; printf "CONNECT web.test:8080 HTTP/1.1\r\n\r\n" >&3; head -n 1 <&3; printf "GET / HTTP/1.1\r\n" >&3; sleep 60' \
    >"$WORK/hold.$i" 2>&1 &
  holders+=("$!")
  _pids+=("$!")
  wait_for grep -q . "$WORK/hold.$i"
  grep -q 'Connection Established' "$WORK/hold.$i" || break
done
check_eq "pids limit reached: 503 from the double" 503 \
  "$(in_ns curl -s -o /dev/null -w '%{http_code}' --noproxy '*' http://127.0.0.1:8888/health)"
check "pids limit reached: logged" grep -q '"event":"overloaded"' "$WORK/sidecar.log"
kill "${holders[@]}" 2>/dev/null
runc kill "$ID" TERM
wait_for bash -c "runc state '$ID' 2>/dev/null | grep -q '\"status\": \"stopped\"'"
check "SIGTERM stops the sidecar (pid 1)" bash -c "runc state '$ID' | grep -q '\"status\": \"stopped\"'"

finish
