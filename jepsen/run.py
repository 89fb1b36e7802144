#!/usr/bin/env python3
"""Runs Sluice under faults and checks what the clients saw.

    python3 jepsen/run.py --nodes 3 --duration 150 --seed 1 [--faults all]

Starts N sluiced nodes, each in its own network namespace (root needed),
runs the workloads through boto3 while the nemesis injects faults on a
schedule drawn from the seed, then heals everything, drains the queues,
waits for the nodes to converge and checks the history. Prints a verdict
and writes history.jsonl and report.json to --out. Exit status: 0 valid,
1 anomalies found, 2 the run itself could not be carried out.
"""
import argparse
import json
import os
import random
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sluice_jepsen import checker, history  # noqa: E402
from sluice_jepsen.cluster import AdminError, Cluster, faketime_lib  # noqa: E402
from sluice_jepsen.nemesis import KINDS, Nemesis  # noqa: E402
from sluice_jepsen.net import Net, NetError  # noqa: E402
from sluice_jepsen.workloads import WORKLOADS  # noqa: E402


def parse():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--nodes", type=int, default=3, choices=(3, 5))
    p.add_argument("--duration", type=float, default=150, help="seconds of faults and load")
    p.add_argument("--seed", type=int, default=None, help="fault schedule and workload seed")
    p.add_argument("--faults", default="all", help="comma-separated kinds, 'all' or 'none': " +
                   ", ".join(KINDS))
    p.add_argument("--workloads", default="sqs,fifo", help=", ".join(WORKLOADS))
    p.add_argument("--tag", type=int, default=0,
                   help="0-9: namespace prefix slj-<tag>-, bridge slj-br<tag>, 10.213.<tag>.0/24 "
                        "(runs with different tags can run side by side)")
    p.add_argument("--out", default=None, help="folder for history, report and node logs")
    p.add_argument("--bin", default=os.environ.get("SL_BIN_DIR", os.path.join(here, "..", "build")))
    p.add_argument("--hold", default="5,20", help="a fault lasts MIN,MAX seconds")
    p.add_argument("--quiet", default="3,8", help="MIN,MAX seconds between faults")
    p.add_argument("--pace", type=float, default=0.02,
                   help="seconds each client waits between operations")
    p.add_argument("--max-skew", type=int, default=60, help="largest clock offset, seconds")
    p.add_argument("--drain-timeout", type=float, default=300)
    return p.parse_args()


def main():
    a = parse()
    seed = a.seed if a.seed is not None else random.randrange(1 << 31)
    kinds = [] if a.faults == "none" else list(KINDS) if a.faults == "all" else a.faults.split(",")
    for k in kinds:
        if k not in KINDS:
            sys.exit("unknown fault kind %r" % k)
    out = os.path.abspath(a.out or "/tmp/sluice-jepsen/run-%d-%d" % (a.nodes, seed))
    os.makedirs(out, exist_ok=True)
    sluiced = os.path.abspath(os.path.join(a.bin, "sluiced"))
    if not os.access(sluiced, os.X_OK):
        sys.exit("no sluiced at %s (build first, or --bin)" % sluiced)
    if "clock" in kinds and faketime_lib() is None:
        sys.exit("libfaketime is missing (apt-get install libfaketime): the clock faults need it")
    try:
        Net.preflight()
    except NetError as e:
        print("FAIL: %s" % e, file=sys.stderr)
        print("The fault-injection suite needs real network namespaces; it does not run with less.",
              file=sys.stderr)
        sys.exit(2)

    print("seed %d, %d nodes, %.0fs, faults: %s, out: %s" % (seed, a.nodes, a.duration,
                                                            ",".join(kinds) or "none", out),
          flush=True)
    net = Net(a.tag)
    # A SIGTERM (ctest's timeout) still cleans up the namespaces.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(3))
    rec = history.Recorder(os.path.join(out, "history.jsonl"))
    report = {"seed": seed, "nodes": a.nodes, "duration_s": a.duration, "faults": kinds,
              "history": rec.path, "command": " ".join(sys.argv)}
    code = 2
    cluster = None
    try:
        net.setup()
        cluster = Cluster(net, os.path.join(out, "cluster"), sluiced, a.nodes)
        cluster.start()
        rng = random.Random(seed)
        wls = [WORKLOADS[w](rec, cluster, random.Random(rng.random()), a.pace)
               for w in a.workloads.split(",")]
        for w in wls:
            w.setup()
        code = run(a, seed, kinds, cluster, rec, wls, report)
    except (AdminError, NetError, OSError) as e:
        report["error"] = "%s: %s" % (type(e).__name__, e)
        print("ERROR: the run could not be carried out: %s" % report["error"], flush=True)
    finally:
        if cluster is not None:
            cluster.stop()
        net.cleanup()
        rec.close()
        report["verdict"] = {0: "valid", 1: "INVALID"}.get(code, "unknown (run incomplete)")
        with open(os.path.join(out, "report.json"), "w") as f:
            json.dump(report, f, indent=1)
        print_report(report)
    sys.exit(code)


