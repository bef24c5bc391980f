# Sourced by tools/guest: the uncompressed kernel of a Debian bzImage. It is
# an ELF with a PVH entry note, which QEMU boots directly (-kernel, or a
# domain's <kernel>): the kernel does not unpack itself under emulation,
# seconds under TCG and far more under TCG inside TCG.
# shellcheck shell=bash

# vmlinux_from BZIMAGE OUT: write the ELF of BZIMAGE's xz-compressed kernel
# to OUT; fails, writing nothing, if there is none or it has no PVH note
vmlinux_from() {
    local bz=$1 out=$2 off
    off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$bz" | head -1 | cut -d: -f1 || true)
    # (xz stops at the end of its stream: no pipe, whose writer would fail)
    if [[ -n $off ]] && xz -dc --single-stream < <(tail -c +$((off + 1)) "$bz") > "$out.tmp" 2>/dev/null &&
        readelf -n "$out.tmp" 2>/dev/null | grep -q 'Unknown note type: (0x00000012)'; then
        mv "$out.tmp" "$out"
    else
        rm -f "$out.tmp"
        return 1
    fi
}
