"""Who may read the development mail viewer: only a browser on this machine (docs/security.md, "/dev/mail")."""
from __future__ import annotations

import ipaddress


def may_read_dev_mail(remote_addr: str | None) -> bool:
    """True for a loopback client (127.0.0.0/8, ::1, ::ffff:127.x): /dev/mail holds every reset and manage link,
    so even a development server reachable from the network shows it to nobody else."""
    if not remote_addr:
        return False
    try:
        address = ipaddress.ip_address(remote_addr.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback
