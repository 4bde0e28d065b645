# bash completion for bottle(8) and bottle-run(8). Installed as
# /usr/share/bash-completion/completions/bottle (and bottle-run, a link to it).

_bottle_ids() {
  # Containers under --root if the command line gives one, else every root `bottle logs` searches
  # (only what the user may read: the roots are root's).
  local root=$1 logs=$2 d
  if [ -n "$root" ]; then
    "${COMP_WORDS[0]}" --root "$root" list -q 2>/dev/null
    [ "$logs" = 1 ] && ls "$root/.bottle" 2>/dev/null
    return
  fi
  if [ "$logs" = 1 ]; then
    for d in /run/bottle /run/docker/runtime-runc/moby /run/containerd/runc/* /run/containerd/bottle/*; do
      ls "$d/.bottle" 2>/dev/null
    done
  else
    "${COMP_WORDS[0]}" list -q 2>/dev/null
  fi
}

_bottle() {
  local cur prev verb="" root="" i
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD - 1]}
  local globals="--root --log --log-format --debug --systemd-cgroup --config --version --help"
  local verbs="create start run state kill delete list ps exec features spec events pause resume
    update checkpoint restore logs policy gc"
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      --root) root=${COMP_WORDS[i + 1]}; i=$((i + 1)) ;;
      --root=*) root=${COMP_WORDS[i]#--root=} ;;
      --log | --log-format | --config) i=$((i + 1)) ;;
      -*) ;;
      *) verb=${COMP_WORDS[i]}; break ;;
    esac
  done
  case $prev in
    --root | --bundle | -b) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --log | --config | --pid-file | --process | -p | --resources | -r)
      COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --log-format) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
    --allow | --deny) [ "$verb" = policy ] && return ;; # a host: nothing to offer
    --format | -f) [ "$verb" = list ] || [ "$verb" = ps ] && { COMPREPLY=($(compgen -W "table json" -- "$cur")); return; } ;;
  esac
  if [ -z "$verb" ]; then
    COMPREPLY=($(compgen -W "$globals $verbs" -- "$cur"))
    return
  fi
  local opts="--help"
  case $verb in
    create | run) opts="$opts --bundle --console-socket --pid-file --no-pivot --no-new-keyring --preserve-fds --pidfd-socket"
      [ "$verb" = run ] && opts="$opts --detach --keep --no-subreaper" ;;
    kill) opts="$opts --all" ;;
    delete) opts="$opts --force" ;;
    list) opts="$opts --format --quiet" ;;
    ps) opts="$opts --format" ;;
    exec) opts="$opts --process --cwd --env --tty --user --additional-gids --cap --no-new-privs --detach --pid-file --console-socket --preserve-fds --cgroup --ignore-paused" ;;
    spec) opts="$opts --bundle --rootless" ;;
    events) opts="$opts --interval --stats" ;;
    update) opts="$opts --resources --memory --memory-swap --cpu-quota --cpu-period --cpu-share --cpuset-cpus --pids-limit" ;;
    logs) opts="$opts --follow --blocked --json" ;;
    policy) opts="$opts --allow --deny" ;;
    gc) opts="$opts --stopped" ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    return
  fi
  case $verb in
    list | features | spec | gc) ;;
    logs) COMPREPLY=($(compgen -W "$(_bottle_ids "$root" 1)" -- "$cur")) ;;
    *) COMPREPLY=($(compgen -W "$(_bottle_ids "$root" 0)" -- "$cur")) ;;
  esac
}

_bottle_run() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  case $prev in
    --config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --root) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --profile | --allow) return ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "--profile --allow --config --root --dry-run --yes --help" -- "$cur"))
  else
    COMPREPLY=($(compgen -d -- "$cur"))
  fi
}

complete -F _bottle bottle
complete -F _bottle_run bottle-run
