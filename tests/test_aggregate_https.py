"""HTTPS partners over real TLS on loopback (certificates from a throwaway CA, trustme)."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
import trustme
from flask import Flask

from syndicate.aggregate.fetcher import Fetcher, Limits, trusting
from syndicate.config import load_settings
from syndicate.exceptions import ConfigError, FetchError
from syndicate.services import services
from tests.aggregate_helpers import aggregation_app, insert_source, stories_of
from tests.conftest import FakeClock
from tests.partners import PartnerServer, Reply, data

FEED = data("rss20.xml")


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def partner_for(ca: trustme.CA, *names: str) -> PartnerServer:
    """A partner serving /feed.xml over HTTPS with a certificate for ``names``."""
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(server_context)
    server = PartnerServer(tls=server_context)
    server.serve("/feed.xml", Reply(body=FEED))
    return server


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "partners-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def on_loopback(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]


def test_a_partner_name_is_verified_through_the_guarded_connection(
    ca: trustme.CA, ca_file: str
) -> None:
    """The socket connects to the checked address, but TLS still verifies the partner's name."""
    with partner_for(ca, "partner.example") as partner:
        url = partner.url("/feed.xml", host="partner.example")
        fetcher = Fetcher(
            Limits(allow_private=True, ssl_context=trusting(ca_file)), resolver=on_loopback
        )
        try:
            response = fetcher.fetch(url)
        finally:
            fetcher.close()
    assert url.startswith("https://partner.example:")
    assert response.status == 200
    assert response.body == FEED


def test_an_untrusted_certificate_is_refused(ca: trustme.CA) -> None:
    with partner_for(ca, "partner.example") as partner:
        fetcher = Fetcher(Limits(allow_private=True), resolver=on_loopback)
        try:
            with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED"):
                fetcher.fetch(partner.url("/feed.xml", host="partner.example"))
        finally:
            fetcher.close()


def test_a_certificate_for_another_name_is_refused(ca: trustme.CA, ca_file: str) -> None:
    with partner_for(ca, "other.example") as partner:
        fetcher = Fetcher(
            Limits(allow_private=True, ssl_context=trusting(ca_file)), resolver=on_loopback
        )
        try:
            with pytest.raises(FetchError, match=r"[Hh]ostname mismatch.*partner\.example"):
                fetcher.fetch(partner.url("/feed.xml", host="partner.example"))
        finally:
            fetcher.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_ca_file_setting_lets_a_scheduled_pass_fetch_an_https_partner(
    database_url: str, tmp_path: Path, clock: FakeClock, ca: trustme.CA, ca_file: str
) -> None:
    with partner_for(ca, "127.0.0.1") as partner:
        app: Flask = aggregation_app(database_url, tmp_path, clock, fetch_ca_file=ca_file)
        try:
            source = insert_source(app, partner.url("/feed.xml"), name="Partenaire TLS")
            result = app.test_cli_runner().invoke(args=["fetch"])
            assert result.exit_code == 0, result.output
            assert stories_of(app, source.id)
            assert [s.url for s in services(app).aggregator.all_sources()] == [
                partner.url("/feed.xml")
            ]
        finally:
            services(app).aggregator.close()
            services(app).store.dispose()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_unreadable_ca_file_stops_the_start_with_its_name(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    with pytest.raises(ConfigError, match="SYNDICATE_FETCH_CA_FILE: no such file"):
        load_settings({"SYNDICATE_FETCH_CA_FILE": str(tmp_path / "missing.pem")})
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    with pytest.raises(ConfigError, match="SYNDICATE_FETCH_CA_FILE: cannot read"):
        aggregation_app(database_url, tmp_path, clock, fetch_ca_file=str(garbage))
