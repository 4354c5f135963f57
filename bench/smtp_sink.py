#!/usr/bin/env python3
"""A loopback SMTP sink for bench/run.sh: accepts every message and counts it.

    smtp_sink.py HOST PORT COUNT_FILE    (aiosmtpd; pip install aiosmtpd)

The count is written to COUNT_FILE after every message."""
import asyncio
import sys

from aiosmtpd.controller import Controller


class Count:
    def __init__(self, path):
        self.path, self.n = path, 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        with open(self.path, "w") as f:
            f.write("%d\n" % self.n)
        return "250 OK"


async def main(host, port, path):
    open(path, "w").write("0\n")
    controller = Controller(Count(path), hostname=host, port=int(port), ready_timeout=10)
    controller.start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
