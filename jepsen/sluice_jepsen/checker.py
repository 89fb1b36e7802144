"""Checkers for queue histories (SQS standard and FIFO) and for the final
state of the nodes. Each returns {"counts": {kind: n}, "examples": {kind:
[...]}} and names the kinds that are violations.

Times are the harness's (monotonic) invoke and completion times of each
operation; a server-side event happened somewhere in between, so every rule
below flags only what is certain whatever the exact moments were.
"""

VIOLATIONS = ("lost", "unexpected", "failed_but_delivered", "duplicate_enqueue",
              "concurrent_holders", "delivered_after_delete", "order", "divergence")
MAX_EXAMPLES = 5


class Result:
    def __init__(self, kinds):
        self.counts = {k: 0 for k in kinds}
        self.examples = {}

    def add(self, kind, example, n=1):
        self.counts[kind] = self.counts.get(kind, 0) + n
        ex = self.examples.setdefault(kind, [])
        if len(ex) < MAX_EXAMPLES:
            ex.append(example)

    def violations(self):
        return {k: v for k, v in self.counts.items() if k in VIOLATIONS and v}

    def as_dict(self):
        return {"counts": self.counts, "examples": self.examples,
                "valid": not self.violations()}


def check_queue(ops, visibility_s, fifo):
    """ops: paired operations of one queue workload (history.pair()).

    - lost: a send acknowledged (ok) whose body was never received;
    - unexpected: a body received that no send carried;
    - failed_but_delivered: a send that failed for certain, yet received;
    - duplicate_enqueue: one body under two message ids: one send (a FIFO
      send retried with its dedup id within the dedup window, or a standard
      send the harness never retries) stored twice;
    - concurrent_holders: the same message delivered twice within less
      than one visibility timeout;
    - delivered_after_delete: delivered again after a delete with the
      receipt of its latest delivery was acknowledged;
    - order (FIFO): within a message group a later message was delivered,
      for the first time, before an earlier one was first delivered; or one
      receive returned a group's messages out of order;
    - redelivered (allowed): delivered again after the visibility timeout
      ran out (the delete had not been acknowledged in time)."""
    r = Result(("sends_ok", "sends_unknown", "sends_failed", "receives_ok", "deliveries",
                "deletes_ok", "unknown_sends_delivered", "redelivered", "lost", "unexpected",
                "failed_but_delivered", "duplicate_enqueue", "concurrent_holders",
                "delivered_after_delete") + (("order",) if fifo else ()))
    sends = {}        # body -> list of send ops
    deliveries = {}   # body -> list of (op, msg)
    deletes = {}      # receipt -> delete op (ok)
    batches = []
    for op in ops:
        if op["f"] == "send":
            sends.setdefault(op["value"]["body"], []).append(op)
            r.counts["sends_" + {"ok": "ok", "fail": "failed", "unknown": "unknown"}[op["type"]]] += 1
        elif op["f"] == "receive" and op["type"] == "ok":
            r.counts["receives_ok"] += 1
            msgs = op["result"]["msgs"]
            batches.append((op, msgs))
            for m in msgs:
                deliveries.setdefault(m["body"], []).append((op, m))
                r.counts["deliveries"] += 1
        elif op["f"] == "delete" and op["type"] == "ok":
            r.counts["deletes_ok"] += 1
            deletes[op["value"]["rh"]] = op

    for body, ss in sends.items():
        kinds = {s["type"] for s in ss}
        if body not in deliveries:
            if "ok" in kinds:
                r.add("lost", {"body": body, "send": ss[0]["id"]})
        elif "ok" not in kinds:
            if "unknown" in kinds:
                r.counts["unknown_sends_delivered"] += 1
            else:
                r.add("failed_but_delivered", {"body": body, "send": ss[0]["id"]})
    for body, ds in deliveries.items():
        if body not in sends:
            r.add("unexpected", {"body": body, "receive": ds[0][0]["id"]})
            continue
        mids = sorted({m["mid"] for _, m in ds})
        if len(mids) > 1:
            r.add("duplicate_enqueue", {"body": body, "mids": mids})
        for mid in mids:
            _check_redeliveries(r, body, [(op, m) for op, m in ds if m["mid"] == mid],
                                deletes, visibility_s)
    if fifo:
        _check_order(r, batches)
    return r


def _check_redeliveries(r, body, ds, deletes, visibility_s):
    ds = sorted(ds, key=lambda d: d[0]["inv"])
    for i in range(1, len(ds)):
        a, b = ds[i - 1][0], ds[i][0]
        # Both receives happened within [a.inv, b.comp].
        if b["comp"] - a["inv"] < visibility_s:
            r.add("concurrent_holders", {"body": body, "receives": [a["id"], b["id"]],
                                         "span": round(b["comp"] - a["inv"], 3)})
        else:
            r.counts["redelivered"] += 1
    for a, m in ds:
        d = deletes.get(m["rh"])
        if d is None:
            continue
        # The delete removes the message only if no other receive could have
        # replaced a's receipt before the delete applied.
        superseded = any(x is not a and x["inv"] < d["comp"] and x["comp"] > a["inv"]
                         for x, _ in ds)
        if superseded:
            continue
        for x, _ in ds:
            if x["inv"] > d["comp"]:
                r.add("delivered_after_delete", {"body": body, "delete": d["id"],
                                                 "receive": x["id"]})
                break


def _check_order(r, batches):
    first = {}  # (group, seq) -> (inv, comp) of the first delivery
    for op, msgs in batches:
        last = {}
        for m in msgs:
            g, s = m["group"], m["seq"]
            if g in last and s < last[g]:
                r.add("order", {"group": g, "receive": op["id"], "seqs": [last[g], s]})
            last[g] = s
            k = (g, s)
            if k not in first or op["inv"] < first[k][0]:
                first[k] = (op["inv"], op["comp"], op["id"])
    groups = {}
    for (g, s), v in first.items():
        groups.setdefault(g, []).append((s, v))
    for g, items in groups.items():
        items.sort()
        latest_inv, latest_seq = None, None
        for s, (inv, comp, op_id) in items:
            # An earlier message first delivered by a receive that began after
            # this later one had already completed.
            if latest_inv is not None and latest_inv[0] > comp:
                r.add("order", {"group": g, "seq": s, "receive": op_id,
                                "earlier_seq": latest_seq, "earlier_receive": latest_inv[1]})
            if latest_inv is None or inv > latest_inv[0]:
                latest_inv, latest_seq = (inv, op_id), s


def check_divergence(statuses):
    """statuses: {node id: /status?digest=1} after convergence. Every node
    must hold the same state: one digest at one applied index."""
    r = Result(("nodes", "divergence"))
    r.counts["nodes"] = len(statuses)
    digests = {}
    for node, st in statuses.items():
        digests.setdefault((st.get("state_index"), st.get("digest")), []).append(node)
    if len(digests) != 1 or any(d is None for _, d in digests):
        r.add("divergence", {"groups": [{"state_index": k[0], "digest": k[1], "nodes": v}
                                        for k, v in digests.items()]},
              n=max(1, len(digests) - 1))
    return r
