"""A stand-in legacy population register: a real SOAP service (spyne), in memory.

Run it alone: `python -m examples.legacy.population_register --port 8123`, WSDL at
`http://127.0.0.1:8123/?wsdl` (SOAP 1.1) and `http://127.0.0.1:8123/soap12?wsdl` (SOAP 1.2).
From tests: `server, url = start_population_register()` ... `server.stop()`.

Operations (document/literal): `GetPerson(person_id) -> person`, `ChangeAddress(person_id,
street, postal_code, city, country, effective_date) -> result`, and `WhoIsAsking()` whose
X-Road-style soap:header (client, service, id, userId) it echoes back.

Misbehaviour on demand, chosen by the person id sent to GetPerson:

| person_id     | what the register does                                              |
|---------------|---------------------------------------------------------------------|
| (not seeded)  | SOAP Client fault `Client.PersonNotFound` (spyne, HTTP 500)         |
| `server-fault`| SOAP Server fault `Server.RegisterUnavailable` (spyne, HTTP 500)    |
| `slow-N`      | sleeps N seconds (a float), then answers as for `010101-0001`       |
| `http-500`    | HTTP 500 with an HTML body, no SOAP at all                          |
| `malformed`   | HTTP 200 with a body that is not well-formed XML                    |
| `xxe`         | HTTP 200 whose reply declares an external entity (`xxe_target`)     |
| `fault-200`   | a SOAP Client fault inside an HTTP 200                              |

The last four are canned by a small WSGI middleware, because spyne never produces them.
Every request body is kept in `server.requests` so tests can see what reached the server
(a WS-Security UsernameToken, SOAP headers).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import re
import socketserver
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from io import BytesIO
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from spyne import Application, Boolean, ComplexModel, Date, Fault, ServiceBase, Unicode, rpc
from spyne.protocol.soap import Soap11, Soap12
from spyne.server.wsgi import WsgiApplication

NAMESPACE = "urn:civicbus:example:population-register"

_SEED = {
    "010101-0001": (
        "Aino",
        "Virtanen",
        dt.date(1981, 1, 1),
        ("Mannerheimintie 1", "00100", "Helsinki", "FI"),
    ),
    "020202-0002": ("Jaan", "Tamm", dt.date(1992, 2, 2), ("Pikk 2", "10123", "Tallinn", "EE")),
    "030303-0003": (
        "Inga",
        "Berzina",
        dt.date(1973, 3, 3),
        ("Brivibas iela 3", "LV-1010", "Riga", "LV"),
    ),
}


class Address(ComplexModel):
    __namespace__ = NAMESPACE
    street = Unicode(min_occurs=1)
    postal_code = Unicode(min_occurs=1)
    city = Unicode(min_occurs=1)
    country = Unicode(min_occurs=1)


class Person(ComplexModel):
    __namespace__ = NAMESPACE
    person_id = Unicode(min_occurs=1)
    given_name = Unicode(min_occurs=1)
    family_name = Unicode(min_occurs=1)
    birth_date = Date(min_occurs=1)
    address = Address.customize(min_occurs=1)


class ChangeAddressResult(ComplexModel):
    __namespace__ = NAMESPACE
    accepted = Boolean(min_occurs=1)
    reference = Unicode(min_occurs=1)


class XRoadHeader(ComplexModel):
    """X-Road-style caller identification, sent as soap:header parts."""

    __namespace__ = NAMESPACE
    client = Unicode
    service = Unicode
    id = Unicode
    userId = Unicode  # noqa: N815  # the X-Road element name


class Register:
    """The people the register knows, by id; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.people = {
            pid: Person(
                person_id=pid,
                given_name=g,
                family_name=f,
                birth_date=b,
                address=Address(street=a[0], postal_code=a[1], city=a[2], country=a[3]),
            )
            for pid, (g, f, b, a) in _SEED.items()
        }

    def add(  # one argument per register field
        self,
        person_id: str,
        given_name: str,
        family_name: str,
        birth_date: dt.date,
        address: tuple[str, str, str, str],
    ) -> None:
        """Register a person (street, postal code, city, country); an existing one is kept."""
        street, postal_code, city, country = address
        person = Person(
            person_id=person_id,
            given_name=given_name,
            family_name=family_name,
            birth_date=birth_date,
            address=Address(street=street, postal_code=postal_code, city=city, country=country),
        )
        with self._lock:
            self.people.setdefault(person_id, person)

    def get(self, person_id: str) -> Person:
        with self._lock:
            person = self.people.get(person_id)
        if person is None:
            raise Fault(
                faultcode="Client.PersonNotFound",
                faultstring=f"no person with id {person_id!r} in the register",
            )
        return person


