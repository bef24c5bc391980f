# Sourced by tools/guest and tools/lab: the kernel modules an initramfs
# needs, from the modules tree of the Debian kernel that tools/guest unpacks.
# shellcheck shell=bash

# kmod_order MODDIR MODULE...: print the .ko files of the MODULEs and of
# what they depend on (each .ko's modinfo "depends="), dependencies first,
# each once; fails, saying which, if one is missing
kmod_order() {
    local moddir=$1 m
    local -A seen=()
    shift
    for m in "$@"; do _kmod_add "$m" || return 1; done
}

# shellcheck disable=SC2154  # moddir and seen are kmod_order's locals
_kmod_add() {
    local m=$1 f d
    [[ -n ${seen[$m]:-} ]] && return 0
    seen[$m]=1
    f=$(find "$moddir/kernel" \( -name "$m.ko" -o -name "${m//_/-}.ko" \) | head -1)
    [[ -n $f ]] || { echo "module $m not found in $moddir" >&2; return 1; }
    for d in $(grep -a -o 'depends=[a-z0-9_,-]*' "$f" | head -1 | sed 's/depends=//; s/,/ /g'); do
        _kmod_add "$d" || return 1
    done
    echo "$f"
}
