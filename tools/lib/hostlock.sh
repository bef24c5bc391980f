# shellcheck shell=bash
# The host-wide lock of the fork's private daemons. Domain cgroup names
# (qemu-N-fork-*, N from 1 in every daemon), scans of /sys/fs/cgroup, host
# memory and the kernel's OOM counters are shared by every clone on a host:
# one user at a time. tools/daemon start, stop and restart take the lock; the
# system tests, tools/measure, tools/demo, tools/lab and tools/check hold it
# for their whole run (tools/lib/hostlock.py is the same in Python). The
# lock file says who holds it. FORK_HOST_LOCK in the environment says that a
# parent holds it; daemons never inherit it (tools/daemon closes the fd).
# FORK_HOST_LOCK_FILE names another lock file (tests/tools/run: scratch
# clones that must not wait for, or end, the real users).
HOST_LOCK_FILE=${FORK_HOST_LOCK_FILE:-/run/lock/libvirt-fork.lock}

# host_lock WHAT: take the lock on fd 7, waiting with a message if another
# user holds it; no-op when a parent holds it
host_lock() {
    [[ ${FORK_HOST_LOCK:-} == "$HOST_LOCK_FILE" ]] && return 0
    mkdir -p "${HOST_LOCK_FILE%/*}"
    exec 7>>"$HOST_LOCK_FILE"
    if ! flock -n 7; then
        echo "$1: waiting for the host-wide lock $HOST_LOCK_FILE, held by" \
            "$(cat "$HOST_LOCK_FILE" 2>/dev/null || echo '?')"
        local t0=$SECONDS
        flock 7
        echo "$1: got the lock after $((SECONDS - t0)) s"
    fi
    printf '%s (pid %d) in %s since %s\n' "$1" "$$" \
        "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)" "$(date -u +%FT%TZ)" > "$HOST_LOCK_FILE"
    export FORK_HOST_LOCK=$HOST_LOCK_FILE
}
