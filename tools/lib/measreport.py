"""The report of tools/measure, built from the data files of a run alone.

A run of tools/measure leaves, in its output directory:

    results.csv      one row per run of a case under a policy (repeat 1 is
                     the matrix; the throughput cases have more repeats)
    containment.csv  runaway QEMU / guest hog under the default and no limit
    latency.csv      paired virsh start timings, default on / off
    meta.json        the host, the build, the time, the durations

and, where a report is published (docs/measurements), lab.csv: figures of
the cgroup v2 lab, which tools/measure does not take. write() turns these
into plot.svg and into a report: README.md from README.md.in when the
directory has that template, else report.md from the run template below.
The same data always give the same bytes, so a committed report can be
checked against its committed data.

A template is Python's string.Template: $name or ${name} is one of the
values of values(); $$ is a dollar sign. A name the template uses that
values() does not know is an error.
"""
import csv
import html
import json
import math
import os
import statistics
import string

POLICIES = ("default", "old", "none")
MIB = 1024                       # KiB


# -------------------------------------------------------------- the data --

def write_csv(path, rows, fields=None):
    fields = fields or sorted({k for r in rows for k in r})
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow(r)


def read_csv(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def num(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        try:
            return float(v)
        except (TypeError, ValueError):
            return None


class Data:
    """The files of one run (or of a published report)."""

    def __init__(self, directory):
        self.dir = directory
        self.rows = read_csv(os.path.join(directory, "results.csv"))
        for r in self.rows:
            r["repeat"] = num(r.get("repeat")) or 1
        self.matrix = [r for r in self.rows if r["repeat"] == 1]
        self.cont = read_csv(os.path.join(directory, "containment.csv"))
        self.lat = read_csv(os.path.join(directory, "latency.csv"))
        for r in self.lat:
            r["pair"], r["warmup"], r["ok"] = int(r["pair"]), int(r["warmup"]), int(r["ok"])
        self.lab = read_csv(os.path.join(directory, "lab.csv"))
        path = os.path.join(directory, "meta.json")
        if not os.path.exists(path):
            raise SystemExit("measreport: %s has no meta.json: not the output of a run" % directory)
        with open(path, encoding="utf-8") as f:
            self.meta = json.load(f)
        self.info = self.meta.get("info", {})
        # (id, RAM MiB, disks, video, workload, image format), in the run's order
        self.cases = []
        for r in self.matrix:
            c = (r["case"], int(r["mem_mib"]), int(r["disks"]), r["video"], r["workload"],
                 r["disk_format"])
            if c not in self.cases:
                self.cases.append(c)
        self.by = {(r["case"], r["policy"]): r for r in self.matrix}


def fmt_mib(kib):
    if kib in (None, "", "unlimited"):
        return "-" if kib in (None, "") else "unlim."
    return "%.0f" % (num(kib) / MIB)


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def oom_of(r):
    """OOM kills of a run: the cgroup's oom_kill; for a crashed run whose last
    sample missed it, the host's /proc/vmstat delta (which otherwise may count
    kills elsewhere on the host)."""
    n = num(r.get("oom_kill")) or 0
    if not n and "crashed" in str(r.get("end_state", "")):
        n = num(r.get("host_oom_kill")) or 0
    return n


def old_formula(mem, video):
    return (mem + video) * 102 // 100 + 204800


def shape(r):
    return "%s MiB, %s disk%s%s, %s, %s" % (
        r["mem_mib"], r["disks"], "" if r["disks"] == "1" else "s",
        "" if r["disk_format"] == "-" else " " + r["disk_format"],
        "no video" if r["video"] == "none" else r["video"], r["workload"])


def io(r):
    return r["workload"] in ("disk", "both")


def listing(xs):
    xs = list(xs)
    return ", ".join(xs) if xs else "none"


def span(xs, fmt="%d"):
    xs = sorted(xs)
    if not xs:
        return "-"
    return fmt % xs[0] if xs[0] == xs[-1] else (fmt + " to " + fmt) % (xs[0], xs[-1])


# ------------------------------------------------------------ statistics --

# Student's t: the 0.975 quantile (two-sided 5%) and the 0.80 quantile
# (power 80%), by degrees of freedom; above 30 the value for 30 (slightly
# conservative). tests/measure/run checks both against the t distribution.
T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
        2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)
T80 = (1.376, 1.061, 0.978, 0.941, 0.920, 0.906, 0.896, 0.889, 0.883, 0.879,
       0.876, 0.873, 0.870, 0.868, 0.866, 0.865, 0.863, 0.862, 0.861, 0.860,
       0.859, 0.858, 0.858, 0.857, 0.856, 0.856, 0.855, 0.855, 0.854, 0.854)


def t_quantiles(df):
    i = min(df, 30) - 1
    return T975[i], T80[i]


def pooled_sd(groups):
    """Pooled standard deviation of groups of values, and its degrees of
    freedom (None, 0 without a group of two)."""
    groups = [g for g in groups if len(g) > 1]
    ss = sum(sum((x - statistics.fmean(g)) ** 2 for x in g) for g in groups)
    df = sum(len(g) - 1 for g in groups)
    return (math.sqrt(ss / df) if df else None), df


def reached(data, case, policy):
    """'all' if every run of case under policy reached its limit (failcnt >
    0), 'none' if none did, 'some' if some did, 'unknown' without a
    failcnt."""
    fc = [num(r.get("failcnt")) for r in data.rows if r["case"] == case and r["policy"] == policy
          and num(r.get("failcnt")) is not None]
    if not fc:
        return "unknown"
    if all(x > 0 for x in fc):
        return "all"
    return "none" if not any(fc) else "some"


def compare(cells, pairs):
    """Mean log ratio policy / none over pairs [(a, b)] of MiB/s lists, with
    the spread s of the very cells compared (pooled, on the log scale): the
    ratio of geometric means, its 95% interval, the smallest loss a two-sided
    5% test would detect with 80% power, s and its degrees of freedom."""
    logs = [[math.log(x) for x in g] for a, b in pairs for g in (a, b)]
    s, df = pooled_sd(logs)
    if s is None:
        return None
    t1, t2 = t_quantiles(df)
    diffs = [statistics.fmean(math.log(x) for x in a) - statistics.fmean(math.log(x) for x in b)
             for a, b in pairs]
    m = statistics.fmean(diffs)
    se = s * math.sqrt(sum(1 / len(a) + 1 / len(b) for a, b in pairs)) / len(pairs)
    return dict(ratio=math.exp(m), lo=math.exp(m - t1 * se), hi=math.exp(m + t1 * se),
                mde=1 - math.exp(-(t1 + t2) * se), sd=s, df=df)


def throughput(data):
    """The repeated throughput cases, on the log scale (cases of different
    speed then pool): per case, policy and direction the runs' MiB/s; the
    spread of one run, s, pooled over every cell; per case, the ratio of
    each policy to none (ratio of geometric means) with its 95% interval and
    the smallest loss its runs could detect (two-sided 5%, power 80%); and
    the same pooled over the cases where the policy reached its limit in
    every run ('reached'), and over those where it never did ('control':
    there the ratio should be about 1). Each comparison takes s from the
    cells it compares only, so that a quiet control does not narrow the
    interval of the cases that reach the limit."""
    ids = [c for c in data.info.get("throughput_cases", [])
           if any(r["case"] == c and r["repeat"] > 1 for r in data.rows)]
    out = dict(cases=ids, cells={}, dirs={},
               reached={(c, p): reached(data, c, p) for c in ids for p in POLICIES})
    for k in ("write", "read"):
        col = "disk_%s_mibs" % k
        cells = {}
        for c in ids:
            for p in POLICIES:
                cells[(c, p)] = [num(r[col]) for r in data.rows
                                 if r["case"] == c and r["policy"] == p and num(r.get(col))]
        out["cells"][k] = cells
        s, df = pooled_sd([[math.log(x) for x in g] for g in cells.values()])
        d = dict(sd=s, df=df, per={}, pooled={})
        out["dirs"][k] = d
        for p in ("default", "old"):
            groups = {"reached": [], "control": []}
            for c in ids:
                a, b = cells[(c, p)], cells[(c, "none")]
                if not a or not b:
                    continue
                e = compare(cells, [(a, b)])
                if e:
                    d["per"][(c, p)] = e
                kind = {"all": "reached", "none": "control"}.get(out["reached"][(c, p)])
                if kind:
                    groups[kind].append(c)
            for kind, g in groups.items():
                e = compare(cells, [(cells[(c, p)], cells[(c, "none")]) for c in g]) if g else None
                if e:
                    e["cases"] = g
                    d["pooled"][(p, kind)] = e
    return out


def gmean(xs):
    return math.exp(statistics.fmean(math.log(x) for x in xs))


def ratio_text(e):
    return "%.2f (95%%: %.2f-%.2f)" % (e["ratio"], e["lo"], e["hi"]) if e else "-"


# ---------------------------------------------------------------- tables --

def matrix_table(data):
    if not data.cases or not all((c[0], p) in data.by for c in data.cases for p in POLICIES):
        return "(not every case ran under all three policies: see the runs below)"
    L = ["| case | RAM | disks | video | workload | limit d / o | peak usage d / o / n | "
         "peak rss | headroom | failcnt d / o | oom d/o/n | write MiB/s d / o / n | "
         "read MiB/s d / o / n | end |",
         "|" + "---|" * 14]
    for c in data.cases:
        d, o, n_ = (data.by[(c[0], p)] for p in POLICIES)
        rss = max(num(x.get("peak_rss_kib")) or 0 for x in (d, o, n_))
        ends = {x.get("end_state", "") + ("" if x.get("guest_result") == "done" else
                " / " + str(x.get("guest_result"))) for x in (d, o, n_)}
        L.append("| %s | %d | %d%s | %s | %s | %s / %s | %s / %s / %s | %s | %s | %s / %s | "
                 "%d/%d/%d | %s / %s / %s | %s / %s / %s | %s |"
                 % (c[0], c[1], c[2], "" if c[5] == "-" else " " + c[5], c[3], c[4],
                    fmt_mib(d.get("limit_kib")), fmt_mib(o.get("limit_kib")),
                    fmt_mib(d.get("peak_usage_kib")), fmt_mib(o.get("peak_usage_kib")),
                    fmt_mib(n_.get("peak_usage_kib")), fmt_mib(rss),
                    fmt_mib(num(d.get("limit_kib")) - rss if num(d.get("limit_kib")) else None),
                    d.get("failcnt", ""), o.get("failcnt", ""), oom_of(d), oom_of(o), oom_of(n_),
                    *[x.get(k) or "-" for k in ("disk_write_mibs", "disk_read_mibs")
                      for x in (d, o, n_)],
                    "all shutdown" if ends == {"shut off (shutdown)"} else "; ".join(sorted(ends))))
    return "\n".join(L)


def runs_table(data):
    L = ["| case | repeat | RAM | disks | video | workload | policy | limit | peak | rss | cache | "
         "dirty | headroom rss | failcnt | oom | end state | guest | write MiB/s | read MiB/s | "
         "wall s | load |",
         "|" + "---|" * 21]
    for r in data.rows:
        L.append("| %s | %s | %s | %s%s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | "
                 "%s | %s | %s | %s | %s | %s |"
                 % (r["case"], r["repeat"], r["mem_mib"], r["disks"],
                    "" if r["disk_format"] == "-" else " " + r["disk_format"],
                    r["video"], r["workload"], r["policy"], fmt_mib(r.get("limit_kib")),
                    fmt_mib(r.get("peak_usage_kib")), fmt_mib(r.get("peak_rss_kib")),
                    fmt_mib(r.get("peak_cache_kib")), fmt_mib(r.get("peak_dirty_kib")),
                    fmt_mib(r.get("headroom_rss_kib")), r.get("failcnt", ""), r.get("oom_kill", ""),
                    r.get("end_state", "") + (" ERROR: " + r["error"] if r.get("error") else ""),
                    r.get("guest_result", ""), r.get("disk_write_mibs", "") or "-",
                    r.get("disk_read_mibs", "") or "-", r.get("wall_s", ""),
                    r.get("loadavg", "") or "-"))
    return "\n".join(L)


def throughput_table(data, tp):
    if not tp["cases"]:
        return "(no throughput case was repeated in this run)"
    L = ["| case | shape | policy | runs | limit reached | write MiB/s: geometric mean (min-max) | "
         "x none (95%) | read MiB/s: geometric mean (min-max) | x none (95%) |",
         "|" + "---|" * 9]
    shapes = {c[0]: c for c in data.cases}
    for c in tp["cases"]:
        for p in POLICIES:
            cells = []
            for k in ("write", "read"):
                xs = tp["cells"][k][(c, p)]
                cells.append("%.1f (%.1f-%.1f)" % (gmean(xs), min(xs), max(xs)) if xs else "-")
                cells.append(ratio_text(tp["dirs"][k].get("per", {}).get((c, p)))
                             if p != "none" else "1")
            fc = [r.get("failcnt", "") or "-" for r in data.rows
                  if r["case"] == c and r["policy"] == p]
            sh = shapes.get(c)
            L.append("| %s | %s | %s | %d | %s (failcnt %s) | %s | %s | %s | %s |"
                     % (c, "%d MiB, %d disk(s), %s" % (sh[1], sh[2], sh[4]) if sh else "-", p,
                        len(tp["cells"]["write"][(c, p)]),
                        {"all": "every run", "none": "no run", "some": "some runs",
                         "unknown": "unknown"}[
                            tp["reached"][(c, p)]], ", ".join(fc), *cells))
    return "\n".join(L)


def containment_table(data):
    if not data.cont:
        return "(containment was not run)"
    L = ["| test | RAM | policy | limit | action | peak usage | oom | end state | "
         "host MemAvailable before | min | drop |",
         "|" + "---|" * 11]
    for r in data.cont:
        L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |"
                 % (r["test"], r["mem_mib"], r["policy"], fmt_mib(r.get("limit_kib")),
                    r.get("action_result") or r.get("error", ""), fmt_mib(r.get("peak_usage_kib")),
                    r.get("oom_kill", ""), r.get("end_state", ""),
                    fmt_mib(r.get("avail_before_kib")), fmt_mib(r.get("min_avail_kib")),
                    fmt_mib(r.get("avail_drop_kib"))))
    return "\n".join(L)


