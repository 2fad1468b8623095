"""A shaped link between "the data centre" (this host) and "the cloud" (a network namespace).

The namespace holds what sits on the far side of a slow link: the intermediate host's sshd (a
second sshd of the local stack's own configuration, listening inside the namespace) and a
forwarder to the destination cluster. Both ends of the veth pair are shaped with `tc tbf` on
their sending side, so that every byte a tool sends to the cloud crosses the link once at the
link's rate, and every answer comes back at it:

    source, tools (host) --veth, tbf--> [namespace: sshd :2222, forwarder :55433] --veth, tbf--> destination

The destination itself stays on 127.0.0.1 of the host; the forwarder in the namespace reaches it
through a second forwarder on the host's end of the veth pair. What a tool on the intermediate
host does (pg_restore from the drop directory into the destination) does not cross the link, as
on a real intermediate host next to a managed database. Only addresses of this harness's own
veth pair are used (10.217.0.0/30).
"""
import subprocess
import time
from pathlib import Path

NS = "caravan-wan"
HOST_IF, NS_IF = "cvwan0", "cvwan1"
HOST_IP, NS_IP = "10.217.0.1", "10.217.0.2"
RATES = {"100mbit": "100mbit", "1gbit": "1gbit"}


def sh(*cmd, check=True):
    return subprocess.run(list(cmd), check=check, capture_output=True, text=True)


class ShapedLink:
    def __init__(self, stack: Path, work: Path, ssh_port: int, dst_port: int):
        self.stack, self.work, self.ssh_port, self.dst_port = stack, work, ssh_port, dst_port
        self.procs = []
        self.rate = None
        self.known_hosts = work / "wan_known_hosts"

    # the far side's addresses, for the tools
    host = NS_IP

    def up(self, rate):
        """Creates the namespace, the veth pair, the far side's sshd and forwarders, at this rate."""
        self.down()
        sh("ip", "netns", "add", NS)
        sh("ip", "link", "add", HOST_IF, "type", "veth", "peer", "name", NS_IF)
        sh("ip", "link", "set", NS_IF, "netns", NS)
        sh("ip", "addr", "add", f"{HOST_IP}/30", "dev", HOST_IF)
        sh("ip", "link", "set", HOST_IF, "up")
        self.ns("ip", "addr", "add", f"{NS_IP}/30", "dev", NS_IF)
        self.ns("ip", "link", "set", NS_IF, "up")
        self.ns("ip", "link", "set", "lo", "up")
        self.set_rate(rate)
        d = self.stack / "sshd"
        self.procs.append(subprocess.Popen(
            ["ip", "netns", "exec", NS, "/usr/sbin/sshd", "-D", "-f", str(d / "sshd_config"),
             "-o", f"ListenAddress={NS_IP}:{self.ssh_port}", "-o", f"PidFile={self.work / 'wan-sshd.pid'}",
             "-E", str(self.work / "wan-sshd.log")]))
        # far side: the destination's port in the namespace, back across the link to the host's end
        self.procs.append(subprocess.Popen(
            ["ip", "netns", "exec", NS, "socat", f"TCP-LISTEN:{self.dst_port},bind={NS_IP},reuseaddr,fork",
             f"TCP:{HOST_IP}:{self.dst_port + 10000}"]))
        self.procs.append(subprocess.Popen(
            ["socat", f"TCP-LISTEN:{self.dst_port + 10000},bind={HOST_IP},reuseaddr,fork",
             f"TCP:127.0.0.1:{self.dst_port}"]))
        pub = (d / "ssh_host_ed25519_key.pub").read_text().split()
        self.known_hosts.write_text(f"[{NS_IP}]:{self.ssh_port} {pub[0]} {pub[1]}\n")
        self.known_hosts.chmod(0o644)
        for _ in range(100):
            if sh("ip", "netns", "exec", NS, "ss", "-Htln", check=False).stdout.count(NS_IP) >= 2:
                return self
            time.sleep(0.1)
        raise RuntimeError("the shaped link's sshd and forwarder did not come up")

    def set_rate(self, rate):
        for cmd in (("tc",), ("ip", "netns", "exec", NS, "tc")):
            dev = HOST_IF if len(cmd) == 1 else NS_IF
            sh(*cmd, "qdisc", "replace", "dev", dev, "root", "tbf", "rate", RATES[rate],
               "burst", "1mbit" if rate == "100mbit" else "8mbit", "latency", "50ms")
        self.rate = rate

    def ns(self, *cmd):
        return sh("ip", "netns", "exec", NS, *cmd)

    def down(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        self.procs = []
        # and what a harness killed before its own clean-up left behind (they would hold the ports)
        sh("pkill", "-f", f"bind={NS_IP}|bind={HOST_IP}|ListenAddress={NS_IP}", check=False)
        sh("ip", "link", "del", HOST_IF, check=False)
        sh("ip", "netns", "del", NS, check=False)
