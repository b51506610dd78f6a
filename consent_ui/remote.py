"""Reading a running consent-ui from outside: its ``/api/policy``.

The scanner (``--server``, or the server a page's snippet comes from) and the QA kit
(``--consent-server``) classify against the policy a deployment publishes, rebuilt
with ``policy_from_api``. Each says who it is in the User-Agent (``agents``).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from .agents import user_agent
from .policy import Policy, policy_from_api


class Unreachable(Exception):
    """The server did not answer with a policy; the text says why, in one line."""


def fetch_policy(base: str, agent: str, timeout: float = 15) -> Policy:
    """The policy of the consent-ui at ``base`` (its URL, path prefix included);
    ``PolicyError`` when what it publishes is not a valid policy."""
    url = base.rstrip("/") + "/api/policy?lang=en"
    request = urllib.request.Request(  # noqa: S310 - base is the operator's http(s) URL
        url,
        headers={"User-Agent": user_agent(agent, "Python-urllib"), "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            data = json.loads(response.read())
    except urllib.error.HTTPError as e:
        raise Unreachable(f"cannot read the policy at {url}: HTTP {e.code}") from None
    except (OSError, ValueError) as e:
        reason = getattr(e, "reason", None) or e
        raise Unreachable(f"cannot read the policy at {url}: {reason}") from None
    return policy_from_api(data, url)
