#!/usr/bin/env python3
"""The docs/BENCHMARKS.md section of bench/storm-compare.sh, from its output directory.

Reads <round>-<server>.json (bootstorm-bench storm --json), <round>-<server>.rc ("EXIT SECONDS"),
<round>-bootstorm.status-{0,1}.json (bootstorm's /status before and after its run),
versions.txt and commands.txt; prints markdown on stdout. Also used by
tests/integration/bench_storm.sh (--crosscheck-only) for the TFTP byte cross-check.
"""
import argparse
import datetime
import json
import os
import sys

NAMES = {
    "bootstorm": "bootstorm",
    "dnsmasq": "dnsmasq (DHCP + TFTP)",
    "kea-tftpd-hpa": "Kea + tftpd-hpa",
    "dnsmasq-atftpd": "dnsmasq + atftpd",
}


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def get(d, *keys, default=None):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return default
        d = d[k]
    return d


def counters(status):
    return get(status or {}, "dataplane", "stats", "counters", default={}) or {}


def crosscheck(out, round_, blksize):
    """(text, equal) comparing the storm's TFTP bytes with bootstorm's tftp_data_bytes, or None."""
    run = load(f"{out}/{round_}-bootstorm.json")
    c0 = counters(load(f"{out}/{round_}-bootstorm.status-0.json"))
    c1 = counters(load(f"{out}/{round_}-bootstorm.status-1.json"))
    if run is None or not c0 or not c1:
        return None
    d = {k: c1.get(k, 0) - c0.get(k, 0) for k in c1}
    storm = get(run, "bytes", "tftp", default=0)
    # Every DATA payload byte that reached the machines (duplicates, blocks past a gap and DATA
    # after a transfer's end included): what the server sent, less what the wire lost.
    received = get(run, "bytes", "tftp_received", default=None)
    server = d.get("tftp_data_bytes", 0)
    rtx = d.get("tftp_retransmits", 0)
    files = get(run, "counters", "tftp_files", default=None)
    misses = (get(run, "counters", "config_misses", default=0) or 0) + (
        get(run, "counters", "module_misses", default=0) or 0)
    dups = get(run, "counters", "tftp_duplicates", default=None)
    rtxt = f"{received:,}" if received is not None else "?"
    text = (f"storm `bytes.tftp_received` {rtxt} "
            f"(the files: `bytes.tftp` {storm:,}) vs bootstorm `tftp_data_bytes` {server:,} "
            f"(difference {server - storm:+,}; the server counts retransmitted DATA too: "
            f"`tftp_retransmits` {rtx:,}, at most {rtx * blksize:,} bytes; the storm saw "
            f"{dups if dups is not None else '?'} duplicate DATA); transfers: storm "
            f"{files if files is not None else '?'} requests, server `tftp_done` {d.get('tftp_done', 0):,}, "
            f"`tftp_failed` {d.get('tftp_failed', 0):,}; misses: storm {misses:,}, server "
            f"`tftp_misses` {d.get('tftp_misses', 0):,}; DHCP: server `dhcp_acks` {d.get('dhcp_acks', 0):,}")
    hits = None if files is None else files - misses
    text += f"; files read by the storm (requests less misses) {hits if hits is not None else '?'}"
    if received is not None and received == server:
        verdict = "equal"
    elif received is not None and received < server:
        verdict = (f"the storm received {server - received:,} bytes less than the server sent "
                   f"(lost on the wire or in the bench's ring: see the port counters)")
    else:
        verdict = "MISMATCH"
    return text, verdict


def fmt_s(v):
    return "-" if v is None else f"{v:.1f} s" if v >= 10 else f"{v:.2f} s"


