"""A Streamlit client that speaks the browser's protocol: one WebSocket to /_stcore/stream, protobuf messages.

What a browser tab does, without drawing: it fetches the page (which sets nginx's `radar_route` cookie, so the
WebSocket reaches the same replica), opens the stream, asks for a script run (BackMsg.rerun_script with the
address bar's query string, the page and every widget value it holds) and reads ForwardMsgs until the run's
`script_finished`. Widgets are found by the key the app gives them (Streamlit appends the user key to the
element id), values are sent in the form the frontend sends them (a slider's list of doubles, a select box's
shown label, a button's trigger). Used by bench/load.py; streamlit's own protobufs, the `websockets` library.
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect

FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR}


class ProtocolError(RuntimeError):
    """The app raised, the stream closed, or a run did not finish in time."""


@dataclass
class Run:
    """What one script run sent back: the elements by widget key, alert texts, exceptions, and its duration."""

    ms: float
    widgets: dict[str, object] = field(default_factory=dict)  # user key -> the element's widget proto
    alerts: list[tuple[str, str]] = field(default_factory=list)  # (format: error/warning/info/success, body)
    exceptions: list[str] = field(default_factory=list)
    elements: int = 0


ALERT_FORMATS = {1: "error", 2: "warning", 3: "info", 4: "success"}


def _user_key(element_id: str) -> str | None:
    """Streamlit's element ids end with the user key: `$$ID-<hash>-<key>` (`-None` without a key)."""
    key = element_id.split("-", 2)[-1] if element_id.startswith("$$ID-") else None
    return None if key in (None, "None", "") else key


class Session:
    """One browser tab's session. Use `async with Session(base) as s:` then `await s.open()`, `s.set(...)`."""

    def __init__(self, base: str, timeout_s: float = 300.0) -> None:
        self.base = base.rstrip("/")
        self.timeout_s = timeout_s
        self.pages: dict[str, str] = {}  # url path ("" for the default page) -> page script hash
        self.page_hash = ""
        self.query = ""
        self.states: dict[str, WidgetState] = {}  # element id -> the value the "browser" holds
        self.last: Run | None = None
        self._ws = None
        self._cookie = ""

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(self, *exc) -> None:
        if self._ws is not None:
            await self._ws.close()

    async def open(self, query: str = "") -> Run:
        """Load the page (cookie from nginx), open the stream and run the app as a new visit does."""
        start = time.perf_counter()
        self._cookie = await asyncio.to_thread(self._fetch_page)
        ws_url = "ws" + self.base.removeprefix("http") + "/_stcore/stream"
        headers = {"Cookie": self._cookie} if self._cookie else None
        self._ws = await connect(ws_url, subprotocols=["streamlit"], additional_headers=headers,
                                 max_size=None, open_timeout=self.timeout_s, ping_interval=None)
        self.query = query
        run = await self._run()
        run.ms = (time.perf_counter() - start) * 1000  # from the page request, as a browser counts it
        return run

    def _fetch_page(self) -> str:
        with urllib.request.urlopen(self.base + "/", timeout=self.timeout_s) as response:
            response.read()
            cookie = SimpleCookie()
            for header in response.headers.get_all("Set-Cookie") or []:
                cookie.load(header)
        return "; ".join(f"{name}={morsel.value}" for name, morsel in cookie.items())

    async def goto(self, url_path: str) -> Run:
        """Switch page as the navigation does (the page's query string is cleared; widget values of the page
        left behind are dropped by the frontend, the sidebar's are kept)."""
        if url_path not in self.pages:
            raise ProtocolError(f"no page {url_path!r}; the app has {sorted(self.pages)}")
        self.page_hash = self.pages[url_path]
        self.query = ""
        return await self._run()

    def widget(self, key: str):
        """The widget proto with user key `key` from the last run."""
        if self.last is None or key not in self.last.widgets:
            raise ProtocolError(f"no widget with key {key!r} in the last run")
        return self.last.widgets[key]

    async def set(self, key: str, value: object, *, submit: str | None = None) -> Run:
        """Give widget `key` a value and rerun (with `submit`, also press that form submit button)."""
        proto = self.widget(key)
        state = WidgetState(id=proto.id)
        kind = proto.DESCRIPTOR.name
        if kind == "Slider":
            state.double_array_value.data[:] = [float(value)]
        elif kind in ("Selectbox", "TextInput", "TextArea"):
            state.string_value = str(value)
        elif kind == "Checkbox":
            state.bool_value = bool(value)
        else:
            raise ProtocolError(f"setting a {kind} is not supported here")
        self.states[proto.id] = state
        if submit is not None:
            return await self.click(submit)
        return await self._run()

    async def click(self, key: str) -> Run:
        """Press a button (a trigger: sent once, with every value held)."""
        proto = self.widget(key)
        return await self._run(extra=[WidgetState(id=proto.id, trigger_value=True)])

    async def _run(self, extra: list[WidgetState] | None = None) -> Run:
        msg = BackMsg()
        msg.rerun_script.query_string = self.query
        msg.rerun_script.page_script_hash = self.page_hash
        msg.rerun_script.widget_states.widgets.extend([*self.states.values(), *(extra or [])])
        start = time.perf_counter()
        await self._ws.send(msg.SerializeToString())
        run = Run(ms=0.0)
        try:
            async with asyncio.timeout(self.timeout_s):
                while True:
                    data = await self._ws.recv()
                    fwd = ForwardMsg()
                    fwd.ParseFromString(data)
                    if self._read(fwd, run):
                        break
        except TimeoutError as exc:
            raise ProtocolError(f"no script_finished within {self.timeout_s:.0f} s") from exc
        except Exception as exc:  # the stream closed under us
            if isinstance(exc, ProtocolError):
                raise
            raise ProtocolError(f"stream failed: {exc!r}") from exc
        run.ms = (time.perf_counter() - start) * 1000
        # The frontend keeps values only for widgets that are still on the page.
        ids = {proto.id for proto in run.widgets.values()}
        self.states = {wid: s for wid, s in self.states.items() if wid in ids}
        self.last = run
        if run.exceptions:
            raise ProtocolError("the app raised: " + run.exceptions[0])
        return run

    def _read(self, fwd: ForwardMsg, run: Run) -> bool:
        """Take in one ForwardMsg; True when the run is over."""
        kind = fwd.WhichOneof("type")
        if kind == "new_session":
            self.page_hash = self.page_hash or fwd.new_session.page_script_hash
        elif kind == "navigation":
            for page in fwd.navigation.app_pages:
                self.pages[page.url_pathname] = page.page_script_hash
            self.page_hash = fwd.navigation.page_script_hash or self.page_hash
        elif kind == "page_info_changed":
            self.query = fwd.page_info_changed.query_string  # the app writes the address bar
        elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
            element = fwd.delta.new_element
            run.elements += 1
            which = element.WhichOneof("type")
            if which == "alert":
                run.alerts.append((ALERT_FORMATS.get(element.alert.format, "?"), element.alert.body))
            elif which == "exception":
                run.exceptions.append(f"{element.exception.type}: {element.exception.message}")
            elif which is not None:
                proto = getattr(element, which)
                key = _user_key(getattr(proto, "id", "") or "") if proto.DESCRIPTOR.fields_by_name.get("id") else None
                if key:
                    run.widgets[key] = proto
        elif kind == "ref_hash":  # a cached message we never announced having: the server should not send it
            raise ProtocolError("the server referred to a cached message the client does not hold")
        elif kind == "script_finished":
            if fwd.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                raise ProtocolError("the app failed to compile")
            return fwd.script_finished in FINISHED
        return False
