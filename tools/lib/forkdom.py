"""What the fork's scripts share about test domains: the paths of the build,
the default's formula, virsh, the domain XML (with the test guest of
tools/guest) and a sampler of a domain's memory cgroup.  tests/system/run and
tools/measure import it; tools/demo runs it:

    forkdom.py formula MEM_KIB VIDEO_KIB NDISKS    the limit, then its terms
    forkdom.py xml NAME MEM_MIB [--disk PATH[:FORMAT]]... [--video MODEL]
                   [--workload W --serial PATH]    a domain's XML
"""
import argparse
import os
import subprocess
import sys
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OBJ = os.environ.get("FORK_LIBVIRT_OBJ", os.path.join(TOP, "build", "obj"))
ROOT = os.path.join(TOP, "build", "root")
GUEST = os.path.join(TOP, "build", "guest")
VIRSH = os.path.join(OBJ, "tools", "virsh")
QEMU = "/usr/bin/qemu-system-x86_64"
MiB = 1024                                  # in KiB
# libvirt's default vram of a video model, KiB (what the formula counts)
VRAM_DEFAULT = {"vga": 16384, "cirrus": 16384, "bochs": 16384, "qxl": 65536,
                "virtio": 0, "none": 0, None: 0}


# ---------------------------------------------------------------- formula --

def formula(mem, video, ndisks, percent=150, per_disk=32768, base=204800):
    """The default in KiB for mem and video KiB and ndisks disks, with the
    qemu.conf settings default_memory_hard_limit_{percent,per_disk,base}."""
    return (mem + video) * percent // 100 + per_disk * ndisks + base


def formula_text(mem, video, ndisks, percent=150, per_disk=32768, base=204800):
    factor = "3/2" if percent == 150 else "%d/100" % percent
    return ("(mem %d + video %d) * %s + %d * %d disk(s) + %d = %d KiB"
            % (mem, video, factor, per_disk, ndisks, base,
               formula(mem, video, ndisks, percent, per_disk, base)))


# ------------------------------------------------------------------ virsh --

def run_virsh(uri, *args, timeout=120):
    """virsh -q -c URI ARGS...: the finished process, output as text."""
    return subprocess.run([VIRSH, "-q", "-c", uri, *args], capture_output=True, text=True,
                          timeout=timeout)


def qemu_pid(name, root=ROOT):
    with open(os.path.join(root, "var/run/libvirt/qemu", name + ".pid")) as f:
        return int(f.read().strip())


def meminfo(key="MemAvailable"):
    """A /proc/meminfo figure in KiB (0 if the kernel has no such line)."""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


# ------------------------------------------------------------- domain XML --

def guest_kernel():
    """The test guest's kernel: the ELF that tools/guest unpacked where it
    could (QEMU boots it without its unpacking itself), else the bzImage."""
    vmlinux = os.path.join(GUEST, "vmlinux")
    return vmlinux if os.path.exists(vmlinux) else os.path.join(GUEST, "vmlinuz")


def domain_xml(name, mem_mib, disks=(), video=None, vram=None, numa_mib=0, dimm_mib=0,
               max_mib=0, memtune="", workload=None, serial=None, on_crash="destroy"):
    """A TCG domain of mem_mib MiB.  disks: (device, bus, path or None, format)
    tuples; video: a model (None: no <video>); workload: the test guest's
    fork.workload (None: no kernel, the firmware waits), serial: its log file."""
    devs, seen_prefix = [], {}
    for device, bus, path, fmt in disks:
        prefix = {"virtio": "vd", "sata": "sd", "fdc": "fd", "ide": "hd", "usb": "sd"}[bus]
        dev = prefix + "abcdefgh"[seen_prefix.get(prefix, 0)]
        seen_prefix[prefix] = seen_prefix.get(prefix, 0) + 1
        src = "<source file='%s'/>" % path if path else ""
        drv = "<driver name='qemu' type='%s'/>" % fmt if fmt else ""
        ro = "<readonly/>" if device in ("cdrom", "floppy") and path else ""
        devs.append("<disk type='file' device='%s'>%s%s<target dev='%s' bus='%s'/>%s</disk>"
                    % (device, drv, src, dev, bus, ro))
    if video:
        devs.append("<video><model type='%s'%s/></video>"
                    % (video, " vram='%d'" % vram if vram else ""))
    if dimm_mib:
        devs.append("<memory model='dimm'><target><size unit='MiB'>%d</size><node>0</node>"
                    "</target></memory>" % dimm_mib)
    os_xml = "<type arch='x86_64' machine='pc'>hvm</type>"
    if workload:
        os_xml += ("<kernel>%s</kernel><initrd>%s/initrd.gz</initrd>"
                   "<cmdline>console=ttyS0 quiet panic=-1 fork.workload=%s</cmdline>"
                   % (guest_kernel(), GUEST, workload))
    if serial:
        devs.append("<serial type='file'><source path='%s'/><target port='0'/></serial>" % serial)
    extra = ""
    if max_mib:
        extra += "<maxMemory slots='4' unit='MiB'>%d</maxMemory>" % max_mib
    cpu = ""
    if numa_mib:
        cpu = ("<cpu><numa><cell id='0' cpus='0' memory='%d' unit='MiB'/></numa></cpu>"
               % numa_mib)
    return """<domain type='qemu'>
  <name>{name}</name>{extra}
  <memory unit='MiB'>{mem}</memory>{memtune}
  <vcpu>1</vcpu>
  <os>{os}</os>
  <features><acpi/></features>{cpu}
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>{on_crash}</on_crash>
  <devices>
    <emulator>{qemu}</emulator>
    {devs}
    <memballoon model='none'/>
  </devices>
</domain>
""".format(name=name, extra=extra, mem=mem_mib, memtune=memtune, os=os_xml, cpu=cpu,
           on_crash=on_crash, qemu=QEMU, devs="\n    ".join(devs))


