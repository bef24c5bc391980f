#!/usr/bin/python3
"""Facts about a QEMU domain's memory cgroup, on every host the fork runs on.

The one place in the fork's scripts that knows where cgroups live and what
their files are called; tests/system/run, tools/measure, tools/demo and
tools/daemon all read cgroups through it.  Three layouts:

  v1            the memory controller has its own hierarchy,
                /sys/fs/cgroup/memory/machine/qemu-N-NAME.libvirt-qemu
  v2            unified hierarchy, no systemd-machined: libvirt makes
                /sys/fs/cgroup/machine/qemu-N-NAME.libvirt-qemu
  v2 + machined libvirt asks machined for a scope and works in its child:
                /sys/fs/cgroup/machine.slice/machine-qemu\\x2dN\\x2dNAME.scope/libvirt

The domain's cgroup is found from /proc/PID/cgroup of its QEMU, never
guessed.  On v2 QEMU's threads may sit in children that libvirt made for the
cpu controllers (emulator, vcpuN, iothreadN): the domain's cgroup is their
parent, where libvirt writes the memory limits.

Kernel semantics (Documentation/admin-guide/cgroup-v1/memory.rst and
cgroup-v2.rst): a v1 memsw limit counts memory plus swap, v2 memory.swap.max
swap alone; both round a limit down to the page size; v1 reports "no limit"
as a page-rounded 2^63-1, v2 as "max"; memory.peak exists from Linux 5.19,
the v1 oom_kill counter of memory.oom_control from 4.13.

As a command, for shell scripts (one value per line, "unlimited" for no
limit, "none" for a file this kernel lacks; exit 1 when there is no such
cgroup):
    cgfacts.py layout                  v1, v2 or none
    cgfacts.py root                    where the cgroup file systems are mounted
    cgfacts.py path PID                the domain cgroup of QEMU process PID
    cgfacts.py get PID|DIR FACT...     FACT: limit_kib, usage_kib, peak_kib,
                                       anon_kib, file_kib, oom_kills, failcnt,
                                       limit_file, version
    cgfacts.py leftovers PREFIX        cgroups of domains named PREFIX*
    cgfacts.py remove DIR...           rmdir them, children first
"""
import os
import re
import subprocess
import sys

ROOT = "/sys/fs/cgroup"
V1_UNLIMITED = 9223372036854771712          # 2^63-1 rounded down to 4 KiB pages
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
# children libvirt creates for the cpu controllers (qemu_cgroup.c)
THREAD_GROUP = re.compile(r"^(emulator|vcpu\d+|iothread\d+)$")


class NoCgroup(Exception):
    pass


def layout():
    """'v1' when the memory controller has a v1 hierarchy, 'v2' when it is
    available on the unified one, None without a memory controller."""
    if os.path.isfile(os.path.join(ROOT, "memory", "memory.limit_in_bytes")):
        return "v1"
    try:
        with open(os.path.join(ROOT, "cgroup.controllers")) as f:
            if "memory" in f.read().split():
                return "v2"
    except OSError:
        pass
    return None


def _read(path):
    with open(path) as f:
        return f.read().strip()


def _kv(path):
    out = {}
    for line in _read(path).splitlines():
        k, _, v = line.partition(" ")
        out[k] = int(v) if v.strip().lstrip("-").isdigit() else v.strip()
    return out


def page_floor_kib(kib):
    """The limit the kernel keeps when asked for kib KiB (v1 and v2 alike)."""
    return kib // PAGE_KIB * PAGE_KIB


