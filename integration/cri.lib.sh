# shellcheck shell=bash disable=SC2034 # variables set here are used by the sourcing test
# A Kubernetes node for tests: containerd 1.6 with its CRI plugin and a CNI bridge, driven
# through tests/helpers/cri-client (the RuntimeService calls a kubelet makes). Source after
# entering a private netns that plays the node (in_private_host_netns) and after
# engine_bottled_init (integration/engine_bottled.lib.sh: the test internet, BOTTLE_CONFIG).
#
#   cri_start          containerd (its CRI plugin on, the others as engines.lib.sh's
#                      containerd_start) under $ENGINE_TMP/cri, with
#                        runtime handlers "runc" (/usr/sbin/runc, the default) and "bottle"
#                          ($ENGINE_RUNTIME_PATH as BinaryName of the runc v2 shim, bottle's state
#                          root $CRI_BOTTLE_ROOT; pod_annotations and container_annotations
#                          "bottle.*" passed through, as docs/engines.md tells operators);
#                        CNI: bridge cnibr0 + host-local (pods in $CRI_POD_CIDR, the node at
#                          $CRI_NODE_IP) + loopback from /usr/lib/cni, ipMasq on, so pods reach
#                          the test internet as the node; IPAM state under the temp dir, netns
#                          bind mounts under the state dir;
#                        the sandbox image $CRI_PAUSE_IMAGE and the app image $CRI_IMAGE (both
#                          the busybox-static rootfs, imported: nothing is pulled);
#                      sets CRI_SOCK, CRI_BOTTLE_ROOT; waits for RuntimeReady and NetworkReady
#   cri ARGS...        the CRI client (tests/helpers/cri-client) against it, under a time limit
#   cri_pod_json FILE NAME [HANDLER-ANNOTATIONS-JSON] [HOSTNET]
#                      a PodSandboxConfig as a kubelet writes it (uid, cgroup_parent
#                      $ENGINE_CGROUP_PARENT/pod<uid>, log dir, network POD or NODE, pid
#                      CONTAINER); annotations: a JSON object
#   cri_ctr_json FILE NAME CMD...   a ContainerConfig running CMD in $CRI_IMAGE as a kubelet
#                      writes it (pid CONTAINER, the default masked and read-only /proc paths)
#   cri_run_container POD_ID POD_JSON NAME CMD...  create + start; prints the id
#   cri_pod_ip POD_ID  the pod IP (PodSandboxStatus .status.network.ip)
#   cri_state ID / cri_pod_state POD_ID  CONTAINER_RUNNING..., SANDBOX_READY...
#   cri_wait_state ID STATE           until the container reaches STATE (10 s at most; an
#                      exited container fails at once)
#   cri_remove_pod POD_ID             what a kubelet does to delete a pod (cri-client down):
#                      stop and remove each container, StopPodSandbox, RemovePodSandbox, then
#                      the pod's cgroup directory (the kubelet's own; empty once the runtime is
#                      done)
#   cri_pod_cgroup_leftovers UID      cgroup dirs left under the pod's cgroup parent
#   cri_cleanup        every pod removed through the CRI (the test's EXIT trap runs it first,
#                      as engine_bottled_pre_cleanup), CNI cache files of this network;
#                      engines_cleanup then stops containerd and the shims and unmounts what
#                      is under the temp dir
#
# Knob: CRI_RUNC, the binary of the "runc" handler (default: runc on PATH), e.g. a wrapper that
# keeps runc's --debug log for a failing sandbox.
#
# The client's npm modules are installed by `make deps` (tests/helpers/cri-client/install.sh);
# if they are missing, cri_start installs them (needs the npm registry once).

CRI_IMAGE=docker.io/library/bottle-busybox:cri
CRI_PAUSE_IMAGE=docker.io/library/bottle-pause:cri
CRI_POD_CIDR=203.0.113.0/24
CRI_NODE_IP=203.0.113.1
CRI_NETWORK=bottle-cri-$$
CRI_SOCK='' CRI_BOTTLE_ROOT='' _cri_node_modules=''