def lab_table(data):
    if not data.lab:
        return "(no lab figures)"
    L = ["| test | domain | formula | `memory.max` |", "| --- | --- | --- | --- |"]
    for r in data.lab:
        L.append("| %s | %s | %s | %s |" % (r["test"], r["domain"], r["formula"], r["memory_max"]))
    return "\n".join(L)


# ---------------------------------------------------------------- values --

AXES = ((256, 512, 1024, 2048), (0, 1, 4), ("none", "vga", "qxl"), ("idle", "touch", "disk", "both"))


def pair_coverage(cases):
    """Pairs of values of two axes (RAM, disks, video, workload) that the
    cases cover, and how many are valid (0 disks never meets disk/both)."""
    def valid(i, a, j, b):
        vals = {i: a, j: b}
        return not (vals.get(1) == 0 and vals.get(3) in ("disk", "both"))
    pairs = {(i, a, j, b) for i in range(4) for j in range(i + 1, 4)
             for a in AXES[i] for b in AXES[j] if valid(i, a, j, b)}
    have = {(i, c[i + 1], j, c[j + 1]) for c in cases for i in range(4) for j in range(i + 1, 4)}
    return len(pairs & have), len(pairs)


def measured(r):
    """A run that produced its figures."""
    return not r.get("error") and num(r.get("samples")) and num(r.get("peak_rss_kib")) is not None


