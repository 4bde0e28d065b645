#!/usr/bin/env bash
# linux.sysctl: a container's init writes each sysctl as host root, so only sysctls of
# namespaces the container does not share with the host are allowed (runc's and crun's rule).
# One bundle under runc, crun and bottle side by side: the host's own sysctls (kernel.*, one of
# the host's ipc namespace, one of the host's network namespace, joined or absent) are refused
# by each and the host's values stay; the namespaces' own (net.* with a network namespace,
# kernel.domainname with a UTS one, a slash-separated name) are set inside alike.
source "$(dirname "$0")/../tests/lib.sh"
source "$(dirname "$0")/../tests/bundle.lib.sh"
source "$(dirname "$0")/runtime_conformance.lib.sh"

# Each refusal is checked against the host's value; a runtime that wrote it puts it back.
HOST_BURST=$(cat /proc/sys/kernel/printk_ratelimit_burst)
HOST_MSGMAX=$(cat /proc/sys/fs/mqueue/msg_max)
HOST_PORT=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
restore() {
  echo "$HOST_BURST" >/proc/sys/kernel/printk_ratelimit_burst
  echo "$HOST_MSGMAX" >/proc/sys/fs/mqueue/msg_max
  echo "$HOST_PORT" >/proc/sys/net/ipv4/ip_unprivileged_port_start
}
cleanup_extra() { restore; }
host_unchanged() { # WHAT
  check_eq "$1: the host's kernel.printk_ratelimit_burst is untouched" "$HOST_BURST" \
    "$(cat /proc/sys/kernel/printk_ratelimit_burst)"
  check_eq "$1: the host's fs.mqueue.msg_max is untouched" "$HOST_MSGMAX" "$(cat /proc/sys/fs/mqueue/msg_max)"
  check_eq "$1: the host's net.ipv4.ip_unprivileged_port_start is untouched" "$HOST_PORT" \
    "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)"
  restore
}
without() { echo "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != '$1']"; }

run_all host_kernel "c['linux']['sysctl'] = {'kernel.printk_ratelimit_burst': '$((HOST_BURST + 1))'}" true
all_fail host_kernel "not in a separate kernel namespace|is not namespaced"
host_unchanged host_kernel

run_all host_ipc "$(without ipc); c['linux']['sysctl'] = {'fs.mqueue.msg_max': '$((HOST_MSGMAX + 1))'}" true
all_fail host_ipc "ipc namespace"
host_unchanged host_ipc

run_all host_net "$(without network); c['linux']['sysctl'] = {'net.ipv4.ip_unprivileged_port_start': '80'}" true
all_fail host_net "network namespace"
host_unchanged host_net

run_all hostname_sysctl "c['linux']['sysctl'] = {'kernel.hostname': 'other'}" true
all_fail hostname_sysctl "conflicts with (the )?OCI"

# The namespaces' own: set inside, the host's untouched.
run_all own_net "c['linux']['sysctl'] = {'net/ipv4/ip_unprivileged_port_start': '80'}" \
  cat /proc/sys/net/ipv4/ip_unprivileged_port_start
same own_net 80
run_all own_uts "c['linux']['sysctl'] = {'kernel.domainname': 'bottle.test'}" cat /proc/sys/kernel/domainname
same own_uts bottle.test
run_all own_ipc "c['linux']['sysctl'] = {'fs.mqueue.msg_max': '$((HOST_MSGMAX + 1))'}" cat /proc/sys/fs/mqueue/msg_max
same own_ipc "$((HOST_MSGMAX + 1))"
host_unchanged own

finish