cri() { NODE_PATH=$_cri_node_modules timeout 150 node "$BOTTLE_TOP/tests/helpers/cri-client/cri-client.js" --socket "$CRI_SOCK" "$@"; }

engine_bottled_pre_cleanup() { cri_cleanup; }

cri_start() {
  engines_need containerd ctr containerd-shim-runc-v2 runc node /usr/lib/cni/bridge /usr/lib/cni/host-local \
    /usr/lib/cni/loopback iptables
  [ -x "$ENGINE_RUNTIME_PATH" ] || { echo "runtime under test not built: $ENGINE_RUNTIME_PATH"; exit 1; }
  _cri_node_modules=$("$BOTTLE_TOP/tests/helpers/cri-client/install.sh" "$BUILD") ||
    { echo "the CRI client's npm modules could not be installed (make deps)"; exit 1; }
  local d=$ENGINE_TMP/cri i
  mkdir -p "$d/cni" "$d/ipam" "$d/logs"
  CRI_SOCK=$d/c.sock
  CTR_SOCK=$CRI_SOCK CTR_NS=k8s.io
  CRI_BOTTLE_ROOT=$d/bottle-root/k8s.io
  cat >"$d/cni/10-bottle-cri.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "$CRI_NETWORK",
  "plugins": [
    {
      "type": "bridge", "bridge": "cnibr0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$d/ipam",
        "ranges": [[{"subnet": "$CRI_POD_CIDR", "gateway": "$CRI_NODE_IP"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "loopback"}
  ]
}
EOF
  cat >"$d/config.toml" <<EOF
version = 2
root = "$d/root"
state = "$d/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$CRI_SOCK"
[ttrpc]
  address = "$CRI_SOCK.ttrpc"
[debug]
  address = "$d/debug.sock"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$d/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$CRI_PAUSE_IMAGE"
  netns_mounts_under_state_dir = true
  disable_apparmor = true
  # The test runs without CAP_SYS_RESOURCE in some sandboxes: never below containerd's own.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$d/cni"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    snapshotter = "overlayfs"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "${CRI_RUNC:-$(command -v runc)}"
        Root = "$d/runc-root"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.bottle]
      runtime_type = "io.containerd.runc.v2"
      pod_annotations = ["bottle.*"]
      container_annotations = ["bottle.*"]
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.bottle.options]
        BinaryName = "$ENGINE_RUNTIME_PATH"
        Root = "$d/bottle-root"
EOF
  containerd --config "$d/config.toml" >"$d/containerd.log" 2>&1 &
  _containerd_pid=$! # engines.lib.sh's: engines_cleanup stops it
  local ready=""
  for i in $(seq 300); do
    ready=$(cri status 2>/dev/null | python3 -c '
import json, sys
conds = {c["type"]: c["status"] for c in json.load(sys.stdin)["status"]["conditions"]}
print("yes" if conds.get("RuntimeReady") and conds.get("NetworkReady") else "no")' 2>/dev/null)
    [ "$ready" = yes ] && break
    kill -0 "$_containerd_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ "$ready" != yes ]; then
    echo "containerd's CRI did not become ready; its log:"
    tail -n 30 "$d/containerd.log"
    exit 1
  fi
  _cri_images || exit 1
}

cri_log() { cat "$ENGINE_TMP/cri/containerd.log"; }

# The busybox rootfs as two images in an OCI layout tar: the app image (sh) and the sandbox
# image, whose process only waits (the role of the pause binary; the CRI kills it with SIGKILL).
_cri_images() {
  local root=$ENGINE_TMP/rootfs out=$ENGINE_TMP/cri/images.tar i
  [ -d "$root/bin" ] || engines_busybox_rootfs "$root"
  python3 - "$root" "$out" "$(_engine_goarch)" "$CRI_IMAGE" "$CRI_PAUSE_IMAGE" <<'PY' || return 1
import hashlib, io, json, sys, tarfile
root, out, arch, app, pause = sys.argv[1:6]
blobs = {}
def blob(data, media):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    blobs[digest] = data
    return {"mediaType": media, "digest": digest, "size": len(data)}
layer = io.BytesIO()
with tarfile.open(fileobj=layer, mode="w", format=tarfile.PAX_FORMAT) as t:
    t.add(root, arcname=".")
layer = layer.getvalue()
diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
layer_desc = blob(layer, "application/vnd.oci.image.layer.v1.tar")
env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
manifests = []
for name, cfg in ((app, {"Env": env, "Cmd": ["sh"]}),
                  (pause, {"Env": env, "Entrypoint": ["/bin/sleep", "2147483647"]})):
    config = blob(json.dumps({"architecture": arch, "os": "linux", "config": cfg,
                              "rootfs": {"type": "layers", "diff_ids": [diff_id]}}).encode(),
                  "application/vnd.oci.image.config.v1+json")
    manifest = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                                "config": config, "layers": [layer_desc]}).encode(),
                    "application/vnd.oci.image.manifest.v1+json")
    manifest["annotations"] = {"org.opencontainers.image.ref.name": name}
    manifest["platform"] = {"architecture": arch, "os": "linux"}
    manifests.append(manifest)