def values(data):
    """Every figure a template may name, as text ('-' where the data do not
    give it)."""
    v = dict.fromkeys(NAMES, "-")
    info = data.info
    v.update({k: str(x) for k, x in info.items() if isinstance(x, (str, int, float))})
    end = info.get("end", "")
    v["date"] = info.get("date", "-") + (
        "" if not end else " to " + (end[11:] if end[:10] == info.get("date", "")[:10] else end))
    v["runtime"] = ", ".join("%s %.1f min" % (k, s / 60)
                             for k, s in data.meta.get("durations", {}).items()) or "-"
    v["swap_text"] = "**no swap**" if info.get("swap") == "0 MiB" else "swap " + info.get("swap", "?")
    v["limit_file"] = "memory.max" if info.get("cgroup") == "v2" else "memory.limit_in_bytes"
    loads = [num(r.get("loadavg")) for r in data.rows if num(r.get("loadavg")) is not None]
    if loads:
        v["loadavg_max"], v["loadavg_median"] = "%.2f" % max(loads), "%.2f" % med(loads)

    m, rows = data.matrix, data.rows
    ok = [r for r in rows if measured(r)]
    mok = [r for r in m if measured(r)]
    v["n_cases"] = str(len(data.cases))
    v["n_matrix"] = str(len(m))
    v["n_rows"] = str(len(rows))
    v["n_repeats"] = str(len(rows) - len(m))
    v["n_failed"] = str(len(rows) - len(ok))
    got, valid = pair_coverage(data.cases)
    v["pairs_covered"], v["pairs_valid"] = str(got), str(valid)
    v["matched_start"] = str(sum(1 for r in rows if num(r.get("default_kib")) is not None and
                                 num(r.get("applied_at_start_kib")) == num(r["default_kib"]) // 4 * 4))
    clean = [r for r in rows if r.get("end_state") == "shut off (shutdown)"
             and r.get("guest_result") == "done" and not r.get("error")]
    v["n_clean"] = str(len(clean))
    for p in POLICIES:
        v["oom_" + p] = str(sum(oom_of(r) for r in rows if r["policy"] == p))
        v["runs_" + p] = str(sum(1 for r in rows if r["policy"] == p))
    v["repeats"] = str(info.get("repeats", 1))
    v["throughput_cases"] = ", ".join(info.get("throughput_cases", [])) or "none"

    # headroom of the default over the unreclaimable peak (largest of the 3)
    head = []
    for c in data.cases:
        rs = [data.by.get((c[0], p)) for p in POLICIES]
        if None in rs or not all(measured(x) for x in rs) or not num(rs[0].get("limit_kib")):
            continue
        rss = max(num(x["peak_rss_kib"]) for x in rs)
        lim = num(rs[0]["limit_kib"])
        head.append((lim - rss, (lim - rss) / lim, rs[0], rss, lim))
    if head:
        h = min(head, key=lambda x: x[0])
        v.update(head_min=fmt_mib(h[0]), head_min_case=h[2]["case"], head_min_shape=shape(h[2]),
                 head_min_limit=fmt_mib(h[4]), head_min_rss=fmt_mib(h[3]),
                 head_min_pct="%.0f" % (100 * h[1]))
        rel = min(round(100 * x[1]) for x in head)
        v["head_rel_min_pct"] = str(rel)
        v["head_rel_min_cases"] = "; ".join("%s: %s" % (x[2]["case"], shape(x[2])) for x in head
                                            if round(100 * x[1]) == rel)
        top = max(c[1] for c in data.cases)
        big = [x for x in head if num(x[2]["mem_mib"]) == top and x[2]["workload"] in ("touch", "both")]
        v["big_ram"] = str(top)
        if big:
            v["head_big"] = span([num(fmt_mib(x[0])) for x in big])
            v["head_big_pct"] = span([100 * x[1] for x in big], "%.0f")
    dbad = [r for r in rows if r["policy"] == "default" and (
        oom_of(r) or r.get("guest_result") != "done" or r.get("end_state") != "shut off (shutdown)")]
    v["tight_verdict"] = (
        "**Not too tight for any shape measured.** No default run was killed or left its "
        "workload unfinished; the smallest margin was %s MiB (%s)" % (v["head_min"], v["head_min_case"])
        if not dbad else "**Too tight in %s**: an OOM kill, a crash or an unfinished workload under "
        "the default" % listing(sorted({r["case"] for r in dbad})))
    # QEMU's unreclaimable memory above guest RAM, runs that use their RAM
    over = [(num(r["peak_rss_kib"]) - num(r["mem_mib"]) * MIB, r) for r in ok if r["workload"] != "idle"]
    if over:
        o = max(over, key=lambda x: x[0])
        v.update(overhead_max=fmt_mib(o[0]), overhead_max_case=o[1]["case"],
                 overhead_max_shape=shape(o[1]))
        by_ram = {}
        for x, r in over:
            by_ram[num(r["mem_mib"])] = max(by_ram.get(num(r["mem_mib"]), x), x)
        v["overhead_by_ram"] = ", ".join("%d MiB: %+d" % (k, round(by_ram[k] / MIB)) for k in sorted(by_ram))
    # every rss against the old formula
    spare = [old_formula(num(r["mem_mib"]) * MIB, num(r["vram_kib"]) or 0) - num(r["peak_rss_kib"])
             for r in ok]
    if spare:
        v["old_spare_text"] = (
            "every rss peak of this run stayed below `1.02 x (mem + video) + 200 MiB`, with at "
            "least %s MiB to spare" % fmt_mib(min(spare)) if min(spare) > 0 else
            "%d rss peaks of this run went above `1.02 x (mem + video) + 200 MiB`"
            % sum(1 for x in spare if x <= 0))

    # the old 1.02 factor
    old = [r for r in m if r["policy"] == "old"]
    tight = [r for r in old if "crashed" in str(r.get("end_state")) or oom_of(r)
             or r.get("guest_result") != "done"]
    v["old_tight"] = listing(r["case"] for r in tight)
    v["old_verdict"] = ("got by on reclaiming page cache; the 200 MiB base term carried it" if not tight
                        else "was too tight in %s" % listing(r["case"] for r in tight))
    oh = []
    for r in old:
        rs = [data.by.get((r["case"], p)) for p in POLICIES]
        if None not in rs and all(measured(x) for x in rs) and num(r.get("limit_kib")):
            oh.append((num(fmt_mib(num(r["limit_kib"]) - max(num(x["peak_rss_kib"]) for x in rs))),
                       r["case"]))
    oh.sort()
    if oh:
        v["old_head_min"] = str(oh[0][0])
        v["old_head_min_cases"] = listing(c for x, c in oh if x == oh[0][0])
        nxt = next((x for x, _ in oh if x > oh[0][0]), None)
        if nxt is not None:
            v["old_head_next"] = str(nxt)
            v["old_head_next_cases"] = listing(c for x, c in oh if x == nxt)
    old_io = [r for r in old if io(r) and num(r.get("failcnt")) is not None]
    old_hit = [r for r in old_io if num(r["failcnt"]) > 0]
    v["old_hit"] = "%d of %d" % (len(old_hit), len(old_io))
    v["old_hit_failcnt"] = span([num(r["failcnt"]) for r in old_hit])
    v["old_factor_adds"] = span([round(((num(r["mem_mib"]) * MIB + (num(r["vram_kib"]) or 0))
                                        * 2 / 100) / MIB) for r in old])

    # page cache against the default
    none_io = [r for r in mok if r["policy"] == "none" and io(r)]
    if none_io:
        v["none_cache_med"] = "%.0f" % med([(num(r["peak_usage_kib"]) - num(r["peak_rss_kib"])) / MIB
                                            for r in none_io])
    dirty = [num(r.get("peak_dirty_kib")) for r in none_io if num(r.get("peak_dirty_kib")) is not None]
    if dirty:
        v["dirty_max"] = fmt_mib(max(dirty))
    d_io = [r for r in mok if r["policy"] == "default" and io(r) and num(r.get("failcnt")) is not None]
    d_hit = [r for r in d_io if num(r["failcnt"]) > 0]
    d_miss = [r for r in d_io if num(r["failcnt"]) == 0]
    v["default_hit"] = "%d of %d" % (len(d_hit), len(d_io))
    v["default_hit_ram"] = span([num(r["mem_mib"]) for r in d_hit])
    v["default_hit_failcnt"] = span([num(r["failcnt"]) for r in d_hit])
    bad = [r for r in d_hit if oom_of(r) or r.get("guest_result") != "done"]
    v["default_hit_outcome"] = ("without an OOM kill or a failed workload" if not bad else
                                "with an OOM kill or a failed workload in %s"
                                % listing(r["case"] for r in bad))
    v["default_miss_text"] = (
        "It reached it in every one of them." if not d_miss else
        "It was not reached in %s: peaks %s MiB against limits of %s MiB."
        % (listing("%s (%s MiB)" % (r["case"], r["mem_mib"]) for r in d_miss),
           span([num(fmt_mib(r["peak_usage_kib"])) for r in d_miss]),
           span([num(fmt_mib(r["limit_kib"])) for r in d_miss])))
    if d_hit:
        v["cache_capped"] = span([num(fmt_mib(num(r["limit_kib"]) - num(r["peak_rss_kib"])))
                                  for r in d_hit])
    kmem = [num(r.get("kmem_peak_kib")) for r in ok if num(r.get("kmem_peak_kib"))]
    if kmem:
        v["kmem_max"] = fmt_mib(max(kmem))

    # single-run throughput ratios over the matrix's disk cases
    nr = {r["case"]: r for r in m if r["policy"] == "none"}
    for p in ("default", "old"):
        for k in ("write", "read"):
            col = "disk_%s_mibs" % k
            ratios = [num(r[col]) / num(nr[r["case"]][col]) for r in m
                      if r["policy"] == p and num(r.get(col)) and num(nr.get(r["case"], {}).get(col))]
            if ratios:
                v["ratio_%s_%s" % (p, k)] = "%.2f" % med(ratios)
                v["ratio_%s_%s_span" % (p, k)] = span(ratios, "%.2f")
                if (p, k) == ("default", "write"):
                    v["ratio_n"] = str(len(ratios))
    for k in ("write", "read"):
        xs = [num(r["disk_%s_mibs" % k]) for r in ok if num(r.get("disk_%s_mibs" % k))]
        if xs:
            v["%s_med" % k] = "%.0f" % med(xs)

    # the repeated throughput cases
    tp = throughput(data)
    v["throughput_table"] = throughput_table(data, tp)
    runs = sorted({len(g) for g in tp["cells"].get("write", {}).values() if g})
    if runs:
        v["tp_runs"] = span(runs)
    for k in ("write", "read"):
        d = tp["dirs"].get(k, {})
        if d.get("sd") is not None:
            v["tp_%s_cv" % k] = "%.1f" % (100 * d["sd"])
            v["tp_%s_df" % k] = str(d["df"])
        per = [e["mde"] for e in d.get("per", {}).values()]
        if per:
            v["tp_%s_mde_case" % k] = span([100 * x for x in per], "%.0f")
        for p in ("default", "old"):
            for kind in ("reached", "control"):
                e = d.get("pooled", {}).get((p, kind))
                if e:
                    v["tp_%s_%s_%s" % (k, p, kind)] = ratio_text(e)
                    v["tp_%s_%s_%s_mde" % (k, p, kind)] = "%.0f" % (100 * e["mde"])
                    v["tp_%s_%s_cases" % (p, kind)] = ", ".join(e["cases"])

    # containment
    for r in data.cont:
        key = "c_%s_%s_" % ("objadd" if r["test"].startswith("object") else "hog", r["policy"])
        for f in ("limit_kib", "peak_usage_kib", "min_avail_kib", "avail_drop_kib",
                  "avail_before_kib"):
            v[key + f.replace("_kib", "")] = fmt_mib(r.get(f))
        v[key + "oom"] = str(r.get("oom_kill", "") or "0")
        v[key + "end"] = r.get("end_state", "") or r.get("error", "") or "-"
        v[key + "action"] = r.get("action_result", "") or r.get("error", "") or "-"
        v[key + "action_s"] = r.get("action_s", "") or "-"
        v[key + "mem"] = r["mem_mib"]
    hog = next((r for r in data.cont if r["test"] == "guest hog" and r["policy"] == "default"), None)
    if hog:
        v["c_hog_verdict"] = (
            "a guest using its memory is not a runaway and is not killed"
            if not num(hog.get("oom_kill")) and "crashed" not in hog.get("end_state", "")
            else "the default killed a guest that only used its own memory")
    v["containment_table"] = containment_table(data)

    # start latency
    lat = [r for r in data.lat if r["ok"]]            # a start that got the wrong limit is out
    on = [num(r["start_s"]) for r in lat if r["arm"] == "on" and not r["warmup"]]
    off = [num(r["start_s"]) for r in lat if r["arm"] == "off" and not r["warmup"]]
    pairs = {}
    for r in lat:
        if not r["warmup"]:
            pairs.setdefault(r["pair"], {})[r["arm"]] = num(r["start_s"])
    diffs = [x["on"] - x["off"] for x in pairs.values() if len(x) == 2]
    if data.lat:
        v["lat_method"] = data.lat[0]["method"]
        v["lat_method_text"] = (
            "`default_memory_hard_limit = 0` in qemu.conf, passed with `FORK_QEMU_CONF_EXTRA` "
            "to `tools/daemon restart`; the daemon is restarted before every start in both arms, "
            "so that both measure the first start after a restart"
            if v["lat_method"] == "conf" else
            "the same domain with its own `<hard_limit>` of 1 TiB, which the default never "
            "overrides (both arms write one limit to the cgroup)")
        n = len({r["pair"] for r in data.lat if r["warmup"]})
        v["lat_warmup"] = "%d warm-up pair%s" % (n, "" if n == 1 else "s")
    if on and off and diffs:
        v.update(lat_pairs=str(len(diffs)), lat_on="%.3f" % med(on), lat_off="%.3f" % med(off),
                 lat_ratio="%.3f" % (med(on) / med(off)), lat_diff="%+.1f" % (1000 * med(diffs)),
                 lat_on_faster=str(sum(1 for x in diffs if x < 0)))
    if len(diffs) > 1:
        sd = statistics.stdev(diffs)
        t1, t2 = t_quantiles(len(diffs) - 1)
        se = sd / math.sqrt(len(diffs))
        mean = statistics.fmean(diffs)
        v.update(lat_mean_diff="%+.1f" % (1000 * mean),
                 lat_mean_ci="%+.1f to %+.1f" % (1000 * (mean - t1 * se), 1000 * (mean + t1 * se)),
                 lat_sd_diff="%.0f" % (1000 * sd), lat_mde="%.0f" % (1000 * (t1 + t2) * se))
    wc = data.meta.get("cgroup_write_s")
    if wc:
        v["write_cost_us"] = "%.1f" % (wc * 1e6)

    v["matrix_table"] = matrix_table(data)
    v["runs_table"] = runs_table(data)
    v["lab_table"] = lab_table(data)
    return v


# The names values() may leave at '-' when a run does not give them.
NAMES = (
    "commit", "virtqemud_built", "qemu_package", "date", "end", "kernel", "cgroup", "cpus", "mem",
    "swap", "qemu", "libvirt", "loadavg_start", "loadavg_max", "loadavg_median",
    "head_min", "head_min_case", "head_min_shape", "head_min_limit", "head_min_rss", "head_min_pct",
    "head_rel_min_pct", "head_rel_min_cases", "big_ram", "head_big", "head_big_pct",
    "overhead_max", "overhead_max_case", "overhead_max_shape", "overhead_by_ram", "old_spare_text",
    "old_head_min", "old_head_min_cases", "old_head_next", "old_head_next_cases",
    "none_cache_med", "dirty_max", "cache_capped", "kmem_max", "ratio_n", "write_med", "read_med",
    "tp_runs", "c_hog_verdict", "tight_verdict", "lat_method", "lat_method_text", "lat_warmup", "lat_pairs",
    "lat_on", "lat_off", "lat_ratio", "lat_diff", "lat_on_faster", "lat_mean_diff", "lat_mean_ci",
    "lat_sd_diff", "lat_mde", "write_cost_us",
) + tuple("ratio_%s_%s%s" % (p, k, x) for p in ("default", "old") for k in ("write", "read")
          for x in ("", "_span")) + tuple(
    "tp_%s_%s" % (k, x) for k in ("write", "read") for x in ("cv", "df", "mde_case")) + tuple(
    "tp_%s_%s_%s%s" % (k, p, kind, x) for k in ("write", "read") for p in ("default", "old")
    for kind in ("reached", "control") for x in ("", "_mde")) + tuple(
    "tp_%s_%s_cases" % (p, kind) for p in ("default", "old") for kind in ("reached", "control")) + tuple(
    "c_%s_%s_%s" % (t, p, f) for t in ("objadd", "hog") for p in ("default", "none")
    for f in ("limit", "peak_usage", "min_avail", "avail_drop", "avail_before", "oom", "end",
              "action", "action_s", "mem"))


# ------------------------------------------------------------------ plot --

def plot_svg(data):
    """Per policy (one panel each): every case's peak cgroup usage (light bar),
    its peak rss (dark bar inside it), its limit (red tick; for 'none' the
    default it would have had, grey dashed), OOM kills marked."""
    rows, cases = data.matrix, data.cases
    ids = [c[0] for c in cases]
    label = {c[0]: "%s %dM/%dd/%s/%s" % (c[0], c[1], c[2], c[3], c[4]) for c in cases}
    by = data.by
    vals = [num(r.get(k)) or 0 for r in rows for k in ("peak_usage_kib", "limit_kib", "default_kib")]
    top = max(vals + [1]) / 1024
    step = 500 if top > 1500 else 100
    ymax = (int(top / step) + 1) * step
    W, left, right, ph, gap, tophead = 1200, 70, 20, 250, 40, 80
    bottom = 150
    H = tophead + 3 * ph + 2 * gap + bottom
    pw = W - left - right
    bw = pw / max(len(ids), 1)
    o = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
         'font-size="11">' % (W, H),
         '<rect width="100%" height="100%" fill="white"/>',
         '<text x="%d" y="20" font-size="15" font-weight="bold">Peak memory cgroup usage and rss '
         'against the hard limit, per case and policy (MiB)</text>' % left]
    lx = left
    for color, text, dash in (("#9ecae1", "peak usage (max_usage_in_bytes)", None),
                              ("#08519c", "peak rss (unreclaimable)", None),
                              ("#d62728", "limit", None),
                              ("#777777", "default it would get (policy none)", "4,3")):
        if dash or color == "#d62728":
            o.append('<line x1="%d" y1="38" x2="%d" y2="38" stroke="%s" stroke-width="3"%s/>'
                     % (lx, lx + 18, color, ' stroke-dasharray="%s"' % dash if dash else ""))
        else:
            o.append('<rect x="%d" y="32" width="18" height="12" fill="%s"/>' % (lx, color))
        o.append('<text x="%d" y="43">%s</text>' % (lx + 24, html.escape(text)))
        lx += 40 + 7 * len(text)
    o.append('<text x="%d" y="43" fill="#d62728" font-weight="bold">X = OOM kill</text>' % lx)
    for pi, policy in enumerate(POLICIES):
        y0 = tophead + pi * (ph + gap)

        def Y(mib):
            return y0 + ph - ph * mib / ymax
        o.append('<text x="%d" y="%d" font-size="13" font-weight="bold">policy: %s</text>'
                 % (left, y0 - 6, policy))
        for g in range(0, ymax + 1, step):
            o.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e0e0e0"/>'
                     % (left, Y(g), W - right, Y(g)))
            o.append('<text x="%d" y="%.1f" text-anchor="end">%d</text>' % (left - 4, Y(g) + 4, g))
        o.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (left, y0, left, y0 + ph))
        o.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>'
                 % (left, y0 + ph, W - right, y0 + ph))
        for i, cid in enumerate(ids):
            r = by.get((cid, policy))
            if not r:
                continue
            x = left + i * bw + bw * 0.15
            w = bw * 0.7
            u, rss = (num(r.get("peak_usage_kib")) or 0) / 1024, (num(r.get("peak_rss_kib")) or 0) / 1024
            o.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#9ecae1">'
                     '<title>%s %s: peak %.0f MiB</title></rect>'
                     % (x, Y(u), w, Y(0) - Y(u), cid, policy, u))
            o.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#08519c">'
                     '<title>%s %s: rss %.0f MiB</title></rect>'
                     % (x + w * 0.25, Y(rss), w * 0.5, Y(0) - Y(rss), cid, policy, rss))
            lim = num(r.get("limit_kib"))
            if lim is not None:
                o.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#d62728" '
                         'stroke-width="3"><title>limit %.0f MiB</title></line>'
                         % (x - 2, Y(lim / 1024), x + w + 2, Y(lim / 1024), lim / 1024))
            elif num(r.get("default_kib")):
                d = num(r["default_kib"]) / 1024
                o.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#777777" '
                         'stroke-width="2" stroke-dasharray="4,3"/>' % (x - 2, Y(d), x + w + 2, Y(d)))
            if (num(r.get("oom_kill")) or 0) > 0 or "crashed" in str(r.get("end_state", "")):
                o.append('<text x="%.1f" y="%.1f" text-anchor="middle" fill="#d62728" '
                         'font-weight="bold" font-size="14">X</text>' % (x + w / 2, Y(u) - 4))
            if pi == 2:
                cx, cy = x + w / 2, y0 + ph + 8
                o.append('<text x="%.1f" y="%.1f" text-anchor="end" transform="rotate(-60 %.1f %.1f)">'
                         '%s</text>' % (cx, cy, cx, cy, html.escape(label[cid])))
    o.append("</svg>")
    return "\n".join(o) + "\n"


