"""Faults, one at a time, on a random schedule drawn from the run's seed.

Each fault kind is a function fault(ctx) that injects, holds for a drawn
duration, and heals (or, for membership changes, performs the whole
procedure). Every start and end is recorded in the history with its
targets.
"""
import random
import time

from .cluster import AdminError

KINDS = ("partition-halves", "partition-leader", "partition-bridge", "partition-ring",
         "partition-flap", "kill", "kill-leader", "pause", "pause-leader", "clock", "link",
         "wipe", "membership")


class Nemesis:
    def __init__(self, cluster, rec, seed, kinds, hold=(5, 20), quiet=(3, 8), max_skew_s=60):
        self.c = cluster
        self.net = cluster.net
        self.rec = rec
        self.rng = random.Random(seed)
        self.kinds = list(kinds)
        self.hold = hold
        self.quiet = quiet
        self.max_skew_s = max_skew_s
        self.counts = {}
        self.errors = 0
        self.stuck_promotions = 0
        self.crashes = []

    # --- schedule --------------------------------------------------------
    def run(self, stop):
        stop.wait(self.rng.uniform(*self.quiet))
        while not stop.is_set():
            self.check_crashes()
            kind = self.rng.choice(self.kinds)
            fn = getattr(self, "f_" + kind.replace("-", "_"))
            self.rec.nemesis(kind, "start")
            try:
                detail = fn(stop) or {}
                self.rec.nemesis(kind, "end", **detail)
                self.counts[kind] = self.counts.get(kind, 0) + 1
            except Exception as e:  # noqa: BLE001 - recorded, then healed
                self.errors += 1
                self.rec.nemesis(kind, "error", error="%s: %s" % (type(e).__name__, e))
                try:
                    self.heal_all()
                except Exception as e2:  # noqa: BLE001 - the final heal tries again
                    self.rec.nemesis(kind, "heal-error", error="%s: %s" % (type(e2).__name__, e2))
            stop.wait(self.rng.uniform(*self.quiet))

    def _hold(self, stop):
        stop.wait(self.rng.uniform(*self.hold))

    def _ids(self):
        return sorted(self.c.nodes)

    def _leader_or_random(self, leader):
        n = self.c.leader() if leader else None
        return n.id if n is not None else self.rng.choice(self._ids())

    # --- partitions ------------------------------------------------------
    def f_partition_halves(self, stop):
        ids = self._ids()
        self.rng.shuffle(ids)
        k = self.rng.randint(1, len(ids) // 2)
        groups = [set(ids[:k]), set(ids[k:])]
        self.net.partition(groups)
        self.rec.nemesis("partition-halves", "applied", groups=[sorted(g) for g in groups])
        self._hold(stop)
        self.net.heal()
        return {"groups": [sorted(g) for g in groups]}

    def f_partition_leader(self, stop):
        lead = self._leader_or_random(True)
        others = set(self._ids()) - {lead}
        self.net.partition([{lead}, others])
        self.rec.nemesis("partition-leader", "applied", isolated=lead)
        self._hold(stop)
        self.net.heal()
        return {"isolated": lead}

    def f_partition_bridge(self, stop):
        """Two halves that cannot see each other, and one node that sees
        both (a majority through the bridge only)."""
        ids = self._ids()
        self.rng.shuffle(ids)
        bridge, rest = ids[0], ids[1:]
        a, b = set(rest[:len(rest) // 2]), set(rest[len(rest) // 2:])
        self.net.block_many({x: b for x in a})
        self.rec.nemesis("partition-bridge", "applied", bridge=bridge, halves=[sorted(a), sorted(b)])
        self._hold(stop)
        self.net.heal()
        return {"bridge": bridge, "halves": [sorted(a), sorted(b)]}

    def f_partition_ring(self, stop):
        """Each node sees only its two neighbours in a random ring (with 5
        nodes each sees a majority, no two the same one)."""
        ids = self._ids()
        self.rng.shuffle(ids)
        n = len(ids)
        blocked = {}
        for i, x in enumerate(ids):
            near = {ids[(i - 1) % n], ids[(i + 1) % n], x}
            blocked[x] = set(ids) - near
        self.net.block_many(blocked)
        self.rec.nemesis("partition-ring", "applied", ring=ids)
        self._hold(stop)
        self.net.heal()
        return {"ring": ids}

    def f_partition_flap(self, stop):
        end = time.monotonic() + self.rng.uniform(*self.hold)
        flips = 0
        while time.monotonic() < end and not stop.is_set():
            ids = self._ids()
            self.rng.shuffle(ids)
            k = self.rng.randint(1, len(ids) // 2)
            self.net.partition([set(ids[:k]), set(ids[k:])])
            stop.wait(self.rng.uniform(0.5, 2.5))
            self.net.heal()
            stop.wait(self.rng.uniform(0.5, 2.5))
            flips += 1
        return {"flips": flips}

    # --- processes -------------------------------------------------------
    def _kill(self, stop, leader):
        nid = self._leader_or_random(leader)
        self.c.nodes[nid].kill()
        self.rec.nemesis("kill-leader" if leader else "kill", "applied", node=nid)
        self._hold(stop)
        self.c.nodes[nid].start()
        return {"node": nid}

    def f_kill(self, stop):
        return self._kill(stop, False)

    def f_kill_leader(self, stop):
        return self._kill(stop, True)

    def _pause(self, stop, leader):
        nid = self._leader_or_random(leader)
        self.c.nodes[nid].pause()
        self.rec.nemesis("pause-leader" if leader else "pause", "applied", node=nid)
        self._hold(stop)
        self.c.nodes[nid].resume()
        return {"node": nid}

    def f_pause(self, stop):
        return self._pause(stop, False)

    def f_pause_leader(self, stop):
        return self._pause(stop, True)

    # --- clocks ----------------------------------------------------------
    def f_clock(self, stop):
        """Skews some nodes' wall clocks (the leader among them half the
        time), jumps them once while held, then sets them right (another
        jump)."""
        ids = self._ids()
        targets = self.rng.sample(ids, self.rng.randint(1, len(ids)))
        lead = self.c.leader()
        if lead is not None and self.rng.random() < 0.5 and lead.id not in targets:
            targets.append(lead.id)
        m = self.max_skew_s
        skews = {t: self.rng.randint(-m, m) for t in targets}
        for t, s in skews.items():
            self.c.nodes[t].set_clock(s)
        self.rec.nemesis("clock", "applied", skew=skews)
        stop.wait(self.rng.uniform(*self.hold) / 2)
        jumps = {t: self.rng.randint(-m, m) for t in targets}
        for t, s in jumps.items():
            self.c.nodes[t].set_clock(s)
        self.rec.nemesis("clock", "jumped", skew=jumps)
        stop.wait(self.rng.uniform(*self.hold) / 2)
        for t in targets:
            self.c.nodes[t].set_clock(0)
        return {"skew": skews, "jump": jumps}

    # --- links -----------------------------------------------------------
    def f_link(self, stop):
        ids = self._ids()
        targets = self.rng.sample(ids, self.rng.randint(1, len(ids)))
        faults = {}
        for t in targets:
            mode = self.rng.choice(("loss", "slow", "reorder", "loss+reorder"))
            loss = self.rng.choice((5, 10, 20)) if "loss" in mode else 0
            slow = 100 if mode == "slow" else (self.rng.choice((20, 50)) if "reorder" in mode else 0)
            kbit = self.rng.choice((200, 500, 1000))
            self.net.link_fault(t, loss=loss, slow_pct=slow, slow_kbit=kbit)
            faults[t] = {"mode": mode, "loss_pct": loss, "slow_pct": slow, "slow_kbit": kbit}
        self.rec.nemesis("link", "applied", faults=faults)
        self._hold(stop)
        self.net.heal()
        return {"faults": faults}

    # --- disks and membership ----------------------------------------------
    def f_wipe(self, stop):
        """The safe replacement of a lost disk (docs/operations.md): remove
        the member, wipe it, start it empty with --join under the same id,
        add it back; the leader restores it by snapshot."""
        nid = self.rng.choice(self._ids())
        node = self.c.nodes[nid]
        self.c.remove_member(nid)
        node.kill()
        node.wipe()
        self.rec.nemesis("wipe", "applied", node=nid)
        node.start(join=True)
        self.c.add_member(node, on_stuck=self._stuck)
        restored = self._wait_metric(node, "sluice_snapshots_installed_total", 1, 60)
        return {"node": nid, "restored_by_snapshot": restored}

    def f_membership(self, stop):
        """Removes a random member, adds a fresh node under a new id, then
        transfers leadership to a random other voter."""
        old = self.rng.choice(self._ids())
        self.c.remove_member(old)
        self.c.drop_node(self.c.nodes[old])
        new = self.c.new_node()
        new.start(join=True)
        self.rec.nemesis("membership", "applied", removed=old, added=new.id)
        self.c.add_member(new, on_stuck=self._stuck)
        lead = self.c.wait_leader()
        target = self.rng.choice([i for i in self._ids() if i != lead.id])
        try:
            self.c.admin("POST", "/admin/transfer", {"id": target}, timeout=30)
        except AdminError as e:
            return {"removed": old, "added": new.id, "transfer_to": target,
                    "transfer_error": str(e)}
        return {"removed": old, "added": new.id, "transfer_to": target}

    def _stuck(self, node_id):
        """A member stayed a spare: its promotion kept failing."""
        self.stuck_promotions += 1
        self.rec.nemesis("promotion", "stuck", node=node_id)

    def _wait_metric(self, node, name, at_least, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if node.metric(name) >= at_least:
                    return True
            except OSError:
                pass
            time.sleep(0.5)
        return False

    # --- crashes ---------------------------------------------------------
    def check_crashes(self):
        """Restarts nodes that exited without the nemesis killing them (as a
        supervisor would), recording each crash with its exit status."""
        for n in list(self.c.nodes.values()):
            if n.proc is not None and n.proc.poll() is not None:
                code = n.proc.returncode
                self.crashes.append({"node": n.id, "t": self.rec.now(), "status": code})
                self.rec.nemesis("crash", "detected", node=n.id, status=code)
                n.proc = None
                n.start()

    # --- healing ---------------------------------------------------------
    def heal_all(self):
        """Everything back to normal: links, partitions, clocks, paused and
        dead processes, and every node a voter."""
        self.check_crashes()
        self.net.heal()
        for n in self.c.nodes.values():
            n.set_clock(0)
            if n.paused:
                n.resume()
            if not n.alive():
                n.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                voters = self.c.voters()
            except AdminError:
                time.sleep(1)
                continue
            missing = [n for i, n in self.c.nodes.items() if voters.get(i) != "voter"]
            if not missing:
                return
            for n in missing:
                self.c.add_member(n, on_stuck=self._stuck)
        raise AdminError("could not restore every node as a voter")
