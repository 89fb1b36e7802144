"""Unit tests of the checkers on hand-made histories: each anomaly kind is
planted once and must be found (so no checker passes everything), and the
allowed behaviours must not be flagged."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sluice_jepsen import checker, history  # noqa: E402

V = 8.0  # visibility timeout of the queue, seconds


class H:
    """Builds a history as the recorder writes it."""

    def __init__(self, wl="sqs"):
        self.recs = []
        self.wl = wl
        self.next = 1

    def op(self, f, inv, comp, kind, value, result=None):
        i = self.next
        self.next += 1
        self.recs.append({"id": i, "type": "invoke", "t": inv, "wl": self.wl, "f": f,
                          "proc": "p", "node": 1, "value": value})
        if comp is not None:
            self.recs.append({"id": i, "type": kind, "t": comp, "wl": self.wl, "f": f,
                              "proc": "p", "node": 1, "value": result})
        return i

    def send(self, body, inv, comp, kind="ok", mid=None, group=None, seq=None):
        v = {"body": body}
        if group:
            v.update(group=group, seq=seq, dedup=body)
        return self.op("send", inv, comp, kind, v,
                       {"body": body, "mid": mid or "m-" + body} if kind == "ok" else None)

    def recv(self, inv, comp, msgs):
        """msgs: list of (body, mid, receipt[, group, seq])."""
        out = []
        for m in msgs:
            d = {"body": m[0], "mid": m[1], "rh": m[2]}
            if len(m) > 3:
                d.update(group=m[3], seq=m[4])
            out.append(d)
        return self.op("receive", inv, comp, "ok", {}, {"msgs": out})

    def delete(self, body, mid, rh, inv, comp, kind="ok"):
        return self.op("delete", inv, comp, kind, {"body": body, "mid": mid, "rh": rh})

    def check(self, fifo=False):
        return checker.check_queue(history.pair(self.recs), V, fifo)


class QueueChecker(unittest.TestCase):
    def clean(self):
        h = H()
        h.send("a", 0, 1)
        h.send("b", 0, 1)
        h.recv(2, 3, [("a", "m-a", "r1"), ("b", "m-b", "r2")])
        h.delete("a", "m-a", "r1", 3, 4)
        h.delete("b", "m-b", "r2", 3, 4)
        return h

    def test_clean_history_is_valid(self):
        r = self.clean().check()
        self.assertEqual(r.violations(), {})
        self.assertEqual(r.counts["sends_ok"], 2)
        self.assertEqual(r.counts["deliveries"], 2)

    def test_lost(self):
        h = self.clean()
        h.send("c", 5, 6)
        r = h.check()
        self.assertEqual(r.violations(), {"lost": 1})

    def test_unknown_send_never_received_is_not_lost(self):
        h = self.clean()
        h.send("c", 5, 10, kind="unknown")
        h.send("d", 5, None)  # the run ended before it completed
        self.assertEqual(h.check().violations(), {})

    def test_unknown_send_received_is_counted_not_flagged(self):
        h = self.clean()
        h.send("c", 5, 10, kind="unknown")
        h.recv(11, 12, [("c", "m-c", "r3")])
        r = h.check()
        self.assertEqual(r.violations(), {})
        self.assertEqual(r.counts["unknown_sends_delivered"], 1)

    def test_unexpected(self):
        h = self.clean()
        h.recv(5, 6, [("zzz", "m-z", "r9")])
        self.assertEqual(h.check().violations(), {"unexpected": 1})

    def test_failed_send_delivered(self):
        h = self.clean()
        h.send("c", 5, 6, kind="fail")
        h.recv(7, 8, [("c", "m-c", "r3")])
        self.assertEqual(h.check().violations(), {"failed_but_delivered": 1})

    def test_duplicate_enqueue(self):
        h = self.clean()
        h.send("c", 5, 6, mid="m-c")
        h.recv(7, 8, [("c", "m-c", "r3")])
        h.recv(9, 10, [("c", "m-c2", "r4")])
        self.assertEqual(h.check().violations(), {"duplicate_enqueue": 1})

    def test_redelivery_after_visibility_timeout_is_allowed(self):
        h = self.clean()
        h.send("c", 5, 6)
        h.recv(7, 8, [("c", "m-c", "r3")])
        h.recv(7 + V + 0.5, 7 + V + 1, [("c", "m-c", "r4")])
        h.delete("c", "m-c", "r4", 17, 18)
        r = h.check()
        self.assertEqual(r.violations(), {})
        self.assertEqual(r.counts["redelivered"], 1)

    def test_two_holders_within_one_visibility_timeout(self):
        h = self.clean()
        h.send("c", 5, 6)
        h.recv(7, 8, [("c", "m-c", "r3")])
        h.recv(9, 10, [("c", "m-c", "r4")])
        self.assertEqual(h.check().violations(), {"concurrent_holders": 1})

    def test_overlapping_receives_that_may_be_a_timeout_apart_are_allowed(self):
        h = self.clean()
        h.send("c", 5, 6)
        h.recv(7, 8, [("c", "m-c", "r3")])
        # Invoked within V of the first, but may have completed after V.
        h.recv(10, 7 + V + 1, [("c", "m-c", "r4")])
        self.assertEqual(h.check().violations(), {})

    def test_delivered_after_acknowledged_delete(self):
        h = self.clean()
        h.send("c", 5, 6)
        h.recv(7, 8, [("c", "m-c", "r3")])
        h.delete("c", "m-c", "r3", 8, 9)
        h.recv(30, 31, [("c", "m-c", "r4")])
        self.assertEqual(h.check().violations(), {"delivered_after_delete": 1})

    def test_delete_with_a_superseded_receipt_does_not_count(self):
        # r3's receipt may have been replaced by the receive of r4 before
        # the delete applied: deleting with an old receipt does nothing.
        h = self.clean()
        h.send("c", 5, 6)
        h.recv(7, 8, [("c", "m-c", "r3")])
        h.recv(14, 16, [("c", "m-c", "r4")])
        h.delete("c", "m-c", "r3", 15, 17)
        h.recv(40, 41, [("c", "m-c", "r5")])
        self.assertEqual(h.check().violations(), {})

    def test_unacknowledged_delete_does_not_count(self):
        h = self.clean()
        h.send("c", 5, 6)
        h.recv(7, 8, [("c", "m-c", "r3")])
        h.delete("c", "m-c", "r3", 8, 12, kind="unknown")
        h.recv(30, 31, [("c", "m-c", "r4")])
        self.assertEqual(h.check().violations(), {})


class FifoOrder(unittest.TestCase):
    def base(self):
        h = H("fifo")
        for s in (1, 2, 3):
            h.send("g:%d" % s, s, s + 0.5, group="g", seq=s)
        return h

    def test_in_order_is_valid(self):
        h = self.base()
        h.recv(5, 6, [("g:1", "m-g:1", "r1", "g", 1), ("g:2", "m-g:2", "r2", "g", 2)])
        h.recv(7, 8, [("g:3", "m-g:3", "r3", "g", 3)])
        self.assertEqual(h.check(fifo=True).violations(), {})

    def test_out_of_order_within_one_receive(self):
        h = self.base()
        h.recv(5, 6, [("g:2", "m-g:2", "r2", "g", 2), ("g:1", "m-g:1", "r1", "g", 1),
                      ("g:3", "m-g:3", "r3", "g", 3)])
        self.assertEqual(h.check(fifo=True).violations(), {"order": 1})

    def test_later_message_first_delivered_before_an_earlier_one(self):
        h = self.base()
        h.recv(5, 6, [("g:2", "m-g:2", "r2", "g", 2), ("g:3", "m-g:3", "r3", "g", 3)])
        h.recv(20, 21, [("g:1", "m-g:1", "r1", "g", 1)])
        self.assertEqual(h.check(fifo=True).violations(), {"order": 2})

    def test_concurrent_receives_are_not_ordered(self):
        h = self.base()
        h.recv(5, 9, [("g:2", "m-g:2", "r2", "g", 2), ("g:3", "m-g:3", "r3", "g", 3)])
        h.recv(6, 7, [("g:1", "m-g:1", "r1", "g", 1)])
        self.assertEqual(h.check(fifo=True).violations(), {})

    def test_groups_are_independent(self):
        h = self.base()
        h.send("k:1", 1, 2, group="k", seq=1)
        h.recv(5, 6, [("g:1", "m-g:1", "r1", "g", 1), ("g:2", "m-g:2", "r2", "g", 2),
                      ("g:3", "m-g:3", "r3", "g", 3)])
        h.recv(7, 8, [("k:1", "m-k:1", "r4", "k", 1)])
        self.assertEqual(h.check(fifo=True).violations(), {})

    def test_dedup_failure_is_a_duplicate_enqueue(self):
        h = self.base()
        h.send("g:1", 4, 4.5, group="g", seq=1, mid="m-g:1b")  # retried, same dedup id
        h.recv(5, 6, [("g:1", "m-g:1", "r1", "g", 1), ("g:2", "m-g:2", "r2", "g", 2),
                      ("g:3", "m-g:3", "r3", "g", 3)])
        h.recv(20, 21, [("g:1", "m-g:1b", "r4", "g", 1)])
        v = h.check(fifo=True).violations()
        self.assertEqual(v.get("duplicate_enqueue"), 1)


class Divergence(unittest.TestCase):
    def test_equal_digests(self):
        st = {i: {"state_index": 100, "digest": "ab"} for i in (1, 2, 3)}
        self.assertEqual(checker.check_divergence(st).violations(), {})

    def test_different_digest(self):
        st = {1: {"state_index": 100, "digest": "ab"}, 2: {"state_index": 100, "digest": "ab"},
              3: {"state_index": 100, "digest": "cd"}}
        self.assertEqual(checker.check_divergence(st).violations(), {"divergence": 1})

    def test_missing_digest(self):
        st = {1: {"state_index": 100, "digest": "ab"}, 2: {"state_index": 100}}
        self.assertEqual(checker.check_divergence(st).violations(), {"divergence": 1})


class HistoryPairing(unittest.TestCase):
    def test_invoke_without_completion_is_unknown(self):
        h = H()
        h.send("a", 0, None)
        ops = history.pair(h.recs)
        self.assertEqual(ops[0]["type"], "unknown")
        self.assertEqual(ops[0]["comp"], float("inf"))


if __name__ == "__main__":
    unittest.main()
