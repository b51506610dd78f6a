"""The cookie scanner (``consent-ui scan``): crawl a site, visit each page before any
choice, after Reject all and after Accept all, and report what runs when it should not.

- ``crawl``: which pages (same site, breadth-first, robots.txt);
- ``visit``: the three visits of a page, through the real banner;
- ``consent_ui.observe``: what a page stores and calls (shared with the QA kit);
- ``findings``: classification (``consent_ui.classify``) and the findings;
- ``report``: text, JSON, JUnit and HTML; ``suggest``: policy TOML for what is undeclared;
- ``scanner``: the whole run; ``command``: its command line.
"""