files = {"oci-layout": b'{"imageLayoutVersion":"1.0.0"}',
         "index.json": json.dumps({"schemaVersion": 2, "manifests": manifests}).encode()}
files.update({"blobs/sha256/" + d[7:]: data for d, data in blobs.items()})
with tarfile.open(out, "w") as t:
    for name, data in files.items():
        info = tarfile.TarInfo(name)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
PY
  ctr -a "$CRI_SOCK" -n k8s.io image import "$out" >/dev/null || return 1
  # The CRI learns of imported images from containerd's events: wait until it knows both.
  for i in $(seq 100); do
    cri inspecti "$CRI_IMAGE" | grep -q '"id": "sha256' &&
      cri inspecti "$CRI_PAUSE_IMAGE" | grep -q '"id": "sha256' && return 0
    sleep 0.1
  done
  echo "the CRI does not know the imported images"
  return 1
}

# cri_pod_json FILE NAME [ANNOTATIONS-JSON] [hostnet]
cri_pod_json() {
  python3 - "$@" "$ENGINE_CGROUP_PARENT" "$ENGINE_TMP/cri/logs" <<'PY'
import json, sys, uuid
args = sys.argv[1:]
logs, parent = args.pop(), args.pop()
file, name = args[0], args[1]
annotations = json.loads(args[2]) if len(args) > 2 and args[2] else {}
hostnet = len(args) > 3 and args[3] == "hostnet"
uid = str(uuid.uuid4())
json.dump({
    "metadata": {"name": name, "uid": uid, "namespace": "default", "attempt": 0},
    "hostname": "" if hostnet else name,
    "log_directory": f"{logs}/default_{name}_{uid}",
    "dns_config": {},
    "labels": {"io.kubernetes.pod.name": name, "io.kubernetes.pod.namespace": "default",
               "io.kubernetes.pod.uid": uid},
    "annotations": annotations,
    "linux": {
        "cgroup_parent": f"{parent}/pod{uid}",
        "security_context": {"namespace_options": {"network": "NODE" if hostnet else "POD",
                                                   "pid": "CONTAINER", "ipc": "POD"},
                             "seccomp": {"profile_type": "Unconfined"}},
    },
}, open(file, "w"), indent=1)
PY
}

