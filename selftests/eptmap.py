#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""An independent RPC client through a VIP: impacket (Debian's
python3-impacket) does what eptclient does with casvip's own encoders.
For each SRC, for each IFACE: ept_map through VIP:135 from SRC
(impacket's hept_map), then a bind to IFACE at VIP and the port it gave,
from SRC. One line each, as eptclient's:

    SRC IFACE PORT ok | SRC IFACE PORT bind:REASON | SRC IFACE - epm:REASON

--ndr64 binds to the mapper with NDR64, as a 64-bit Windows client can:
the ept_map call and its answer are NDR64's.

usage: eptmap.py [--ndr64] VIP IFACE[,IFACE...] SRC...
       eptmap.py --files   (the Python files it runs on, for the VM image)
"""
import glob
import os
import socket
import sys

from impacket.dcerpc.v5 import epm, transport
from impacket.dcerpc.v5.rpcrt import DCERPCException
from impacket.uuid import uuidtup_to_bin

IFACES = {
    "emsmdb": ("a4f1db00-ca47-1067-b31f-00dd010662da", "0.81"),
    "asyncemsmdb": ("5261574a-4572-206e-b268-6b199213b4e4", "0.1"),
    "nspi": ("f5cc5a18-4264-101a-8c59-08002b2f8426", "56.0"),
    "rfr": ("1544f5e0-613c-11d1-93df-00c04fd7bd09", "1.0"),
}
NDR64 = ("71710533-beba-4937-8319-b5dbef9ccc36", "1.0")
TIMEOUT = 3


class FromSource(socket.socket):
    """A socket that connects from the client address under test."""

    source = None

    def connect(self, address):
        self.settimeout(TIMEOUT)
        self.bind((FromSource.source, 0))
        super().connect(address)


def ept_map(vip, iface, ndr64):
    """impacket's hept_map; with @ndr64, on a mapper bound with NDR64."""
    if not ndr64:
        return epm.hept_map(vip, iface, protocol="ncacn_ip_tcp")
    dce = transport.DCERPCTransportFactory(
        "ncacn_ip_tcp:%s[135]" % vip).get_dce_rpc()
    dce.connect()
    bind = dce.bind
    dce.bind = lambda uuid: bind(uuid, transfer_syntax=NDR64)
    try:
        return epm.hept_map(vip, iface, protocol="ncacn_ip_tcp", dce=dce)
    finally:
        dce.disconnect()


def one(vip, name, ndr64=False):
    iface = uuidtup_to_bin(IFACES[name])
    try:
        binding = ept_map(vip, iface, ndr64)
    except Exception as e:  # impacket raises what its socket raised
        return "- epm:%s:%s" % (type(e).__name__, str(e).replace(" ", "_")[:80])
    port = binding.split("[")[1].rstrip("]")
    try:
        dce = transport.DCERPCTransportFactory(binding).get_dce_rpc()
        dce.connect()
        dce.bind(iface)
        dce.disconnect()
    except ConnectionRefusedError:
        return "%s refused" % port
    except (DCERPCException, OSError) as e:
        return "%s bind:%s" % (port, type(e).__name__)
    return "%s ok" % port


def main():
    if sys.argv[1:] == ["--files"]:
        # What a call loads as it goes (the idna codec, for one): a call
        # to a port where nothing listens.
        FromSource.source = "127.0.0.1"
        socket.socket = FromSource
        one("127.0.0.1", "emsmdb")
        # The modules loaded, and the native libraries beside them that
        # packages load by path (pycryptodomex's, through ctypes).
        files = {m.__file__ for m in list(sys.modules.values())
                 if getattr(m, "__file__", None)}
        for d in {os.path.dirname(f) for f in files}:
            files |= set(glob.glob(os.path.join(d, "*.so")))
        print("\n".join(sorted(files)))
        return 0
    args = sys.argv[1:]
    ndr64 = args[:1] == ["--ndr64"]
    if ndr64:
        args = args[1:]
    if len(args) < 3:
        print(__doc__.strip().splitlines()[-2].strip(), file=sys.stderr)
        return 2
    socket.socket = FromSource
    vip, names = args[0], args[1].split(",")
    for src in args[2:]:
        FromSource.source = src
        for name in names:
            print(src, name, one(vip, name, ndr64), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
