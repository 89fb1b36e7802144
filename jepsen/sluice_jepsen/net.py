"""Network namespaces for the nodes of one run, and the network faults.

Layout of run `tag` (0-9): a bridge slj-br<tag> in the root namespace holds
10.213.<tag>.1/24 (the clients and the harness speak from there); node N lives
in namespace slj-<tag>-n<N> with 10.213.<tag>.<10+N> on a veth whose other end
is on the bridge. Only these addresses are ever used.

Partitions are nftables drop rules inside the nodes' namespaces (silent
drops, as a cut cable: established TCP connections hang until their
timeouts).

Link faults do not use tc netem: kernels without sch_netem (as the VMs this
suite runs on) refuse it, and a fault suite must not quietly test less where
it is missing. They are built from what every kernel with nftables and HTB
has, inside the node's namespace:
- loss: an nftables rule drops a random P% of the node's packets (numgen);
- slow: all egress goes through an HTB class of a few hundred kbit/s, so
  packets queue (delay that grows with load, tail drops when the queue is
  full);
- reorder: nftables sends a random P% of egress packets to that slow class
  (skb priority) and the rest to a fast one, so later packets overtake them.
"""
import os
import shutil
import subprocess

SUBNET = "10.213"


class NetError(Exception):
    pass


def run(*args, check=True, input=None):
    r = subprocess.run(list(args), capture_output=True, text=True, input=input)
    if check and r.returncode != 0:
        raise NetError("%s: %s" % (" ".join(args), (r.stderr or r.stdout).strip()))
    return r


