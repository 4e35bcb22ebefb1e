"""schemathesis hooks for tests/fuzz/schemathesis_real.py: Ferry's "no 5xx" check. It is
schemathesis's not_a_server_error but for the one 500 Ferry gives on purpose, as Connect 3.9 does
(docs/rest.md, "Differences from Connect"): a connector class that names no connector."""
import schemathesis

CONNECTS_500 = "Failed to find any class that implements Connector"


@schemathesis.check
def no_server_error_but_connects(response, case):
    if response.status_code < 500:
        return None
    try:
        message = response.json().get("message") or ""
    except ValueError:
        message = ""
    if response.status_code == 500 and message.startswith(CONNECTS_500):
        return None
    raise AssertionError("Server error %d: %s" % (response.status_code, response.text[:500]))
