# podman 4.3 for the bottled tests (podman_bottled.sh, podman_trust.sh). Source after
# engine_bottled_init (it uses ENGINE_TMP, IP and the bottled config at $ENGINE_TMP/bottle.json):
#
#   podman_setup    T=$ENGINE_TMP, ROOT=/run/bottle (bottle's default root: podman's cleanup
#                   after a container exits calls `delete` without the runtime flags, so a --root
#                   given that way would not reach it), a CNI network "bottletest" of the test's
#                   own (a bridge in this netns, masqueraded, TEST-NET-3, leases under T), and
#                   engine_bottled_pre_cleanup, which removes every container, image and podman's
#                   storage mounts, and the caches podman keeps under /var/lib whatever its
#                   options say (when the test made them)
#   pd ARGS...      podman with its storage, run state and network config under T, bottle as
#                   runtime and bottle's config through --runtime-flag (read at create)
#   prun ARGS...    pd run on that network, with the test DNS and modest ulimits (podman's
#                   default 1048576 files exceed what a sandboxed runner may set)
podman_setup() {
  T=$ENGINE_TMP
  ROOT=/run/bottle
  [ -e /var/lib/cni ] && _podman_cni_was_there=1 || _podman_cni_was_there=
  [ -e /var/lib/containers ] && _podman_containers_was_there=1 || _podman_containers_was_there=
  mkdir -p "$T/cni"
  cat >"$T/cni/bottletest.conflist" <<JSON
{"cniVersion": "0.4.0", "name": "bottletest", "plugins": [
  {"type": "bridge", "bridge": "cnibt$$", "isGateway": true, "ipMasq": true,
   "ipam": {"type": "host-local", "dataDir": "$T/ipam", "routes": [{"dst": "0.0.0.0/0"}],
            "ranges": [[{"subnet": "203.0.113.0/24", "gateway": "203.0.113.1"}]]}},
  {"type": "firewall"}]}
JSON
}

engine_bottled_pre_cleanup() {
  pd rm -a -f >/dev/null 2>&1
  pd rmi -a -f >/dev/null 2>&1
  pd system reset -f >/dev/null 2>&1 # its storage mounts under $T
  [ -n "$_podman_cni_was_there" ] || rmdir /var/lib/cni/results /var/lib/cni 2>/dev/null
  [ -n "$_podman_containers_was_there" ] || rm -rf /var/lib/containers
}

pd() {
  timeout 120 podman --root "$T/storage" --runroot "$T/run" --network-backend cni \
    --network-config-dir "$T/cni" --cgroup-manager cgroupfs --events-backend file --runtime "$BOTTLE" \
    --runtime-flag "config=$T/bottle.json" "$@"
}

prun() { pd run --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 --network bottletest --dns "$IP" "$@"; }
