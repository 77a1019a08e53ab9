"""The centre's signing certificate.

Either configured (SIGNING_P12: a PKCS#12 file from the centre's own CA or a commercial one,
SIGNING_P12_PASSWORD, and SIGNING_TRUST_ROOTS: PEM certificates verify trusts), or created on
first use in the instance folder: a centre root certificate (a CA) and a signing certificate it
issues, with the key in a PKCS#12 file whose random passphrase sits beside it (mode 600).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.signers import SimpleSigner


@dataclass(frozen=True)
class CentreKeys:
    signer: SimpleSigner
    trust_roots: tuple[asn1_x509.Certificate, ...]


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _name(common: str, org: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "GB"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def create_centre_keys(folder: Path, centre: str) -> None:
    """A centre root (CA) and a signing certificate it issues, written into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC) - timedelta(minutes=5)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name(f"{centre} portfolio root", centre)
    root = (x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
            .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False,
                                         decipher_only=False), critical=True)
            .sign(root_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name(f"{centre} portfolio signing", centre))
            .issuer_name(root_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + timedelta(days=1825))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]),
                           critical=False)
            .sign(root_key, hashes.SHA256()))
    passphrase = secrets.token_urlsafe(24).encode()
    p12 = pkcs12.serialize_key_and_certificates(
        b"portfolio signing", key, cert, [root],
        serialization.BestAvailableEncryption(passphrase))
    _write_private(folder / "signing.p12", p12)
    _write_private(folder / "signing.passphrase", passphrase)
    (folder / "centre-root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    # The root's private key is not kept: nothing more is ever issued from it here.


def _load_pem_certs(path: Path) -> tuple[asn1_x509.Certificate, ...]:
    certs = x509.load_pem_x509_certificates(path.read_bytes())
    return tuple(asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
                 for c in certs)


def centre_keys(config: dict, instance_path: str) -> CentreKeys:
    """The configured certificate, or the instance folder's (created on first use)."""
    if config.get("SIGNING_P12"):
        password = (config.get("SIGNING_P12_PASSWORD") or "").encode() or None
        signer = SimpleSigner.load_pkcs12(config["SIGNING_P12"], passphrase=password)
        if signer is None:
            raise RuntimeError("SIGNING_P12 could not be opened: check the file and "
                               "SIGNING_P12_PASSWORD.")
        roots_file = config.get("SIGNING_TRUST_ROOTS")
        roots = _load_pem_certs(Path(roots_file)) if roots_file else tuple(
            c for c in signer.cert_registry if c.ca)
        return CentreKeys(signer, roots)
    folder = Path(instance_path) / "signing"
    if not (folder / "signing.p12").exists():
        try:
            create_centre_keys(folder, config.get("CENTRE_NAME") or "Training centre")
        except FileExistsError:
            pass  # another worker made them first
    signer = SimpleSigner.load_pkcs12(str(folder / "signing.p12"),
                                      passphrase=(folder / "signing.passphrase").read_bytes())
    return CentreKeys(signer, _load_pem_certs(folder / "centre-root.pem"))
