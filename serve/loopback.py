"""Keep each Serve replica's internal gRPC server on loopback when the whole Ray node is on loopback.

Ray Serve 2.60 starts an inter-deployment gRPC server in every replica and binds it to ``[::]:0`` with
no option to change it (``ray/serve/_private/replica.py``, ``_on_initialized``; the proxy's HTTP host
does not apply to it). Token authentication guards it, but it still listens on every interface. On a
node whose Ray address is 127.0.0.1 (the local Ray learec starts) every peer that could call it (the
proxy, handles, the controller) connects through 127.0.0.1, so binding it there loses nothing. On a
cluster node the address is the node's real IP and Serve's own bind is kept.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

log = logging.getLogger(__name__)

_MARK = "_learec_loopback"


def _is_loopback(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def bind_replica_grpc_to_loopback() -> bool:
    """Rebind this replica's ``[::]:0`` gRPC server to ``127.0.0.1:0`` if the node is on loopback.

    Must run before the replica calls ``_on_initialized``, i.e. in the deployment's constructor (Serve
    constructs the user class first). Returns whether the bind was changed. A Ray whose replica module
    no longer has the hook is left alone (the socket test in ``tests/jobs/test_ray_runtime.py`` says so).
    """
    import ray
    from ray.serve._private import replica

    if not _is_loopback(ray.util.get_node_ip_address()):
        return False
    original = getattr(replica, "add_port_to_grpc_server", None)
    if original is None:
        log.warning("this Ray's Serve replica has no add_port_to_grpc_server; its gRPC bind is Ray's own")
        return False
    if getattr(original, _MARK, False):
        return True

    def add_port(server: Any, address: str) -> int:
        if address.startswith("[::]:") or address.startswith("0.0.0.0:"):
            address = "127.0.0.1:" + address.rsplit(":", 1)[1]
        return original(server, address)

    setattr(add_port, _MARK, True)
    replica.add_port_to_grpc_server = add_port
    return True