# ---------------------------------------------------------------- sampler --

class Sampler(threading.Thread):
    """Polls a domain's memory cgroup (a cgfacts.MemCgroup) every `interval`
    s until stopped or the cgroup is gone, and, given its serial log, the
    FORK-GUEST markers every 0.1 s (timed from the start).  Counters are
    what happened while it ran; peaks are in bytes."""

    def __init__(self, cg, interval=0.5, serial=None):
        super().__init__(daemon=True)
        self.cg, self.serial, self.interval = cg, serial, interval
        self.failcnt0 = cg.failcnt()        # v2 cannot reset its counter
        self.stop_flag = threading.Event()
        self.t0 = time.time()
        self.samples = 0
        self.max_usage = self.peak_usage = self.rss_at_peak = self.cache_at_peak = 0
        self.peak_rss = self.peak_cache = self.peak_dirty = self.peak_shmem = self.kmem_peak = 0
        self.failcnt = self.oom_kill = self.under_oom = 0
        self.rss_last = 0
        self.min_avail = meminfo()
        self.markers = []           # (seconds since t0, text)
        self.gone = False
        self._pos, self._buf = 0, ""

    def poll_serial(self):
        if not self.serial:
            return
        try:
            with open(self.serial, "rb") as f:
                f.seek(self._pos)
                data = f.read()
        except OSError:
            return
        self._pos += len(data)
        self._buf += data.decode("utf-8", "replace")
        *lines, self._buf = self._buf.split("\n")
        now = time.time() - self.t0
        for ln in lines:
            i = ln.find("FORK-GUEST:")
            if i >= 0:
                self.markers.append((round(now, 2), ln[i + 11:].strip()))

    def poll_cgroup(self):
        self.min_avail = min(self.min_avail, meminfo())
        cg = self.cg
        try:
            usage, peak = cg.usage_kib(), cg.peak_kib()
            st = cg.stat_kib()
            fc = cg.failcnt()
            oom, under = cg.oom_kills() or 0, cg.under_oom()
            km = cg.kmem_peak_kib() or 0
        except (OSError, ValueError, KeyError):
            self.gone = True                # cgroup removed: the domain stopped
            return
        self.samples += 1
        self.max_usage = max(self.max_usage, (usage if peak is None else peak) * 1024)
        if usage * 1024 > self.peak_usage:
            self.peak_usage = usage * 1024
            self.rss_at_peak, self.cache_at_peak = st["anon"] * 1024, st["file"] * 1024
        self.peak_rss = max(self.peak_rss, st["anon"] * 1024)
        self.rss_last = st["anon"] * 1024
        self.peak_cache = max(self.peak_cache, st["file"] * 1024)
        self.peak_dirty = max(self.peak_dirty, st["file_dirty"] * 1024)
        self.peak_shmem = max(self.peak_shmem, st["shmem"] * 1024)
        self.kmem_peak = max(self.kmem_peak, km * 1024)
        self.failcnt = max(self.failcnt, fc - self.failcnt0)
        self.oom_kill = max(self.oom_kill, oom)
        self.under_oom = max(self.under_oom, under)

    def run(self):
        next_cg = 0.0
        while not self.stop_flag.is_set():
            self.poll_serial()
            if not self.gone and time.time() >= next_cg:
                self.poll_cgroup()
                next_cg = time.time() + self.interval
            self.stop_flag.wait(min(0.1, self.interval))
        self.poll_serial()

    def marker(self, prefix):
        for t, text in self.markers:
            if text.startswith(prefix):
                return t
        return None

    def finish(self):
        self.stop_flag.set()
        self.join(10)
        self.min_avail = min(self.min_avail, meminfo())


# -------------------------------------------------------------------- CLI --

def main(argv):
    ap = argparse.ArgumentParser(prog="forkdom.py")
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("formula", help="the default in KiB, then its terms")
    for a in ("mem_kib", "video_kib", "ndisks"):
        f.add_argument(a, type=int)
    x = sub.add_parser("xml", help="a domain's XML")
    x.add_argument("name")
    x.add_argument("mem_mib", type=int)
    x.add_argument("--disk", action="append", default=[], help="PATH[:FORMAT] (virtio)")
    x.add_argument("--video")
    x.add_argument("--workload")
    x.add_argument("--serial")
    args = ap.parse_args(argv)
    if args.cmd == "formula":
        print(formula(args.mem_kib, args.video_kib, args.ndisks))
        print(formula_text(args.mem_kib, args.video_kib, args.ndisks))
    else:
        disks = [("disk", "virtio") + tuple((d.rsplit(":", 1) + ["raw"])[:2]) for d in args.disk]
        sys.stdout.write(domain_xml(args.name, args.mem_mib, disks, args.video,
                                    workload=args.workload, serial=args.serial))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