# cri_ctr_json FILE NAME CMD...
cri_ctr_json() {
  python3 - "$CRI_IMAGE" "$@" <<'PY'
import json, sys
image, file, name, cmd = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
json.dump({
    "metadata": {"name": name, "attempt": 0},
    "image": {"image": image},
    "command": cmd,
    "envs": [{"key": "POD_CONTAINER", "value": name}],
    "labels": {"io.kubernetes.container.name": name},
    "log_path": f"{name}/0.log",
    "linux": {"security_context": {
        "namespace_options": {"network": "POD", "pid": "CONTAINER", "ipc": "POD"},
        # A kubelet (1.26) always sends its default procMount lists and, for a pod that names
        # no seccomp profile, Unconfined.
        "masked_paths": ["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                         "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
                         "/proc/scsi", "/sys/firmware"],
        "readonly_paths": ["/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                           "/proc/sysrq-trigger"],
        "seccomp": {"profile_type": "Unconfined"},
    }},
}, open(file, "w"), indent=1)
PY
}

# cri_run_container POD_ID POD_JSON NAME CMD...: create + start, prints the id (fails if either does)
cri_run_container() {
  local pod=$1 podjson=$2 name=$3 id
  shift 3
  cri_ctr_json "$ENGINE_TMP/cri/$name.json" "$name" "$@"
  id=$(cri create "$pod" "$ENGINE_TMP/cri/$name.json" "$podjson") || return 1
  echo "$id"
  cri start "$id"
}

_cri_json_field() { python3 -c 'import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print("" if v is None else v)' "$1"; }

cri_pod_ip() { cri inspectp "$1" | _cri_json_field status.network.ip; }
cri_pod_state() { cri inspectp "$1" | _cri_json_field status.state; }
cri_state() { cri inspect "$1" | _cri_json_field status.state; }

cri_wait_state() {
  local now end=$((SECONDS + 10))
  while :; do
    now=$(cri_state "$1" 2>/dev/null)
    [ "$now" = "$2" ] && return 0
    # An exited container stays exited.
    [ "$now" = CONTAINER_EXITED ] || [ "$SECONDS" -ge "$end" ] && return 1
    sleep 0.1
  done
}

cri_remove_pod() {
  local pod=$1 rc=0 uid
  uid=$(cri inspectp "$pod" | _cri_json_field status.metadata.uid)
  cri down "$pod" >"$ENGINE_TMP/cri/down.json" || { rc=1; cat "$ENGINE_TMP/cri/down.json"; }
  [ -n "$uid" ] && _cri_rm_pod_cgroup "$uid"
  return "$rc"
}

# The kubelet makes and removes the pod's cgroup; the runtime removes what it made under it.
_cri_rm_pod_cgroup() {
  local h
  for h in $(_engine_cg_roots); do
    rmdir "$h${ENGINE_CGROUP_PARENT#/}/pod$1" 2>/dev/null
  done
  return 0
}

# cri_pod_cgroup_leftovers UID: cgroup directories the runtime left under the pod's parent.
cri_pod_cgroup_leftovers() {
  local h
  for h in $(_engine_cg_roots); do
    find "$h${ENGINE_CGROUP_PARENT#/}/pod$1" -mindepth 1 -type d 2>/dev/null
  done
}

cri_cleanup() {
  local pod
  # A test may stop with containerd frozen (SIGSTOP, to keep it from reacting to a kill).
  [ -n "${_containerd_pid:-}" ] && kill -CONT "$_containerd_pid" 2>/dev/null
  [ -n "$CRI_SOCK" ] && [ -S "$CRI_SOCK" ] && cri down --grace 2 >/dev/null 2>&1
  # A bottle the engine never deleted (a test stopped half-way): its sidecar, netns and links.
  if [ -n "$CRI_BOTTLE_ROOT" ] && [ -d "$CRI_BOTTLE_ROOT" ]; then
    for pod in $("$BOTTLE" --root "$CRI_BOTTLE_ROOT" list -q 2>/dev/null); do
      "$BOTTLE" --root "$CRI_BOTTLE_ROOT" delete --force "$pod" >/dev/null 2>&1
    done
    "$BOTTLE" --root "$CRI_BOTTLE_ROOT" gc --stopped >/dev/null 2>&1
  fi
  # go-cni keeps each attachment's result under /var/lib/cni/results (not configurable in 1.6);
  # a removed pod's goes with it, a crashed test's is removed here.
  rm -f /var/lib/cni/results/"$CRI_NETWORK"-* 2>/dev/null
  return 0
}
