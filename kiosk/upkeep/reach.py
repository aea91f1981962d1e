"""Can this station reach its district broker? A TCP connect and, with a CA, a TLS handshake.

Used by `vstation check`: it proves the network path, the port and the
certificates, within a short timeout, without speaking MQTT (the core stays
free of paho) and without logging in.
"""

from __future__ import annotations

import socket
import ssl


def probe_broker(host: str, port: int, *, tls_ca: str = "", tls_cert: str = "", tls_key: str = "",
                 timeout_s: float = 3.0) -> tuple[bool, str]:
    """(reachable, what was found): "reachable (TLS 1.3, certificate verified)" or why not."""
    try:
        sock = socket.create_connection((host, port), timeout=timeout_s)
    except socket.timeout:
        return False, f"no answer within {timeout_s:g} s (network, firewall or broker down?)"
    except OSError as exc:
        return False, f"cannot connect: {exc.strerror or exc} (broker down, wrong host or port?)"
    with sock:
        if not tls_ca:
            return True, "reachable (plain TCP; no tls_ca configured)"
        try:
            context = ssl.create_default_context(cafile=tls_ca)
            if tls_cert:
                context.load_cert_chain(tls_cert, tls_key or None)
        except (OSError, ssl.SSLError) as exc:
            return False, f"TLS files cannot be loaded: {exc}"
        try:
            with context.wrap_socket(sock, server_hostname=host) as tls:
                return True, f"reachable ({tls.version()}, certificate verified against {tls_ca})"
        except ssl.SSLCertVerificationError as exc:
            return False, f"TLS: the broker's certificate is not trusted: {exc.verify_message}"
        except socket.timeout:
            return False, f"TLS handshake: no answer within {timeout_s:g} s"
        except (OSError, ssl.SSLError) as exc:
            return False, f"TLS handshake failed: {exc}"
