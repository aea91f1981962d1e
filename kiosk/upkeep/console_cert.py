"""The staff console's certificate: a small certificate authority of the station and a server certificate
it signs, written by `vstation init` (and by the demo) beside station.toml.

Staff devices open the console over HTTPS on the station's LAN. A phone trusts the console once the
station's CA certificate (`staff-console-ca.crt`) is installed on it; until then the browser warns, and
the fingerprint printed at start tells the right station from another. The server certificate names
this machine's host names and addresses; run init again (`--console-cert`) after the address changes.
"""

from __future__ import annotations

import fcntl
import ipaddress
import os
import socket
import struct
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALID_DAYS = 825          # what browsers accept for a server certificate


SIOCGIFADDR = 0x8915      # Linux: an interface's IPv4 address


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback, read from its network interfaces (a phone on the
    LAN opens one of them). Not from the host name: Raspberry Pi OS and Debian map it to 127.0.1.1 in
    /etc/hosts, so the name alone would give a QR code that no phone can open. Private (LAN) addresses
    first."""
    found = []
    try:
        interfaces = socket.if_nameindex()
    except OSError:
        return []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for _index, name in interfaces:
            try:
                packed = fcntl.ioctl(probe.fileno(), SIOCGIFADDR, struct.pack("256s", name.encode()[:15]))
            except OSError:
                continue      # down, or no IPv4 address
            address = ipaddress.ip_address(packed[20:24])
            if not address.is_loopback:
                found.append(address)
    return [str(a) for a in sorted(dict.fromkeys(found), key=lambda a: not a.is_private)]


def local_names() -> list[str]:
    """This machine's names and addresses as devices on the LAN may reach it (plus loopback)."""
    host = socket.gethostname()
    names = ["localhost", "127.0.0.1", host, f"{host}.local", *lan_addresses()]
    try:
        for family, *_rest, addr in socket.getaddrinfo(host, None):
            if family in (socket.AF_INET, socket.AF_INET6):
                names.append(addr[0].split("%")[0])
    except OSError:
        pass   # no resolver for our own name: loopback and the host name still go in
    return list(dict.fromkeys(names))


def write_certificate(cert_path: Path, key_path: Path, ca_path: Path, *, station_id: str,
                      names: list[str] | None = None, now: datetime | None = None) -> str:
    """Make the station's CA and a server certificate for `names`; the server certificate's SHA-256.

    Keys are written 0600. The CA's own key is not kept: a new server certificate comes with a new CA.
    """
    now = now or datetime.now(timezone.utc)
    names = names or local_names()
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"vstation {station_id} staff console CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
          .not_valid_after(now + timedelta(days=VALID_DAYS))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    server = (x509.CertificateBuilder()
              .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"vstation {station_id}")]))
              .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=VALID_DAYS))
              .add_extension(x509.SubjectAlternativeName([_general_name(n) for n in names]), critical=False)
              .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
              .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
              .sign(ca_key, hashes.SHA256()))
    _write(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()), secret=True)
    _write(cert_path, server.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM))
    _write(ca_path, ca.public_bytes(serialization.Encoding.PEM))
    return fingerprint(server)


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of a certificate as browsers show it (AB:CD:…)."""
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def fingerprint_of(cert_path: Path) -> str:
    """The fingerprint of the first certificate in a PEM file."""
    return fingerprint(x509.load_pem_x509_certificate(Path(cert_path).read_bytes()))


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _write(path: Path, data: bytes, *, secret: bool = False) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if secret else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