# ---------------------------------------------------------------- output --

RUN_TEMPLATE = """\
# Default memory hard limit: measurements

Written by `tools/measure` (commit $commit), $date. Host: kernel $kernel,
cgroup $cgroup, $cpus CPUs, $mem RAM, swap $swap; $qemu; accelerator TCG
(no KVM). virtqemud built $virtqemud_built. Run time: $runtime. Load average
(1 min) at the end of a run: median $loadavg_median, at most $loadavg_max.

## By case

MiB; d/o/n = policies default/old/none; repeat 1 of each case. rss is the
largest peak rss of the three runs; headroom = default limit - that rss.

$matrix_table

## Throughput, repeated

Cases: $throughput_cases. Spread of one run (pooled standard deviation of
ln MiB/s): write $tp_write_cv%, read $tp_read_cv%. Default / none over the
cases where the default reached its limit in every run ($tp_default_reached_cases):
write $tp_write_default_reached, read $tp_read_default_reached; where it never
did ($tp_default_control_cases): write $tp_write_default_control, read
$tp_read_default_control.

$throughput_table

## Runs

MiB; `limit` is the cgroup's $limit_file after the policy was applied
(paused, before resume); headroom = limit (for `none`: the default it would
have had) - peak rss; load = load average at the end of the run.

$runs_table

## Headline numbers

OOM kills: default $oom_default, old $oom_old, none $oom_none; $n_clean of
$n_rows runs ended `shut off (shutdown)` with the workload done. Smallest
headroom of the default over rss: $head_min MiB ($head_min_case). Runs where
`old` was too tight: $old_tight.

## Containment

$containment_table

## Start latency

Pairs: $lat_pairs; median on $lat_on s, off $lat_off s, ratio $lat_ratio;
paired difference on - off: median $lat_diff ms, mean $lat_mean_diff ms
(95%: $lat_mean_ci ms). One cgroup write: $write_cost_us us.
"""


def render(template, vals):
    try:
        return string.Template(template).substitute(vals)
    except KeyError as e:
        raise SystemExit("measreport: the template names %s, which the data do not give" % e)


def write(directory):
    """Write plot.svg and the report of the data in directory; returns the
    report's path."""
    data = Data(directory)
    tpl = os.path.join(directory, "README.md.in")
    if os.path.exists(tpl):
        with open(tpl, encoding="utf-8") as f:
            template, out = f.read(), os.path.join(directory, "README.md")
    else:
        template, out = RUN_TEMPLATE, os.path.join(directory, "report.md")
    text = render(template, values(data))
    with open(os.path.join(directory, "plot.svg"), "w", encoding="utf-8") as f:
        f.write(plot_svg(data))
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    return out
