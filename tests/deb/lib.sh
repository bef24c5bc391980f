# shellcheck shell=bash
# Shared by tests/deb/run and tests/deb/in-lab: results, and a domain run
# by the packaged daemon and virsh on qemu:///system.
URI=qemu:///system
VIRSH=/usr/bin/virsh
TESTS_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# shellcheck source=tests/lib.sh
. "$TESTS_TOP/tests/lib.sh"

# domain_checks NAME: define and start a 256 MiB domain with a vga video
# device, no disk, no <hard_limit>; check that virsh memtune and its memory
# cgroup hold the formula's value and its XML no hard_limit. It stays
# running; CGDIR is its cgroup.
domain_checks() {
    local name=$1 xml memtune hard pid f cg n
    xml=$(mktemp)
    /usr/bin/python3 "$TESTS_TOP/tools/lib/forkdom.py" xml "$name" 256 --video vga > "$xml"
    mapfile -t f < <(/usr/bin/python3 "$TESTS_TOP/tools/lib/forkdom.py" formula $((256 * 1024)) 16384 0)
    echo "the formula: ${f[1]}"
    echo "\$ virsh -c $URI define $xml && virsh -c $URI start $name"
    "$VIRSH" -c "$URI" define "$xml" && "$VIRSH" -c "$URI" start "$name"
    check "virsh define and start $name" [ $? -eq 0 ]
    rm -f "$xml"
    echo "\$ virsh -c $URI memtune $name"
    memtune=$("$VIRSH" -c "$URI" memtune "$name" 2>&1)
    echo "$memtune"
    hard=$(echo "$memtune" | awk '$1 == "hard_limit" {print $3}')
    check "virsh memtune: hard_limit ${hard:-?} KiB, the formula's ${f[0]}" [ "${hard:-none}" = "${f[0]}" ]
    pid=$(cat "/run/libvirt/qemu/$name.pid" 2>/dev/null)
    CGDIR=$(/usr/bin/python3 "$TESTS_TOP/tools/lib/cgfacts.py" path "${pid:-0}" 2>&1)
    mapfile -t cg < <(/usr/bin/python3 "$TESTS_TOP/tools/lib/cgfacts.py" get "${pid:-0}" limit_kib limit_file 2>&1)
    echo "\$ cat $CGDIR/${cg[1]:-?}"
    cat "$CGDIR/${cg[1]:-?}" 2>&1
    check "the domain's cgroup $CGDIR holds the formula's value (${cg[0]:-?} KiB)" [ "${cg[0]:-}" = "${f[0]}" ]
    n=$({ "$VIRSH" -c "$URI" dumpxml "$name" && "$VIRSH" -c "$URI" dumpxml --inactive "$name" ||
           echo "dumpxml failed: hard_limit unknown"; } | grep -c hard_limit)
    check "no <hard_limit> in the domain's live or saved XML" [ "$n" -eq 0 ]
}

domain_remove() {
    "$VIRSH" -c "$URI" destroy "$1" > /dev/null 2>&1
    "$VIRSH" -c "$URI" undefine "$1" > /dev/null 2>&1
}