REGISTER = Register()


def _require(**values: object) -> None:
    # spyne does not enforce min_occurs by itself; the real register refuses such calls.
    missing = sorted(name for name, value in values.items() if value is None)
    if missing:
        raise Fault(
            faultcode="Client.MissingValue",
            faultstring=f"required values missing: {', '.join(missing)}",
        )


class PopulationRegister(ServiceBase):
    @rpc(
        Unicode(min_occurs=1), _returns=Person.customize(min_occurs=1), _out_variable_name="person"
    )
    def GetPerson(ctx: Any, person_id: str) -> Person:  # noqa: N802, N805  # SOAP names
        _require(person_id=person_id)
        if person_id == "server-fault":
            raise Fault(
                faultcode="Server.RegisterUnavailable", faultstring="the register database is down"
            )
        slow = re.fullmatch(r"slow-([0-9.]+)", person_id)
        if slow:
            time.sleep(float(slow.group(1)))
            person_id = "010101-0001"
        return REGISTER.get(person_id)

    @rpc(
        Unicode(min_occurs=1),
        Unicode(min_occurs=1),
        Unicode(min_occurs=1),
        Unicode(min_occurs=1),
        Unicode(min_occurs=1),
        Date(min_occurs=1),
        _returns=ChangeAddressResult.customize(min_occurs=1),
        _out_variable_name="result",
    )
    def ChangeAddress(  # noqa: N802, PLR0917  # SOAP names; spyne passes parts by position
        ctx: Any,  # noqa: N805  # spyne passes its call context first
        person_id: str,
        street: str,
        postal_code: str,
        city: str,
        country: str,
        effective_date: dt.date,
    ) -> ChangeAddressResult:
        _require(
            person_id=person_id,
            street=street,
            postal_code=postal_code,
            city=city,
            country=country,
            effective_date=effective_date,
        )
        person = REGISTER.get(person_id)
        person.address = Address(street=street, postal_code=postal_code, city=city, country=country)
        return ChangeAddressResult(accepted=True, reference=f"CA-{uuid.uuid4().hex[:8]}")


class XRoadPopulationRegister(ServiceBase):
    __in_header__ = XRoadHeader

    @rpc(_returns=Unicode, _out_variable_name="caller")
    def WhoIsAsking(ctx: Any) -> str:  # noqa: N802, N805  # SOAP names
        header = ctx.in_header
        if header is None:
            raise Fault(faultcode="Client.MissingHeader", faultstring="no X-Road header sent")
        return f"client={header.client} userId={header.userId} id={header.id}"


def _application(protocol: Any) -> WsgiApplication:
    app = Application(
        [PopulationRegister, XRoadPopulationRegister],
        tns=NAMESPACE,
        name="PopulationRegister",
        in_protocol=protocol(validator="lxml"),
        out_protocol=protocol(),
    )
    return WsgiApplication(app)


_HTML_500 = b"<html><body><h1>500 Internal Server Error</h1>proxy says no</body></html>"
_MALFORMED = b"<?xml version='1.0'?><soap11env:Envelope><unclosed>"
_FAULT_200 = (
    b"<?xml version='1.0' encoding='UTF-8'?>"
    b"<soap11env:Envelope xmlns:soap11env='http://schemas.xmlsoap.org/soap/envelope/'>"
    b"<soap11env:Body><soap11env:Fault><faultcode>soap11env:Client.Rejected</faultcode>"
    b"<faultstring>request rejected inside a 200</faultstring></soap11env:Fault>"
    b"</soap11env:Body></soap11env:Envelope>"
)