class Net:
    def __init__(self, tag):
        if not 0 <= int(tag) <= 9:
            raise ValueError("tag must be 0-9")
        self.tag = int(tag)
        self.bridge = "slj-br%d" % self.tag
        self.gateway = "%s.%d.1" % (SUBNET, self.tag)
        self.nodes = set()
        self.blocked = {}   # node -> peer ips it cannot reach
        self.link = {}      # node -> (loss %, slow %)

    # --- names -------------------------------------------------------------
    def ns(self, node_id):
        return "slj-%d-n%d" % (self.tag, node_id)

    def ip(self, node_id):
        if not 1 <= node_id <= 200:
            raise ValueError("node id out of range")
        return "%s.%d.%d" % (SUBNET, self.tag, 10 + node_id)

    def _host_veth(self, node_id):
        return "slj%dn%dh" % (self.tag, node_id)

    # --- set up and tear down ------------------------------------------------
    @staticmethod
    def preflight():
        """Raises NetError saying what is missing when namespaces, veths, a
        bridge, nftables or netem cannot be used here."""
        if os.geteuid() != 0:
            raise NetError("the fault-injection suite needs root (network namespaces)")
        for tool in ("ip", "tc", "nft"):
            if shutil.which(tool) is None:
                raise NetError("'%s' not found: run deploy/install-deps.sh" % tool)
        probe = "slj-probe-%d" % os.getpid()
        try:
            run("ip", "netns", "add", probe)
            run("ip", "netns", "exec", probe, "ip", "link", "set", "lo", "up")
            run("ip", "netns", "exec", probe, "nft", "add", "table", "inet", "slj")
            run("ip", "netns", "exec", probe, "tc", "qdisc", "add", "dev", "lo", "root",
                "handle", "1:", "htb", "default", "10")
            run("ip", "netns", "exec", probe, "nft", "add", "chain", "inet", "slj", "c",
                "{ type filter hook output priority 0; }")
            run("ip", "netns", "exec", probe, "nft", "add", "rule", "inet", "slj", "c",
                "meta", "priority", "set", "numgen", "random", "mod", "100", "map",
                "{ 0-49 : 1:20, 50-99 : 1:10 }")
        except NetError as e:
            raise NetError("cannot create and configure a network namespace: %s" % e) from None
        finally:
            run("ip", "netns", "del", probe, check=False)

    def cleanup(self):
        """Removes every namespace, veth and the bridge of this tag, killing
        processes left inside the namespaces (a crashed earlier run)."""
        out = run("ip", "netns", "list", check=False).stdout
        prefix = "slj-%d-" % self.tag
        for line in out.splitlines():
            name = line.split()[0] if line.split() else ""
            if name.startswith(prefix):
                pids = run("ip", "netns", "pids", name, check=False).stdout.split()
                for pid in pids:
                    try:
                        os.kill(int(pid), 9)
                    except (OSError, ValueError):
                        pass
                run("ip", "netns", "del", name, check=False)
        links = run("ip", "-o", "link", "show", check=False).stdout
        for line in links.splitlines():
            parts = line.split(":")
            if len(parts) > 1:
                name = parts[1].strip().split("@")[0]
                if name.startswith("slj%dn" % self.tag) or name == self.bridge:
                    run("ip", "link", "del", name, check=False)
        self.nodes.clear()

    def setup(self):
        self.cleanup()
        run("ip", "link", "add", self.bridge, "type", "bridge")
        run("ip", "addr", "add", self.gateway + "/24", "dev", self.bridge)
        run("ip", "link", "set", self.bridge, "up")

    def add_node(self, node_id):
        ns, host = self.ns(node_id), self._host_veth(node_id)
        run("ip", "netns", "del", ns, check=False)
        run("ip", "link", "del", host, check=False)
        run("ip", "netns", "add", ns)
        run("ip", "link", "add", host, "type", "veth", "peer", "name", "slj0", "netns", ns)
        run("ip", "link", "set", host, "master", self.bridge)
        run("ip", "link", "set", host, "up")
        x = ("ip", "netns", "exec", ns)
        run(*x, "ip", "link", "set", "lo", "up")
        run(*x, "ip", "addr", "add", self.ip(node_id) + "/24", "dev", "slj0")
        run(*x, "ip", "link", "set", "slj0", "up")
        run(*x, "nft", "-f", "-", input=self._ruleset(()))
        self.nodes.add(node_id)

    def remove_node(self, node_id):
        ns = self.ns(node_id)
        for pid in run("ip", "netns", "pids", ns, check=False).stdout.split():
            try:
                os.kill(int(pid), 9)
            except (OSError, ValueError):
                pass
        run("ip", "netns", "del", ns, check=False)
        run("ip", "link", "del", self._host_veth(node_id), check=False)
        self.nodes.discard(node_id)
        self.blocked.pop(node_id, None)
        self.link.pop(node_id, None)
        for peers in self.blocked.values():
            if self.ip(node_id) in peers:
                peers.remove(self.ip(node_id))

    # --- faults --------------------------------------------------------------
    def _ruleset(self, blocked_ips, loss=0, slow_pct=0):
        rules = ""
        if blocked_ips:
            s = ", ".join(sorted(blocked_ips))
            rules = "    ip saddr { %s } drop\n" % s
        out_rules = rules.replace("saddr", "daddr")
        if loss:
            drop = "    iifname \"slj0\" numgen random mod 100 < %d drop\n" % loss
            rules += drop
            out_rules += drop.replace("iifname", "oifname")
        if slow_pct:
            # HTB takes skb->priority as the class when it names one of its classes.
            out_rules += ("    oifname \"slj0\" meta priority set numgen random mod 100 "
                          "map { 0-%d : 1:20, %d-99 : 1:10 }\n" % (slow_pct - 1, slow_pct))
        return ("table inet slj {}\nflush table inet slj\n"
                "table inet slj {\n"
                "  chain in { type filter hook input priority 0; policy accept;\n%s  }\n"
                "  chain out { type filter hook output priority 0; policy accept;\n%s  }\n"
                "}\n" % (rules, out_rules))

    def block(self, node_id, peer_ids):
        """Node node_id neither sends to nor accepts from peer_ids (atomic);
        keeps the node's link fault."""
        self.blocked[node_id] = [self.ip(p) for p in peer_ids if p != node_id]
        self._apply(node_id)

    def _apply(self, node_id):
        loss, slow = self.link.get(node_id, (0, 0))
        run("ip", "netns", "exec", self.ns(node_id), "nft", "-f", "-",
            input=self._ruleset(self.blocked.get(node_id, ()), loss, slow))

    def partition(self, groups):
        """Nodes talk only inside their group; every node not listed keeps
        talking to all. groups: list of sets of node ids."""
        listed = set().union(*groups) if groups else set()
        for g in groups:
            self.block_many({n: listed - g for n in g})

    def block_many(self, blocked):
        """blocked: {node: set of peers it cannot reach} (made symmetric)."""
        sym = {n: set() for n in self.nodes}
        for n, peers in blocked.items():
            for p in peers:
                if p in sym and n in sym and p != n:
                    sym[n].add(p)
                    sym[p].add(n)
        for n, peers in sym.items():
            self.block(n, peers)

    def heal(self):
        """Removes partitions and link faults."""
        for n in list(self.nodes):
            self.blocked.pop(n, None)
            self.link_clear(n)

    def link_fault(self, node_id, loss=0, slow_pct=0, slow_kbit=400):
        """loss: % of packets dropped each way; slow_pct: % of egress packets
        sent through a slow_kbit class (100 = the whole link is slow)."""
        x = ("ip", "netns", "exec", self.ns(node_id), "tc")
        run(*x, "qdisc", "del", "dev", "slj0", "root", check=False)
        if slow_pct:
            run(*x, "qdisc", "add", "dev", "slj0", "root", "handle", "1:", "htb",
                "default", "20" if slow_pct >= 100 else "10")
            run(*x, "class", "add", "dev", "slj0", "parent", "1:", "classid", "1:10", "htb",
                "rate", "1gbit")
            run(*x, "class", "add", "dev", "slj0", "parent", "1:", "classid", "1:20", "htb",
                "rate", "%dkbit" % slow_kbit, "ceil", "%dkbit" % slow_kbit)
        self.link[node_id] = (int(loss), int(slow_pct) if slow_pct < 100 else 0)
        self._apply(node_id)

    def link_clear(self, node_id):
        run("ip", "netns", "exec", self.ns(node_id), "tc", "qdisc", "del", "dev", "slj0", "root",
            check=False)
        self.link.pop(node_id, None)
        self._apply(node_id)
