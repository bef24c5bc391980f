# Sourced by the tools: paths and settings shared by every verb.
# shellcheck shell=bash disable=SC2034  # its variables are for the tools that source it
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=tools/upstream.env
. "$TOP/tools/upstream.env"

TARBALL=libvirt_${LIBVIRT_VERSION}.orig.tar.xz
DEBIAN_TARBALL=libvirt_${DEBIAN_SOURCE_VERSION}.debian.tar.xz
PATCHES=$TOP/patches
BUILD=$TOP/build
DL=$BUILD/dl                # downloaded source package
TREE=$BUILD/libvirt         # prepared git tree: upstream + Debian's patches + the series
TREE_UPSTREAM=$BUILD/libvirt-upstream   # upstream + the series (what upstream reviews)
OBJ=$BUILD/obj              # build for tests and the private daemon
ROOT=$BUILD/root            # its private prefix: etc, var, run live here

# Commits made by the tools do not depend on the user's git setup
export GIT_COMMITTER_NAME="libvirt-fork tools"
export GIT_COMMITTER_EMAIL="tools@libvirt-fork.invalid"

# The pyenv python3 first in PATH on these machines lacks pytest
PYTHON=/usr/bin/python3

log() { printf '%s: %s\n' "$(basename "$0")" "$*"; }
die() { printf '%s: error: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

# Refuse at once, in one line, what only root can do
need_root() { [ "$(id -u)" -eq 0 ] || die "needs root: $*"; }

# The patch files of patches/series, in order
series_list() { grep -v -e '^#' -e '^[[:space:]]*$' "$PATCHES/series" 2>/dev/null || true; }

# A hash of the base (upstream, or upstream with Debian's patch queue: $1),
# the series and its patches: a tree records the one it holds
series_stamp() {
    local p
    { echo "base ${1:-debian} $TARBALL_SHA256"
      [ "${1:-debian}" = upstream ] || echo "$DEBIAN_TARBALL_SHA256"
      cat "$PATCHES/series"; for p in $(series_list); do cat "$PATCHES/$p"; done; } |
        sha256sum | cut -d' ' -f1
}

# tree_work TREE: whether a prepared tree holds work that would be lost with
# it: uncommitted changes, stashes, a HEAD, branch, tag or worktree with
# commits beyond the head tools/export wrote to patches/. Prints why and
# fails if so, and for a tree git cannot read (another owner, damage);
# succeeds, silently, for a tree that holds nothing of its own.
tree_work() {
    local tree=$1 head st refs wts what rev
    git -C "$tree" rev-parse -q --verify HEAD > /dev/null || { echo "git cannot read it"; return 1; }
    head=$(git -C "$tree" config fork.head) || { echo "it records no exported head (fork.head)"; return 1; }
    st=$(git -C "$tree" status --porcelain) || { echo "git status failed"; return 1; }
    [ -z "$st" ] || { echo "it has uncommitted changes: commit them and run tools/export"; return 1; }
    st=$(git -C "$tree" stash list) || { echo "git stash list failed"; return 1; }
    [ -z "$st" ] || { echo "it has stashes ($(echo "$st" | wc -l)): apply or drop them"; return 1; }
    refs=$(git -C "$tree" for-each-ref --format='%(refname:short) %(objectname)' refs/heads refs/tags) ||
        { echo "git cannot list its refs"; return 1; }
    wts=$(git -C "$tree" worktree list --porcelain) || { echo "git cannot list its worktrees"; return 1; }
    while read -r what rev; do
        [ -n "$rev" ] || continue
        git -C "$tree" merge-base --is-ancestor "$rev" "$head" 2>/dev/null ||
            { echo "$what has commits that are not in patches/: run tools/export (from that commit)"; return 1; }
    done < <(echo "$refs"
             echo "$wts" | awk '/^worktree /{w=$2} /^HEAD /{print "worktree_" w, $2}')
}

# A meson native file that points meson at Debian's python3
native_file() {
    mkdir -p "$BUILD"
    printf "[binaries]\npython3 = '%s'\npython = '%s'\n" "$PYTHON" "$PYTHON" > "$BUILD/native.ini"
    echo "$BUILD/native.ini"
}