def _xxe_reply(target: str) -> bytes:
    return (
        f"<?xml version='1.0' encoding='UTF-8'?><!DOCTYPE r [<!ENTITY leak SYSTEM "
        f"'file://{target}'>]><soap11env:Envelope "
        f"xmlns:soap11env='http://schemas.xmlsoap.org/soap/envelope/' xmlns:tns='{NAMESPACE}'>"
        f"<soap11env:Body><tns:GetPersonResponse><tns:person><tns:person_id>&leak;"
        f"</tns:person_id></tns:person></tns:GetPersonResponse></soap11env:Body>"
        f"</soap11env:Envelope>"
    ).encode()


StartResponse = Callable[..., Any]


class Misbehaviour:
    """WSGI middleware: records request bodies, and cans the replies spyne never makes."""

    def __init__(
        self,
        soap11: WsgiApplication,
        soap12: WsgiApplication,
        xxe_target: str,
        requests: list[bytes],
    ) -> None:
        self._soap11, self._soap12 = soap11, soap12
        self.xxe_target = xxe_target
        self.requests = requests
        self.delay = 0.0  # seconds every request waits: a legacy system under strain

    def __call__(self, environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
        if self.delay:
            time.sleep(self.delay)
        body = b""
        if environ.get("REQUEST_METHOD") == "POST":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = BytesIO(body)
            self.requests.append(body)
        canned = self._canned(body)
        if canned is not None:
            status, content_type, reply = canned
            start(status, [("Content-Type", content_type), ("Content-Length", str(len(reply)))])
            return [reply]
        if environ.get("PATH_INFO", "").startswith("/soap12"):
            return self._soap12(environ, start)  # type: ignore[no-any-return]
        return self._soap11(environ, start)  # type: ignore[no-any-return]

    def _canned(self, body: bytes) -> tuple[str, str, bytes] | None:
        match = re.search(rb"person_id>\s*(http-500|malformed|xxe|fault-200)\s*<", body)
        if match is None:
            return None
        case = match.group(1)
        if case == b"http-500":
            return "500 Internal Server Error", "text/html", _HTML_500
        if case == b"malformed":
            return "200 OK", "text/xml; charset=utf-8", _MALFORMED
        if case == b"xxe":
            return "200 OK", "text/xml; charset=utf-8", _xxe_reply(self.xxe_target)
        return "200 OK", "text/xml; charset=utf-8", _FAULT_200


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # stdlib signature
        pass


class RunningRegister:
    """A population register serving in a background thread, with switches to break it
    (`make_slow`, `make_unreachable`, `make_healthy`: the adapter contract kit's hooks)."""

    def __init__(self, httpd: _ThreadingServer, app: Misbehaviour) -> None:
        self._httpd: _ThreadingServer | None = None
        self.app = app
        self.requests = app.requests
        self.host: str = httpd.server_address[0]
        self.port: int = httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self._serve(httpd)

    def _serve(self, httpd: _ThreadingServer) -> None:
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, name="population-register", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
        self._httpd = None

    def make_slow(self, delay: float) -> None:
        self.app.delay = delay

    def make_unreachable(self) -> None:
        self.stop()  # the port refuses connections until make_healthy

    def make_healthy(self) -> None:
        self.app.delay = 0.0
        if self._httpd is None:
            self._serve(
                make_server(
                    self.host,
                    self.port,
                    self.app,
                    server_class=_ThreadingServer,
                    handler_class=_QuietHandler,
                )
            )


def start_population_register(
    port: int = 0, *, host: str = "127.0.0.1", xxe_target: str = "/etc/hostname"
) -> tuple[RunningRegister, str]:
    """Serve the register on `host:port` (0: an ephemeral port); returns it and its base URL."""
    # Faults are this stand-in's job; spyne would log each one with a traceback.
    logging.getLogger("spyne.application").setLevel(logging.CRITICAL)
    app = Misbehaviour(_application(Soap11), _application(Soap12), xxe_target, [])
    httpd = make_server(host, port, app, server_class=_ThreadingServer, handler_class=_QuietHandler)
    running = RunningRegister(httpd, app)
    return running, running.url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="seconds every request takes, as a busy legacy system's would",
    )
    args = parser.parse_args()
    running, url = start_population_register(args.port, host=args.host)
    running.make_slow(args.latency)
    print(f"population register at {url} (WSDL {url}?wsdl); Ctrl-C stops it")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        running.stop()


if __name__ == "__main__":
    main()
