"""E-mail over TLS, as real SMTP servers want it (STARTTLS and SMTPS), to an aiosmtpd server
on loopback with a certificate made here. The TLS context Apprise gets is built once per
process (medstay/reminders/tls.py): these tests show it still verifies what Apprise asks it to verify.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from medstay.reminders import delivery, tls
from tests.helpers import free_port
from tests.peers import Mailbox


def certificate(tmp_path, name: str, ip: str | None):
    """A self-signed certificate for `name` (and `ip`), as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    alt = [x509.DNSName(name)] + ([x509.IPAddress(ipaddress.ip_address(ip))] if ip else [])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / f"{name}.crt", tmp_path / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


class TlsSmtp:
    """aiosmtpd on loopback that refuses to take mail before STARTTLS (or speaks TLS at once)."""

    def __init__(self, cert_file, key_file, implicit: bool) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_file, key_file)
        self.port, self.box = free_port(), Mailbox()
        options = {"ssl_context": context} if implicit else {"tls_context": context, "require_starttls": True}
        self.controller = Controller(self.box, hostname="127.0.0.1", port=self.port, **options)
        self.controller.start()

    def url(self, mode: str, verify: bool) -> str:
        return (
            f"mailto://127.0.0.1:{self.port}?from=medstay@example.org&mode={mode}"
            f"&verify={'yes' if verify else 'no'}&to=applicant@example.org"
        )

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture
def fresh_contexts(monkeypatch):
    """Contexts built anew for this test, counting how often the CA store is read."""
    monkeypatch.setattr(tls, "_built", {})
    reads = []
    real = ssl.create_default_context

    def counting(*args, **kwargs):
        if not args and not kwargs:  # a client's default context (the servers here make their own)
            reads.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(tls.ssl, "create_default_context", counting)
    return reads


def send(server: TlsSmtp, mode: str, verify: bool) -> str:
    return delivery.send(
        delivery.Outgoing(server.url(mode, verify), "Rappel", "Votre dossier", "x", "applicant@example.org")
    )[0]


@pytest.mark.parametrize("mode, implicit", [("starttls", False), ("ssl", True)])
def test_mail_goes_out_over_tls_and_the_ca_store_is_read_once(tmp_path, fresh_contexts, mode, implicit):
    server = TlsSmtp(*certificate(tmp_path, "mail.example.org", "127.0.0.1"), implicit=implicit)
    try:
        outcomes = [send(server, mode, verify=False) for _ in range(5)]
    finally:
        server.stop()
    assert outcomes == ["sent"] * 5
    assert [str(m["To"]) for m in server.box.messages] == ["applicant@example.org"] * 5
    assert len(fresh_contexts) == 1, "one context for the process, not one per message"
    assert tls.install(), "Apprise's e-mail module still reads `ssl` as medstay/reminders/tls.py expects"


def test_an_untrusted_certificate_is_refused_when_verification_is_asked(tmp_path, fresh_contexts):
    server = TlsSmtp(*certificate(tmp_path, "mail.example.org", "127.0.0.1"), implicit=False)
    try:
        assert send(server, "starttls", verify=False) == "sent"  # a shared insecure context first...
        assert send(server, "starttls", verify=True) != "sent"  # ...never lends itself to a verifying send
    finally:
        server.stop()
    assert len(server.box.messages) == 1


def test_a_trusted_certificate_for_another_host_is_refused(tmp_path, fresh_contexts, monkeypatch):
    right = certificate(tmp_path, "localhost", "127.0.0.1")
    wrong = certificate(tmp_path, "elsewhere.example.org", None)
    bundle = tmp_path / "trusted.pem"
    bundle.write_bytes(right[0].read_bytes() + wrong[0].read_bytes())
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))  # the machine's CA store, for this test
    for cert, expected in ((right, "sent"), (wrong, "not sent")):
        server = TlsSmtp(*cert, implicit=False)
        try:
            outcome = send(server, "starttls", verify=True)
        finally:
            server.stop()
        assert (outcome if outcome == "sent" else "not sent") == expected, cert[0].name
    assert len(fresh_contexts) == 1, "both sends verified with the one context"