def fmt_ms(p):
    if not isinstance(p, dict) or not p.get("count"):
        return "-"
    a, b = p.get("p50_ms"), p.get("p99_ms")

    def one(v):
        if v is None:
            return "-"
        return f"{v / 1000:.1f} s" if v >= 10000 else f"{v:.0f} ms" if v >= 10 else f"{v:.1f} ms"
    return f"{one(a)} / {one(b)}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--rounds", default="clean lossy")
    ap.add_argument("--servers", default="bootstorm dnsmasq kea-tftpd-hpa dnsmasq-atftpd")
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--loss", default="0.02")
    ap.add_argument("--cpu", default="?")
    ap.add_argument("--nproc", default="?")
    ap.add_argument("--kernel", default="?")
    ap.add_argument("--os", default="?")
    ap.add_argument("--rev", default="?")
    ap.add_argument("--took", default="?")
    ap.add_argument("--command", default="sudo bench/storm-compare.sh")
    ap.add_argument("--tree-kib", default="8192,32768")
    ap.add_argument("--blksize", type=int, default=1468)
    ap.add_argument("--crosscheck-only", metavar="ROUND")
    a = ap.parse_args()
    out = a.out

    if a.crosscheck_only:
        r = crosscheck(out, a.crosscheck_only, a.blksize)
        if r is None:
            print("no cross-check: the bootstorm run's JSON or /status is missing")
            sys.exit(2)
        print(f"{r[1]}: {r[0]}")
        sys.exit(0 if r[1] != "MISMATCH" else 1)

    rounds = a.rounds.split()
    servers = a.servers.split()
    loss_pct = f"{float(a.loss) * 100:g}"
    kkib, ikib = (int(x) for x in a.tree_kib.split(","))
    versions = open(f"{out}/versions.txt").read().strip().splitlines() if os.path.exists(f"{out}/versions.txt") else []
    cmds = open(f"{out}/commands.txt").read().strip().splitlines() if os.path.exists(f"{out}/commands.txt") else []
    first = None
    for r in rounds:
        for s in servers:
            first = first or load(f"{out}/{r}-{s}.json")
    settings = get(first or {}, "settings", default={}) or {}

    p = print
    names = [NAMES.get(s, s) for s in servers]
    against = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    p(f"### Boot storm: {a.clients} machines against {against} ({datetime.date.today()})\n")
    p(f"- Machine: {a.nproc} × {a.cpu}, kernel {a.kernel}, {a.os}.")
    p(f"- bootstorm {a.rev}; " + "; ".join(versions) + ".")
    p(f"- Storm: `bootstorm-bench storm`, {a.clients} simulated PXE machines on raw frames "
      f"(AF_PACKET on a veth, the kernel kept off it), arrival "
      f"`{settings.get('arrival', 'all')}`; each does DHCP (PXE options), pxelinux.0, "
      f"ldlinux.c32, the PXELINUX config search (UUID, 01-MAC, eight prefixes, default), "
      f"menu.c32 + libutil.c32 + libcom32.c32, a {kkib // 1024 if kkib >= 1024 else kkib} "
      f"{'MiB' if kkib >= 1024 else 'KiB'} kernel and a {ikib // 1024 if ikib >= 1024 else ikib} "
      f"{'MiB' if ikib >= 1024 else 'KiB'} initrd (TFTP, blksize {settings.get('blksize', a.blksize)}, "
      f"windowsize {settings.get('windowsize', '?')} asked), then the kickstart over HTTP. "
      f"Rounds: {', '.join('no faults' if r == 'clean' else f'{loss_pct}% loss both ways (the bench’s own faults)' for r in rounds)}. "
      f"Servers one after another at 10.77.0.1 on the same veth (bench/storm-lab/lib.sh has "
      f"their exact setups). The whole comparison took {a.took} s.")
    p("- Command:\n\n```")
    p(a.command)
    for c in cmds:
        p(c.strip())
    p("```\n")

    goals = []
    for r in rounds:
        title = "No faults" if r == "clean" else f"{loss_pct}% loss both ways"
        p(f"{title}:\n")
        runs = {s: load(f"{out}/{r}-{s}.json") for s in servers}
        order = None
        for j in runs.values():
            if j and isinstance(j.get("phase_order"), list):
                order = [x for x in j["phase_order"] if x != "total"]
                break
        order = order or ["dhcp", "bootfile", "config", "modules", "kernel", "initrd", "kickstart"]
        p("| server | completed / failed / unfinished | makespan | bootstorm's makespan / this | "
          + " | ".join(f"{ph} p50 / p99" for ph in order + ["total"])
          + " | retransmits DHCP / TFTP / HTTP |")
        p("|---|---|---|---|" + "---|" * (len(order) + 1) + "---|")
        bs = runs.get("bootstorm")
        bs_m = get(bs or {}, "makespan_s")
        for s in servers:
            j = runs[s]
            rc = (open(f"{out}/{r}-{s}.rc").read().split() if os.path.exists(f"{out}/{r}-{s}.rc") else ["?", "?"])
            if j is None:
                p(f"| {NAMES.get(s, s)} | no report (bench exit {rc[0]}) |" + " |" * (len(order) + 4))
                continue
            m = j.get("makespan_s")
            unfinished = j.get("unfinished", j.get("clients", 0) - j.get("completed", 0) - j.get("failed", 0))
            note = "" if rc[0] in ("0", "?") else f" (exit {rc[0]}{', stopped at the time limit' if rc[0] == '124' else ''})"
            ratio = "-" if not bs_m or not m else f"{bs_m / m:.2f}"
            rt = j.get("retransmits", {})
            fails = j.get("failures") or {}
            fail_txt = (" (" + ", ".join(f"{k} {v}" for k, v in fails.items()) + ")") if fails else ""
            p(f"| {NAMES.get(s, s)} | {j.get('completed', '?')} / {j.get('failed', '?')} / {unfinished}{fail_txt}{note} "
              f"| {fmt_s(m)} | {ratio} | "
              + " | ".join(fmt_ms(get(j, 'phases', ph)) for ph in order + ["total"])
              + f" | {rt.get('dhcp', '-')} / {rt.get('tftp', '-')} / {rt.get('http', '-')} |")
        p("")
        # the goals of issue #7, for this round
        if bs is not None:
            complete = bs.get("failed") == 0 and bs.get("completed") == bs.get("clients")
            goals.append(f"- {title}: bootstorm completed {bs.get('completed')} of {bs.get('clients')} "
                         f"machines, {bs.get('failed')} failed: "
                         f"**{'met' if complete else 'not met'}** (zero failed machines).")
            if r == "clean":
                for s, want in (("dnsmasq", "<= 0.2"), ("kea-tftpd-hpa", "<= 0.2"), ("dnsmasq-atftpd", "< 1")):
                    j = runs.get(s)
                    if s not in servers:
                        continue
                    m = get(j or {}, "makespan_s")
                    peer_done = j is not None and j.get("completed") == j.get("clients")
                    if not m or not bs_m:
                        goals.append(f"- bootstorm's makespan / {NAMES[s]}'s ({want}): no figure")
                        continue
                    ratio = bs_m / m
                    lim = 0.2 if want == "<= 0.2" else 1.0
                    met = ratio <= lim if want == "<= 0.2" else ratio < lim
                    # a peer that did not finish ran for the time limit: its makespan is a lower bound
                    bound = "" if peer_done else f" ({NAMES[s]} did not complete every machine: its makespan is a lower bound, the ratio an upper one)"
                    goals.append(f"- bootstorm's makespan / {NAMES[s]}'s ({want}): "
                                 f"{bs_m:.2f} s / {m:.2f} s = **{ratio:.3f}** "
                                 f"({'met' if met and complete else 'not met'}){bound}.")
        x = crosscheck(out, r, a.blksize)
        if x is not None:
            goals.append(f"- Cross-check ({title.lower()}), TFTP bytes: {x[1]}: {x[0]}.")
    if goals:
        p("Goals of issue #7 and the cross-check, same run:\n")
        for g in goals:
            p(g)
        p("")


if __name__ == "__main__":
    main()
