"""
The wire between group.delivery's hosts when they have a link delay
(bench/netns.ts): this machine's kernel has no netem qdisc, so one learning
Ethernet switch in userspace holds every frame `delay_ms` before it goes out.

    python3 netns-switch.py <delay_ms> <ports> <device prefix>

Run inside the bench's hub namespace. Makes TAP devices <prefix>0..<ports-1>
there (bench/netns.ts then moves each into its host's namespace, where it is
the host's eth0; the open descriptor keeps working), prints "ready", and
forwards frames: to the port that last sent from the destination MAC, else
to every other port. A frame from A to B is held once, at the switch: one
delay per hop, one way, like netem on A's egress. A port that cannot take a
frame drops it, as a full link would. Exits when its stdin closes (the bench's
end, whatever the outcome).
"""
import fcntl
import heapq
import os
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP, IFF_NO_PI = 0x0002, 0x1000


def main() -> None:
    # Ctrl-C reaches the whole process group: the bench ends the switch (stdin, or SIGKILL), not the terminal
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    delay = float(sys.argv[1]) / 1000
    ports = int(sys.argv[2])
    prefix = sys.argv[3]
    fds = []
    for i in range(ports):
        fd = os.open('/dev/net/tun', os.O_RDWR | os.O_NONBLOCK)
        fcntl.ioctl(fd, TUNSETIFF, struct.pack('16sH', f'{prefix}{i}'.encode(), IFF_TAP | IFF_NO_PI))
        fds.append(fd)
    where = {}  # MAC -> fd that last sent from it
    held = []  # (due, seq, fd, frame)
    seq = 0
    poller = select.epoll()
    for fd in fds:
        poller.register(fd, select.EPOLLIN)
    stdin = sys.stdin.fileno()
    poller.register(stdin, select.EPOLLIN | select.EPOLLHUP)
    print('ready', flush=True)

    def send(fd: int, frame: bytes) -> None:
        try:
            os.write(fd, frame)
        except (BlockingIOError, OSError):
            pass  # a full or gone port drops the frame

    while True:
        timeout = -1 if not held else max(0.0, held[0][0] - time.monotonic())
        for fd, _ in poller.poll(timeout):
            if fd == stdin:
                return
            # at most 64 frames from one port per wake-up: the others are not starved
            for _ in range(64):
                try:
                    frame = os.read(fd, 65536)
                except BlockingIOError:
                    break
                if len(frame) < 14:
                    continue
                where[frame[6:12]] = fd
                to = where.get(frame[0:6])
                outs = [to] if to is not None and frame[0] & 1 == 0 else [f for f in fds if f != fd]
                for out in outs:
                    if out == fd:
                        continue
                    if delay == 0:
                        send(out, frame)
                    else:
                        seq += 1
                        heapq.heappush(held, (time.monotonic() + delay, seq, out, frame))
        now = time.monotonic()
        while held and held[0][0] <= now:
            _, _, out, frame = heapq.heappop(held)
            send(out, frame)


if __name__ == '__main__':
    main()
