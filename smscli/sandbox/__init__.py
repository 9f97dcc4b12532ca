"""The offline simulators of the two gateway APIs, servers rather than clients: `v3` (the
laaffic / onbuka / itniotech JSON API) and `mobset` (SDK3), their shared scaffolding
(`common`: state file, magic numbers, checks, the simulator frame), the quirk modes that make
them answer as real servers do (`quirks`), and `loopback`, which serves any of them over real
HTTP on 127.0.0.1.

They speak httpx's Request/Response (in-process through httpx.MockTransport, or behind
LoopbackServer), never print, and never import the gateway clients: a simulator is an
independent reading of the protocol, so a client's mistake is not mirrored by the fake it is
tested against."""

import sys

# As in smscli.gateways: keep `import httpx` from importing httpx's own command-line client
# (about 40 ms of start-up) when a simulator is the first to import httpx.
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
