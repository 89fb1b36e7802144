"""The history of a run: one JSON object per line.

Operations: {"id", "type": "invoke"|"ok"|"fail"|"unknown", "t" (seconds since
the run began, monotonic), "wl" (workload), "f" (operation), "proc" (client),
"node" (node id the client spoke to), "value"}. An invoke and its completion
share "id". "fail" means the operation certainly did not take effect;
"unknown" that it may have (timeouts, 5xx, lost connections, SDK retries
after a timeout).

Nemesis events: {"type": "nemesis", "t", "fault", "action", "detail"}.
"""
import json
import threading
import time


class Recorder:
    def __init__(self, path):
        self.path = path
        self.f = open(path, "w")
        self.lock = threading.Lock()
        self.t0 = time.monotonic()
        self.next_id = 1

    def now(self):
        return round(time.monotonic() - self.t0, 4)

    def _write(self, rec):
        line = json.dumps(rec, separators=(",", ":"))
        with self.lock:
            self.f.write(line + "\n")

    def invoke(self, wl, f, proc, node, value):
        with self.lock:
            op_id = self.next_id
            self.next_id += 1
        self._write({"id": op_id, "type": "invoke", "t": self.now(), "wl": wl, "f": f,
                     "proc": proc, "node": node, "value": value})
        return op_id

    def complete(self, op_id, kind, wl, f, proc, node, value, **extra):
        assert kind in ("ok", "fail", "unknown")
        rec = {"id": op_id, "type": kind, "t": self.now(), "wl": wl, "f": f, "proc": proc,
               "node": node, "value": value}
        rec.update(extra)
        self._write(rec)

    def nemesis(self, fault, action, **detail):
        self._write({"type": "nemesis", "t": self.now(), "fault": fault, "action": action,
                     "detail": detail})

    def close(self):
        with self.lock:
            self.f.close()


def load(path):
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                yield json.loads(line)


def pair(records):
    """Joins invokes with their completions: a list of operations
    {"id", "wl", "f", "proc", "node", "inv", "comp", "type", "value",
    "result"} in invoke order. An invoke without completion (the run ended
    first) is "unknown" with comp = infinity."""
    ops = {}
    order = []
    for r in records:
        if r.get("type") == "nemesis":
            continue
        if r["type"] == "invoke":
            op = {"id": r["id"], "wl": r["wl"], "f": r["f"], "proc": r["proc"],
                  "node": r["node"], "inv": r["t"], "comp": float("inf"),
                  "type": "unknown", "value": r["value"], "result": None}
            ops[r["id"]] = op
            order.append(op)
        else:
            op = ops.get(r["id"])
            if op is None:
                continue
            op["comp"] = r["t"]
            op["type"] = r["type"]
            op["result"] = r["value"]
            op["node"] = r.get("node", op["node"])
    return order