class MemCgroup:
    """A memory cgroup directory and the files of its hierarchy's version."""

    V1 = dict(limit="memory.limit_in_bytes", swap="memory.memsw.limit_in_bytes",
              soft="memory.soft_limit_in_bytes", usage="memory.usage_in_bytes",
              peak="memory.max_usage_in_bytes")
    V2 = dict(limit="memory.max", swap="memory.swap.max", soft="memory.high",
              usage="memory.current", peak="memory.peak")

    def __init__(self, path, version=None):
        self.path = path
        self.version = version or (1 if os.path.exists(os.path.join(path, "memory.limit_in_bytes"))
                                   else 2)
        self.files = self.V1 if self.version == 1 else self.V2

    def __str__(self):
        return self.path

    @classmethod
    def of_pid(cls, pid):
        """The domain cgroup of QEMU process pid (v1: its memory hierarchy)."""
        try:
            lines = _read("/proc/%d/cgroup" % pid).splitlines()
        except OSError as e:
            raise NoCgroup("process %d: %s" % (pid, e))
        for line in lines:
            _, ctrls, rel = line.split(":", 2)
            if "memory" in ctrls.split(","):
                return cls(os.path.join(ROOT, "memory") + rel, 1)
        for line in lines:
            hid, ctrls, rel = line.split(":", 2)
            if hid == "0" and ctrls == "" and layout() == "v2":
                parts = rel.strip("/").split("/")
                while len(parts) > 1 and THREAD_GROUP.match(parts[-1]):
                    parts.pop()
                return cls(os.path.join(ROOT, *parts), 2)
        raise NoCgroup("process %d is in no memory cgroup" % pid)

    @property
    def name(self):
        """The path inside its hierarchy, as the kernel prints it (oom_memcg=)."""
        top = os.path.join(ROOT, "memory") if self.version == 1 else ROOT
        return "/" + os.path.relpath(self.path, top)

    def file(self, fact):
        """The file name behind a fact ('limit', 'swap', 'soft', 'usage', 'peak')."""
        return self.files[fact]

    def exists(self):
        return os.path.isdir(self.path)

    def raw(self, name):
        return _read(os.path.join(self.path, name))

    def has(self, name):
        return os.path.exists(os.path.join(self.path, name))

    def _bytes_kib(self, fact):
        """A byte value (limit or usage) in KiB; None for no limit."""
        v = self.raw(self.files[fact])
        if v == "max":
            return None
        v = int(v)
        return None if self.version == 1 and v >= V1_UNLIMITED else v // 1024

    def limit_kib(self):
        return self._bytes_kib("limit")

    def swap_limit_kib(self):
        """v1: memory + swap; v2: swap alone (the kernel's semantics)."""
        return self._bytes_kib("swap")

    def soft_limit_kib(self):
        return self._bytes_kib("soft")

    def usage_kib(self):
        return self._bytes_kib("usage")

    def peak_kib(self):
        """Highest usage since creation (or reset); None where the kernel has
        no such file (v2 before Linux 5.19)."""
        if not self.has(self.files["peak"]):
            return None
        return self._bytes_kib("peak")

    def reset_peak(self):
        """Restart the peaks (and v1 failcnt); False where the kernel cannot
        (v2: memory.peak is reset by a write only from Linux 6.12)."""
        if self.version == 1:
            for f in ("memory.max_usage_in_bytes", "memory.failcnt",
                      "memory.kmem.max_usage_in_bytes"):
                if self.has(f):
                    with open(os.path.join(self.path, f), "w") as fh:
                        fh.write("0")
            return True
        return False

    def stat(self):
        return _kv(os.path.join(self.path, "memory.stat"))

    def anon_kib(self, stat=None):
        """Anonymous memory of the cgroup and its children."""
        st = stat or self.stat()
        return (st["total_rss"] if self.version == 1 else st["anon"]) // 1024

    def file_kib(self, stat=None):
        """Page cache of the cgroup and its children."""
        st = stat or self.stat()
        return (st["total_cache"] if self.version == 1 else st["file"]) // 1024

    def stat_kib(self, stat=None):
        """The memory.stat figures both versions have, in KiB, by their v2
        names: anon, file, file_dirty, shmem; kernel is None on v1."""
        st = stat or self.stat()
        if self.version == 1:
            return dict(anon=st["total_rss"] // 1024, file=st["total_cache"] // 1024,
                        file_dirty=st.get("total_dirty", 0) // 1024,
                        shmem=st.get("total_shmem", 0) // 1024, kernel=None)
        return dict(anon=st["anon"] // 1024, file=st["file"] // 1024,
                    file_dirty=st.get("file_dirty", 0) // 1024, shmem=st.get("shmem", 0) // 1024,
                    kernel=st.get("kernel", st.get("kernel_stack", 0)) // 1024)

    def kmem_peak_kib(self):
        """v1 kernel memory peak; None elsewhere (v2 has no such file)."""
        if self.version == 1 and self.has("memory.kmem.max_usage_in_bytes"):
            return int(self.raw("memory.kmem.max_usage_in_bytes")) // 1024
        return None

    def events(self):
        """v2 memory.events (hierarchical); v1 memory.oom_control."""
        if self.version == 1:
            return _kv(os.path.join(self.path, "memory.oom_control"))
        return _kv(os.path.join(self.path, "memory.events"))

    def oom_kills(self):
        """Processes the OOM killer of this cgroup killed; None where the kernel
        does not count (v1 before Linux 4.13)."""
        return self.events().get("oom_kill")

    def failcnt(self):
        """How often usage hit the limit: v1 memory.failcnt, v2 the 'max'
        event of memory.events."""
        if self.version == 1:
            return int(self.raw("memory.failcnt"))
        return self.events().get("max", 0)

    def under_oom(self):
        return self.events().get("under_oom", 0) if self.version == 1 else 0

    def set_limit_raw(self, value):
        with open(os.path.join(self.path, self.files["limit"]), "w") as f:
            f.write(str(value))


def domain_cgroups(prefix):
    """Cgroup directories libvirt made for QEMU domains whose names start with
    prefix, in any layout (e.g. left behind by a daemon that died)."""
    esc = prefix.replace("-", "\\x2d")
    plain = re.compile(r"^qemu-\d+-%s.*\.libvirt-qemu$" % re.escape(prefix))
    scope = re.compile(r"^machine-qemu\\x2d\d+\\x2d%s.*\.scope$" % re.escape(esc))
    found = []
    for dirpath, dirnames, _ in os.walk(ROOT):
        if dirpath.count("/") > 9:
            dirnames[:] = []
            continue
        for d in list(dirnames):
            if plain.match(d) or scope.match(d):
                found.append(os.path.join(dirpath, d))
                dirnames.remove(d)
    return sorted(found)


def remove(path):
    """rmdir a cgroup directory, children first; True if it is gone.  A scope
    belongs to systemd: stop it there, then remove what is left."""
    base = os.path.basename(path)
    if base.endswith(".scope") and os.path.exists("/run/systemd/system"):
        subprocess.run(["systemctl", "stop", base], capture_output=True)
    for dirpath, _, _ in os.walk(path, topdown=False):
        try:
            os.rmdir(dirpath)
        except OSError:
            pass
    return not os.path.exists(path)


def host_oom_kills():
    """OOM kills of the whole host (any cgroup) since boot, /proc/vmstat."""
    for line in _read("/proc/vmstat").splitlines():
        if line.startswith("oom_kill "):
            return int(line.split()[1])
    return 0


def _fact(cg, name):
    if name == "version":
        return "v%d" % cg.version
    if name == "limit_file":
        return cg.file("limit")
    v = getattr(cg, name)()
    return "none" if v is None and name in ("peak_kib", "oom_kills") else \
        "unlimited" if v is None else str(v)


def main(argv):
    if not argv:
        sys.stderr.write(__doc__)
        return 2
    cmd, args = argv[0], argv[1:]
    try:
        if cmd == "layout":
            print(layout() or "none")
        elif cmd == "root":
            print(ROOT)
        elif cmd == "path":
            print(MemCgroup.of_pid(int(args[0])).path)
        elif cmd == "get":
            what = args[0]
            cg = MemCgroup(what) if what.startswith("/") else MemCgroup.of_pid(int(what))
            if not cg.exists():
                raise NoCgroup("no cgroup %s" % cg.path)
            for name in args[1:]:
                print(_fact(cg, name))
        elif cmd == "leftovers":
            for d in domain_cgroups(args[0]):
                print(d)
        elif cmd == "remove":
            ok = True
            for d in args:
                if not d.startswith(ROOT + "/"):
                    raise NoCgroup("%s is not a cgroup" % d)
                if remove(d):
                    print("removed cgroup %s" % d)
                else:
                    ok = False
                    print("could not remove cgroup %s" % d)
            return 0 if ok else 1
        else:
            sys.stderr.write("cgfacts: unknown command %s\n" % cmd)
            return 2
    except (NoCgroup, OSError, KeyError, ValueError) as e:
        sys.stderr.write("cgfacts: %s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
