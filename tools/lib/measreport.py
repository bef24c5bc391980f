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
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow(r)


def read_csv(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
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
        with open(os.path.join(directory, "meta.json")) as f:
            self.meta = json.load(f)
        self.info = self.meta["info"]
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


def mib(kib):
    """KiB -> whole MiB, as an int (rounded as fmt_mib rounds)."""
    return int(round(num(kib) / MIB))


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
# conservative).
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
    freedom."""
    ss = sum(sum((x - statistics.fmean(g)) ** 2 for x in g) for g in groups if len(g) > 1)
    df = sum(len(g) - 1 for g in groups if len(g) > 1)
    return (math.sqrt(ss / df) if df else None), df


def throughput(data):
    """The repeated throughput cases: per case, policy and direction the
    runs' MiB/s; the pooled spread of one run (on the log scale, so that
    cases of different speed pool); per case and over all of them, the
    ratio of each policy to none with its 95% interval, and the smallest
    change the runs could detect (two-sided 5%, power 80%)."""
    ids = [c for c in data.info.get("throughput_cases", [])
           if any(r["case"] == c and r["repeat"] > 1 for r in data.rows)]
    out = dict(cases=ids, cells={}, dirs={})
    for k in ("write", "read"):
        col = "disk_%s_mibs" % k
        cells = {}
        for c in ids:
            for p in POLICIES:
                cells[(c, p)] = [num(r[col]) for r in data.rows
                                 if r["case"] == c and r["policy"] == p and num(r.get(col))]
        out["cells"][k] = cells
        s, df = pooled_sd([[math.log(x) for x in g] for g in cells.values()])
        d = dict(sd=s, df=df, effects={})
        if s is None:
            out["dirs"][k] = d
            continue
        t1, t2 = t_quantiles(df)
        n = med([len(g) for g in cells.values()])
        d["n"] = n
        d["mde_case"] = math.exp((t1 + t2) * s * math.sqrt(2 / n)) - 1
        d["mde_pooled"] = math.exp((t1 + t2) * s * math.sqrt(2 / (n * len(ids)))) - 1
        for p in ("default", "old"):
            diffs, per = [], {}
            for c in ids:
                a, b = cells[(c, p)], cells[(c, "none")]
                if not a or not b:
                    continue
                diff = (statistics.fmean(math.log(x) for x in a)
                        - statistics.fmean(math.log(x) for x in b))
                half = t1 * s * math.sqrt(1 / len(a) + 1 / len(b))
                per[c] = (math.exp(diff), math.exp(diff - half), math.exp(diff + half))
                diffs.append((diff, 1 / len(a) + 1 / len(b)))
            if diffs:
                m = statistics.fmean(x for x, _ in diffs)
                half = t1 * s * math.sqrt(sum(v for _, v in diffs)) / len(diffs)
                d["effects"][p] = dict(per=per, all=(math.exp(m), math.exp(m - half),
                                                     math.exp(m + half)))
        out["dirs"][k] = d
    return out


# ---------------------------------------------------------------- tables --

def matrix_table(data):
    if not all((c[0], p) in data.by for c in data.cases for p in POLICIES):
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
    L = ["| case | shape | policy | runs | write MiB/s: mean (min-max) | x none (95%) | "
         "read MiB/s: mean (min-max) | x none (95%) | failcnt |",
         "|" + "---|" * 9]
    for c in tp["cases"]:
        for p in POLICIES:
            cells = []
            for k in ("write", "read"):
                xs = tp["cells"][k][(c, p)]
                cells.append("%.1f (%.1f-%.1f)" % (statistics.fmean(xs), min(xs), max(xs))
                             if xs else "-")
                e = tp["dirs"][k]["effects"].get(p, {}).get("per", {}).get(c)
                cells.append("%.2f (%.2f-%.2f)" % e if e else "-")
            fc = [r.get("failcnt", "") for r in data.rows if r["case"] == c and r["policy"] == p]
            L.append("| %s | %s | %s | %d | %s | %s | %s | %s | %s |"
                     % (c, shape(data.by[(c, p)]), p, len(tp["cells"]["write"][(c, p)]), *cells,
                        ", ".join(fc)))
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
    L = ["| test | domain | formula | `memory.max` |", "| --- | --- | --- | --- |"]
    for r in data.lab:
        L.append("| %s | %s | %s | %s |" % (r["test"], r["domain"], r["formula"], r["memory_max"]))
    return "\n".join(L)


# ---------------------------------------------------------------- values --

def values(data):
    """Every figure a template may name, as text."""
    v = {}
    info = data.info
    v.update({k: str(x) for k, x in info.items() if isinstance(x, (str, int, float))})
    v["date"] = info["date"] + ((" to " + info["end"][11:]) if info.get("end") else "")
    v["runtime"] = ", ".join("%s %.1f min" % (k, s / 60) for k, s in data.meta["durations"].items())
    v["swap_text"] = "**no swap**" if info.get("swap") == "0 MiB" else "swap " + info.get("swap", "?")
    v["limit_file"] = "memory.max" if info.get("cgroup") == "v2" else "memory.limit_in_bytes"
    loads = [num(r.get("loadavg")) for r in data.rows if num(r.get("loadavg")) is not None]
    v["loadavg_max"] = "%.2f" % max(loads) if loads else "-"
    v["loadavg_median"] = "%.2f" % med(loads) if loads else "-"

    m, rows = data.matrix, data.rows
    v["n_cases"] = str(len(data.cases))
    v["n_matrix"] = str(len(m))
    v["n_rows"] = str(len(rows))
    v["n_repeats"] = str(len(rows) - len(m))
    v["n_io_cases"] = str(sum(1 for c in data.cases if c[4] in ("disk", "both")))
    v["matched_start"] = str(sum(1 for r in rows if not str(r.get("error", "")).startswith(
        "default at start") and num(r.get("applied_at_start_kib")) is not None))
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
        if None in rs:
            continue
        rss = max(num(x.get("peak_rss_kib")) or 0 for x in rs)
        lim = num(rs[0].get("limit_kib"))
        if lim:
            head.append((lim - rss, (lim - rss) / lim, rs[0], rss, lim))
    if head:
        h = min(head, key=lambda x: x[0])
        v.update(head_min=str(mib(h[0])), head_min_case=h[2]["case"], head_min_shape=shape(h[2]),
                 head_min_limit=str(mib(h[4])), head_min_rss=str(mib(h[3])),
                 head_min_pct="%.0f" % (100 * h[1]))
        rel = min(x[1] for x in head)
        v["head_rel_min_pct"] = "%.0f" % (100 * rel)
        v["head_rel_min_cases"] = listing("%s (%s)" % (x[2]["case"], shape(x[2])) for x in head
                                          if round(100 * x[1]) == round(100 * rel))
        big = [x for x in head if x[2]["mem_mib"] == str(max(c[1] for c in data.cases))
               and x[2]["workload"] in ("touch", "both")]
        v["head_big"] = span([mib(x[0]) for x in big])
        v["head_big_pct"] = span([100 * x[1] for x in big], "%.0f")
        v["big_ram"] = str(max(c[1] for c in data.cases))
    # QEMU's unreclaimable memory above guest RAM, every run
    over = [(mib(r["peak_rss_kib"]) - int(r["mem_mib"]), r) for r in rows if num(r.get("peak_rss_kib"))
            and r["workload"] != "idle"]
    if over:
        o = max(over, key=lambda x: x[0])
        v.update(overhead_max=str(o[0]), overhead_max_case=o[1]["case"],
                 overhead_max_shape=shape(o[1]))
        v["overhead_io_small"] = span([x for x, r in over if r["mem_mib"] == str(min(
            c[1] for c in data.cases)) and io(r)])
    # every rss against the old formula
    spare = [old_formula(num(r["mem_mib"]) * MIB, num(r["vram_kib"]) or 0) - num(r["peak_rss_kib"])
             for r in rows if num(r.get("peak_rss_kib"))]
    v["old_spare_min"] = str(mib(min(spare))) if spare else "-"

    # the old 1.02 factor
    old = [r for r in m if r["policy"] == "old"]
    tight = [r for r in old if "crashed" in str(r.get("end_state")) or oom_of(r)
             or r.get("guest_result") != "done"]
    v["old_tight"] = listing(r["case"] for r in tight)
    oh = sorted((mib(r["limit_kib"]) - max(mib(data.by[(r["case"], p)]["peak_rss_kib"])
                                           for p in POLICIES), r["case"]) for r in old
                if num(r.get("limit_kib")) and all((r["case"], p) in data.by for p in POLICIES))
    if oh:
        v["old_head_min"] = str(oh[0][0])
        v["old_head_min_cases"] = listing(c for x, c in oh if x == oh[0][0])
        v["old_head_next"] = str(next((x for x, _ in oh if x > oh[0][0]), oh[0][0]))
        v["old_head_next_cases"] = listing(c for x, c in oh if x == int(v["old_head_next"]))
    old_io = [r for r in old if io(r)]
    old_hit = [r for r in old_io if (num(r.get("failcnt")) or 0) > 0]
    v["old_hit"] = "%d of %d" % (len(old_hit), len(old_io))
    v["old_hit_failcnt"] = span([num(r["failcnt"]) for r in old_hit])
    v["old_factor_adds"] = span([mib((num(r["mem_mib"]) * MIB + (num(r["vram_kib"]) or 0)) * 2 // 100)
                                 for r in old])

    # page cache against the default
    none_io = [r for r in m if r["policy"] == "none" and io(r)]
    cache = [mib(r["peak_usage_kib"]) - mib(r["peak_rss_kib"]) for r in none_io]
    v["none_cache_med"] = "%.0f" % med(cache) if cache else "-"
    v["dirty_max"] = str(max(mib(r["peak_dirty_kib"]) for r in rows if num(r.get("peak_dirty_kib"))))
    d_io = [r for r in m if r["policy"] == "default" and io(r)]
    d_hit = [r for r in d_io if (num(r.get("failcnt")) or 0) > 0]
    d_miss = [r for r in d_io if not (num(r.get("failcnt")) or 0)]
    v["default_hit"] = "%d of %d" % (len(d_hit), len(d_io))
    v["default_hit_ram"] = span([int(r["mem_mib"]) for r in d_hit])
    v["default_hit_failcnt"] = span([num(r["failcnt"]) for r in d_hit])
    v["default_miss"] = listing("%s (%s MiB)" % (r["case"], r["mem_mib"]) for r in d_miss)
    v["default_miss_peak"] = span([mib(r["peak_usage_kib"]) for r in d_miss])
    v["default_miss_limit"] = span([mib(r["limit_kib"]) for r in d_miss])
    small = [r for r in d_hit]
    v["cache_capped"] = span([mib(r["limit_kib"]) - mib(r["peak_rss_kib"]) for r in small])
    v["kmem_max"] = str(max(mib(r["kmem_peak_kib"]) for r in rows if num(r.get("kmem_peak_kib"))))

    # single-run throughput ratios over the matrix's disk cases
    nr = {r["case"]: r for r in m if r["policy"] == "none"}
    for p in ("default", "old"):
        for k in ("write", "read"):
            col = "disk_%s_mibs" % k
            ratios = [num(r[col]) / num(nr[r["case"]][col]) for r in m
                      if r["policy"] == p and num(r.get(col)) and num(nr.get(r["case"], {}).get(col))]
            v["ratio_%s_%s" % (p, k)] = "%.2f" % med(ratios) if ratios else "-"
            v["ratio_%s_%s_span" % (p, k)] = span(ratios, "%.2f")
            v["ratio_n"] = str(len(ratios))
    speeds = {k: [num(r["disk_%s_mibs" % k]) for r in rows if num(r.get("disk_%s_mibs" % k))]
              for k in ("write", "read")}
    v["write_med"] = "%.0f" % med(speeds["write"]) if speeds["write"] else "-"
    v["read_med"] = "%.0f" % med(speeds["read"]) if speeds["read"] else "-"

    # the repeated throughput cases
    tp = throughput(data)
    v["throughput_table"] = throughput_table(data, tp)
    for k in ("write", "read"):
        d = tp["dirs"].get(k, {})
        s = d.get("sd")
        v["tp_%s_cv" % k] = "%.1f" % (100 * s) if s is not None else "-"
        v["tp_%s_df" % k] = str(d.get("df", 0))
        v["tp_%s_mde_case" % k] = "%.0f" % (100 * d["mde_case"]) if "mde_case" in d else "-"
        v["tp_%s_mde_pooled" % k] = "%.0f" % (100 * d["mde_pooled"]) if "mde_pooled" in d else "-"
        for p in ("default", "old"):
            e = d.get("effects", {}).get(p)
            v["tp_%s_%s" % (k, p)] = ("%.2f (95%%: %.2f to %.2f)" % e["all"]) if e else "-"
    v["tp_runs"] = str(med([len(g) for g in tp["cells"].get("write", {}).values()] or [0]))

    # containment
    for r in data.cont:
        key = "c_%s_%s_" % ("objadd" if r["test"].startswith("object") else "hog", r["policy"])
        for f in ("limit_kib", "peak_usage_kib", "min_avail_kib", "avail_drop_kib",
                  "avail_before_kib"):
            v[key + f.replace("_kib", "")] = fmt_mib(r.get(f))
        v[key + "oom"] = str(r.get("oom_kill", "") or "0")
        v[key + "end"] = r.get("end_state", "") or r.get("error", "")
        v[key + "action"] = r.get("action_result", "") or r.get("error", "")
        v[key + "action_s"] = r.get("action_s", "") or "-"
        v[key + "mem"] = r["mem_mib"]
    v["containment_table"] = containment_table(data)

    # start latency
    on = [num(r["start_s"]) for r in data.lat if r["arm"] == "on" and not r["warmup"]]
    off = [num(r["start_s"]) for r in data.lat if r["arm"] == "off" and not r["warmup"]]
    for k in ("pairs", "method", "on", "off", "ratio", "diff", "on_faster", "sd_on", "sd_off",
              "mde"):
        v["lat_" + k] = "-"
    if on and off:
        pairs = {}
        for r in data.lat:
            if not r["warmup"]:
                pairs.setdefault(r["pair"], {})[r["arm"]] = num(r["start_s"])
        diffs = [x["on"] - x["off"] for x in pairs.values() if len(x) == 2]
        sd = statistics.stdev(diffs) if len(diffs) > 1 else 0.0
        t1, t2 = t_quantiles(max(len(diffs) - 1, 1))
        v.update(lat_pairs=str(len(diffs)), lat_method=data.lat[0]["method"],
                 lat_on="%.3f" % med(on), lat_off="%.3f" % med(off),
                 lat_ratio="%.3f" % (med(on) / med(off)),
                 lat_diff="%+.1f" % (1000 * med(diffs)),
                 lat_on_faster=str(sum(1 for x in diffs if x < 0)),
                 lat_sd_on="%.0f" % (1000 * statistics.stdev(on)),
                 lat_sd_off="%.0f" % (1000 * statistics.stdev(off)),
                 lat_mde="%.0f" % (1000 * (t1 + t2) * sd / math.sqrt(len(diffs))))
    wc = data.meta.get("cgroup_write_s")
    v["write_cost_us"] = "%.1f" % (wc * 1e6) if wc else "-"

    v["matrix_table"] = matrix_table(data)
    v["runs_table"] = runs_table(data)
    v["lab_table"] = lab_table(data)
    return v


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

Cases $throughput_cases, $tp_runs runs per policy. One run's spread (pooled
standard deviation of ln MiB/s): write $tp_write_cv%, read $tp_read_cv%.
Smallest change the runs could detect (two-sided 5%, power 80%): per case
write $tp_write_mde_case%, read $tp_read_mde_case%; over the cases pooled
write $tp_write_mde_pooled%, read $tp_read_mde_pooled%. Pooled ratio default /
none: write $tp_write_default, read $tp_read_default; old / none: write
$tp_write_old, read $tp_read_old.

$throughput_table

## Runs

MiB; `limit` is the cgroup's $limit_file after the policy was applied
(paused, before resume); headroom = limit (for `none`: the default it would
have had) - peak rss; load = load average at the end of the run.

$runs_table

## Headline numbers

- OOM kills: default $oom_default, old $oom_old, none $oom_none; $n_clean of
  $n_rows runs ended `shut off (shutdown)` with the workload done.
- Smallest headroom of the default over rss: $head_min MiB ($head_min_pct% of
  the limit) for $head_min_case ($head_min_shape).
- Runs where `old` was too tight: $old_tight.
- Single-run throughput over the matrix's $ratio_n disk cases, default / none:
  write $ratio_default_write, read $ratio_default_read; old / none: write
  $ratio_old_write, read $ratio_old_read.

## Containment

$containment_table

## Start latency

$lat_pairs pairs ($lat_method): median on $lat_on s, off $lat_off s, ratio
$lat_ratio; median paired difference $lat_diff ms (smallest detectable
$lat_mde ms). One cgroup write: $write_cost_us us.
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
    with open(os.path.join(directory, "plot.svg"), "w") as f:
        f.write(plot_svg(data))
    tpl = os.path.join(directory, "README.md.in")
    if os.path.exists(tpl):
        with open(tpl) as f:
            template, out = f.read(), os.path.join(directory, "README.md")
    else:
        template, out = RUN_TEMPLATE, os.path.join(directory, "report.md")
    text = render(template, values(data))
    with open(out, "w") as f:
        f.write(text)
    return out