def run(a, seed, kinds, cluster, rec, wls, report):
    stop, drain = threading.Event(), threading.Event()
    threads = [t for w in wls for t in w.threads(stop, drain)]
    for t in threads:
        t.start()
    span = lambda v: tuple(float(x) for x in v.split(","))  # noqa: E731
    nem = Nemesis(cluster, rec, seed, kinds, hold=span(a.hold), quiet=span(a.quiet),
                  max_skew_s=a.max_skew) if kinds else None
    nt = threading.Thread(target=nem.run, args=(stop,), daemon=True) if nem else None
    t0 = time.monotonic()
    if nt:
        nt.start()
    while time.monotonic() - t0 < a.duration:
        time.sleep(min(10, a.duration - (time.monotonic() - t0)) if a.duration > 0 else 0)
        el = time.monotonic() - t0
        if int(el) % 300 < 10:
            print("  %.0fs: %s" % (el, nem.counts if nem else {}), flush=True)
    stop.set()
    if nt:
        nt.join(timeout=600)
    rec.nemesis("final", "heal")
    if nem:
        nem.heal_all()
    else:
        cluster.wait_leader()
    print("healed; draining", flush=True)
    drained = wait_drained(wls, a.drain_timeout)
    drain.set()
    for t in threads:
        t.join(timeout=30)
    rec.nemesis("final", "drained", complete=drained)
    statuses = cluster.wait_converged()
    report["nemesis"] = {"counts": nem.counts if nem else {}, "errors": nem.errors if nem else 0,
                         "stuck_promotions": nem.stuck_promotions if nem else 0,
                         "crashes": nem.crashes if nem else []}
    report["drained"] = drained
    report["queues_at_end"] = {w.name: {"pending_acknowledged": w.pending(),
                                        "counts": w.last_counts} for w in wls}
    rec.f.flush()
    ops = history.pair(history.load(rec.path))
    results = {w.name: w.check(ops).as_dict() for w in wls}
    results["divergence"] = checker.check_divergence(statuses).as_dict()
    report["results"] = results
    report["operations"] = {"total": len(ops), **count_ops(ops)}
    report["faults"] = fault_log(rec.path)
    valid = all(r["valid"] for r in results.values())
    return 0 if valid and drained else 1


def wait_drained(wls, timeout):
    """True once every acknowledged send has been received and the queues
    are empty (twice in a row, a visibility timeout apart at most)."""
    deadline = time.monotonic() + timeout
    streak = 0
    while time.monotonic() < deadline:
        if all(w.pending() == 0 for w in wls) and all(w.queue_empty() for w in wls):
            streak += 1
            if streak >= 2:
                return True
        else:
            streak = 0
        time.sleep(2)
    return False


def count_ops(ops):
    c = {}
    for op in ops:
        k = "%s.%s.%s" % (op["wl"], op["f"], op["type"])
        c[k] = c.get(k, 0) + 1
    return dict(sorted(c.items()))


def fault_log(path):
    out = []
    for r in history.load(path):
        if r.get("type") == "nemesis":
            out.append({"t": r["t"], "fault": r["fault"], "action": r["action"], **r["detail"]})
    return out


def print_report(r):
    print("== verdict: %s   (seed %d, %d nodes, %.0fs)" % (r["verdict"], r["seed"], r["nodes"],
                                                         r["duration_s"]))
    if "error" in r:
        print("   error:", r["error"])
    print("   history:", r["history"])
    if "operations" in r:
        print("   operations:", json.dumps(r["operations"]))
    if "nemesis" in r:
        print("   faults injected: %s; nemesis errors %d, stuck promotions %d"
              % (json.dumps(r["nemesis"]["counts"]), r["nemesis"]["errors"],
                 r["nemesis"]["stuck_promotions"]))
        if r["nemesis"]["crashes"]:
            print("   NODE CRASHES (restarted; see the nodes' logs): %s"
                  % json.dumps(r["nemesis"]["crashes"]))
    for name, res in r.get("results", {}).items():
        print("   %-10s %s %s" % (name, "ok " if res["valid"] else "BAD", json.dumps(res["counts"])))
        for kind, ex in res["examples"].items():
            if kind in checker.VIOLATIONS:
                print("      %s e.g. %s" % (kind, json.dumps(ex[:2])))
    if r.get("drained") is False:
        print("   queues did not drain: %s" % json.dumps(r.get("queues_at_end")))
    print("   reproduce: %s" % r["command"] if "--seed" in r["command"]
          else "   reproduce: %s --seed %d" % (r["command"], r["seed"]))


if __name__ == "__main__":
    main()
