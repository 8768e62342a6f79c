"""A browser without a page for the real-server tests: its own cookies, its own source address (any of
127/8, which Linux routes to the loopback), forms posted with their CSRF token, no redirects followed."""
import http.client
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

from tests.support.wizard import PageParser


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    text: str

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


class HttpClient:
    def __init__(self, url: str, source: str = "127.0.0.1"):
        parts = urlsplit(url)
        self.host, self.port, self.source = parts.hostname, parts.port, source
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None) -> Reply:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30, source_address=(self.source, 0))
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body, headers)
            response = connection.getresponse()
            reply = Reply(response.status, response.headers, response.read().decode())
        finally:
            connection.close()
        for header in reply.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return reply

    def get(self, path: str, headers: dict | None = None) -> Reply:
        return self.request("GET", path, headers=headers)

    def submit(self, page_path: str, action: str, fields: dict, headers: dict | None = None) -> Reply:
        """Post fields to a form of the page (found by its action) with the page's CSRF token."""
        page = PageParser(self.get(page_path).text)
        form = page.form_with(lambda f: (f.action or page_path) == action)
        return self.request("POST", action, {**form.inputs, **fields}, headers)

    def log_in(self, email: str, password: str, headers: dict | None = None) -> Reply:
        return self.submit("/login", "/login", {"email": email, "password": password}, headers)

    def copy(self, source: str = "127.0.0.1") -> "HttpClient":
        """Another client with this one's cookies: what a stolen cookie or a shared computer gives."""
        other = HttpClient(f"http://{self.host}:{self.port}", source)
        other.cookies = dict(self.cookies)
        return other
