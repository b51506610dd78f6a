/*! consent-ui snippet: keeps trackers blocked until the visitor agrees, category by
    category. One hand-written file, no dependency, ES2020; the server minifies it and
    writes its policy data where the last line says @config. */
((w, d, C) => {
  /* ---- pure part: what a token allows under the policy ---- */

  const cats = C.categories;
  const keys = cats.map((c) => c.key);
  const b64 = (s) => atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  const sorted = (list) => [...list].sort() + '';

  // An itsdangerous token: payload.timestamp.signature. Only the server can check the
  // signature; here the shape, the age and the policy (revision, categories) decide.
  const parse = (token) => {
    try {
      const [payload, stamp, signature] = token.split('.');
      const p = JSON.parse(b64(payload));
      const issued = [...b64(stamp)].reduce((n, ch) => n * 256 + ch.charCodeAt(0), 0);
      const age = Date.now() / 1000 - issued;
      return signature && p.rev === C.revision && age < C.maxAge && age > -300 &&
        sorted([...p.granted, ...p.denied]) == sorted(keys) ? { ...p, issued, token } : null;
    } catch (e) {
      return null;
    }
  };

  /* ---- state ---- */

  // The service's root, path included: it may be mounted under a prefix of the page's
  // own origin (https://www.example.org/consent-ui/consent.js).
  const base = new URL('.', d.currentScript.src).href.slice(0, -1);
  // C.gpc: the request for this script carried Sec-GPC, which a page cannot see.
  const gpc = navigator.globalPrivacyControl === true || !!C.gpc;
  const lang = [d.documentElement.lang, ...navigator.languages]
    .map((l) => (l || '').slice(0, 2).toLowerCase()).find((l) => C.texts[l]) || C.lang;
  const texts = C.texts[lang];
  // The banner this script carries (for pages that do not render it) says whether
  // there was a signal: the server's text hash counts the notice of it only under one.
  const carried = gpc == !!C.gpc && texts.banner;
  const ran = {};
  const loading = {};
  const loaded = {};
  let state;
  let root;
  let opener;
  let queue = Promise.resolve();

  const cookies = () => d.cookie.split('; ').map((c) => c.split('='));
  const read = () => cookies().map(([k, v]) => k == C.cookie && parse(v)).find(Boolean) || null;
  const has = (key) => cats.some((c) => c.key == key && (c.required || !!state?.granted.includes(key)));
  const get = () => state && {
    id: state.id,
    categories: [...state.granted],
    revision: C.revision,
    issuedAt: new Date(state.issued * 1000),
    gpc,
  };

  /* ---- the cookie this snippet keeps, and those a withdrawal deletes ---- */

  const setCookie = (value, age) => {
    d.cookie = `${C.cookie}=${value};path=/;max-age=${age};samesite=lax${location.protocol == 'https:' ? ';secure' : ''}`;
  };

  // The server sends each declared name (a glob such as _ga_*) as a regular expression.
  // Cookies go on this host and every parent domain: trackers often set them there.
  const cleanup = (lost) => {
    const hit = (kind, name) => cats.some((c) => lost.includes(c.key) && c[kind].some((p) => RegExp(p).test(name)));
    const host = location.hostname.split('.');
    cookies().forEach(([name]) => hit('cookies', name) && host.forEach((_, i) => {
      d.cookie = `${name}=;path=/;max-age=0${i ? ';domain=.' + host.slice(i - 1).join('.') : ''}`;
    }));
    try {
      for (const s of [localStorage, sessionStorage]) Object.keys(s).forEach((k) => hit('storage', k) && s.removeItem(k));
    } catch (e) { /* storage disabled */ }
  };

  /* ---- Google Consent Mode v2 ---- */

  function gtag() {
    (w.dataLayer = w.dataLayer || []).push(arguments);
  }
  const modes = () => Object.fromEntries(cats.flatMap((c) => c.modes.map((m) => [m, has(c.key) ? 'granted' : 'denied'])));

  /* ---- gated scripts and embeds ---- */

  const allowed = (el) => el.dataset.consent.split(' ').every(has);

  const activate = () => {
    d.querySelectorAll('script[type="text/plain"][data-consent]').forEach((old) => {
      if (old.cuQueued || !allowed(old)) return;
      old.cuQueued = 1;
      old.dataset.consent.split(' ').forEach((k) => { ran[k] = 1; });
      // One at a time, in document order: an inline script after an external one waits.
      queue = queue.then(() => new Promise((done) => {
        const s = d.createElement('script');
        for (const a of old.attributes) if (a.name != 'type') s.setAttribute(a.name, a.value);
        s.nonce = old.nonce;
        s.text = old.text;
        s.onload = s.onerror = done;
        old.replaceWith(s);
        if (!old.src) done();
      }));
    });
    d.querySelectorAll('[data-consent][data-src]').forEach((el) => {
      const ph = el.previousSibling;
      const held = ph?.dataset?.consentPlaceholder;
      if (allowed(el)) {
        el.src = el.dataset.src;
        el.removeAttribute('data-src');
        el.hidden = false;
        if (held) ph.remove();
      } else if (!held) {
        placeholder(el);
      }
    });
  };

  // A stand-in that names the service and lets the visitor allow its category in place.
  const placeholder = (el) => {
    const key = el.dataset.consent.split(' ').find((k) => !has(k));
    // Without data-consent-service, the embed's host names it.
    const service = el.dataset.consentService || new URL(el.dataset.src, location).hostname;
    const say = (s) => s.replace('%(service)s', service).replace('%(category)s', texts.labels[key]);
    const ph = d.createElement('div');
    ph.className = 'cu cu-ph';
    ph.lang = lang;
    ph.dataset.consentPlaceholder = key;
    // Exactly the box of the element it stands for, at once; its content once styled,
    // so that nothing moves, around it or inside it (the stylesheet brings its padding
    // and border with box-sizing: border-box).
    const { display, verticalAlign } = getComputedStyle(el);
    Object.assign(ph.style, {
      display: display == 'inline' ? 'inline-block' : display,
      verticalAlign,
      width: el.offsetWidth + 'px',
      height: el.offsetHeight + 'px',
    });
    el.hidden = true;
    el.before(ph);
    css('consent').then(() => {
      ph.innerHTML = '<p></p><button type="button" class="cu-btn" data-consent-action="allow"></button>';
      ph.firstChild.textContent = say(texts.blocked);
      ph.lastChild.textContent = say(texts.allow);
      ph.lastChild.onclick = () => choose('custom', [...(state?.granted || []), key], 'placeholder');
    });
  };

  /* ---- talking to the server ---- */

  const api = (method, body, path = '/api/consent') => fetch(base + path, {
    method,
    credentials: 'include',
    headers: { ...(body && { 'Content-Type': 'application/json' }), ...(state && { [C.header]: state.token }) },
    body: body && JSON.stringify(body),
  });

  const choose = (action, categories, surface) => api('POST', {
    action, categories, surface, page: location.pathname, lang, gpc,
  }).then((r) => {
    if (!r.ok) throw Error('consent-ui: ' + r.status);
    return r.json();
  }).then((j) => {
    // Where the server's cookie is out of reach (another site), keep the token here.
    if (read()?.token != j.token) setCookie(j.token, C.maxAge);
    update(parse(j.token));
    return get();
  });

  // The server clears its own cookie when it refuses or withdraws a token.
  const forget = () => {
    setCookie('', 0);
    update(null);
    return show();
  };

  const withdraw = () => api('DELETE', { surface: 'api', page: location.pathname }).then((r) => {
    if (!r.ok && r.status != 404) throw Error('consent-ui: ' + r.status);
    return forget().then(() => null);
  });

  // Once per browser session and token: only the server can tell a forged token, or
  // one signed with a retired key.
  const verify = (token) => {
    try {
      if (sessionStorage['consent-ui:verified'] == token) return;
    } catch (e) { /* storage disabled: ask on every page */ }
    // After the granted scripts: they never wait for the server.
    // The body is read so that the request ends (tools waiting for an idle network).
    queue.then(() => api('GET')).then((r) => r.text().then(() => {
      if (r.status == 404 && state?.token == token) forget();
      else if (r.ok) sessionStorage['consent-ui:verified'] = token;
    })).catch(() => { /* offline: ask again on the next page */ });
  };

  const update = (next) => {
    const before = keys.filter(has);
    state = next;
    const lost = before.filter((k) => !has(k));
    cleanup(lost);
    if (C.gcm) gtag('consent', 'update', modes());
    activate();
    if (state && banner()) banner().hidden = true;
    // The dialog shows the choice it was rendered with: fetch it afresh next time.
    dialog()?.close();
    dialog()?.remove();
    d.dispatchEvent(new CustomEvent('consentui:change', { detail: get() }));
    // A script that already ran cannot be un-run.
    if (lost.some((k) => ran[k])) location.reload();
  };

  /* ---- the banner and the preferences dialog ---- */

  const banner = () => root?.querySelector('[data-consent-banner]');
  const dialog = () => root?.querySelector('[data-consent-preferences]');

  // A stylesheet of the server's, once; settled when loaded (or failed: the UI still
  // works). The banner's comes with this script (C.css) and is applied at once as a
  // constructed stylesheet, which a strict style-src allows; else from the server.
  const css = (name) => loaded[name] = loaded[name] || new Promise((done) => {
    if (d.querySelector(`link[href*="/${name}.css"]`)) return done();
    if (name == 'consent' && C.css && d.adoptedStyleSheets) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(C.css);
      d.adoptedStyleSheets = [...d.adoptedStyleSheets, sheet];
      return done();
    }
    d.head.append(Object.assign(d.createElement('link'), { rel: 'stylesheet', href: `${base}/${name}.css`, onload: done, onerror: done }));
  });

  // One part of the UI in the page's language, shown once styled. The banner comes
  // with this script (its links from the service's root), so a first visit
  // needs no second round trip; the dialog, with the visitor's choice rendered in
  // and its own stylesheet, is fetched when first opened (so is the banner by a
  // script for pages that render it themselves, or under a signal only the page saw).
  const load = (part) => (part == 'banner' ? banner() : dialog()) ? Promise.resolve() :
    loading[part] = loading[part] || Promise.all([
      part == 'banner' && carried ? carried.replace(/=\//g, () => `=${base}/`) :
        api('GET', null, `/consent/banner?part=${part}&lang=${lang}${gpc ? '&gpc=1' : ''}`).then((r) => r.text()),
      css('consent'),
      part != 'banner' && css('consent-preferences'),
    ]).then(([html]) => {
        const t = d.createElement('template');
        t.innerHTML = html;
        if (root) {
          root.append(...t.content.firstElementChild.children);
        } else {
          root = t.content.firstElementChild;
          d.body.prepend(root);
          wire();
        }
        delete loading[part];
      });

  // The stylesheet keeps that much room below the page while the banner shows, so
  // that it never hides the element with keyboard focus (WCAG 2.4.11).
  const show = () => load('banner').then(() => {
    banner().hidden = false;
    d.documentElement.style.setProperty('--cu-h', banner().offsetHeight + 'px');
  });

  const showPreferences = () => {
    opener = d.activeElement;
    return load('preferences').then(() => dialog().open || dialog().showModal());
  };

  const wire = () => {
    root.addEventListener('click', (e) => {
      const b = e.target.closest('[data-consent-action=customise],[data-consent-dismiss]');
      if (!b) return;
      e.preventDefault();
      if (b.dataset.consentAction) showPreferences();
      else dialog().close();
    });
    root.addEventListener('submit', (e) => {
      const f = e.target;
      // The /preferences page posts for real and goes back where the visitor was.
      if (!f.closest('[data-consent-banner],[data-consent-preferences]')) return;
      e.preventDefault();
      const list = [...f.querySelectorAll('[name=category]:checked:enabled')].map((i) => i.value);
      choose(e.submitter?.value || 'custom', list, f.closest('[data-consent-banner]') ? 'banner' : 'preferences').catch(console.error);
    });
    // "close" does not bubble: catch it on the way down, drop the switches that were
    // not saved (they would show next time as if they were), and give focus back.
    root.addEventListener('close', (e) => {
      e.target.querySelector('form')?.reset();
      opener?.focus();
    }, true);
    // Tab stays inside the dialog both ways: from its last button (Save) to its first
    // (Close) and back. Chromium would leave the page for its own toolbar, WebKit stop
    // on the dialog itself. The key code, as WebKitGTK names Shift+Tab "Unidentified".
    root.addEventListener('keydown', (e) => {
      const b = [...dialog()?.querySelectorAll('button') || []];
      if (e.shiftKey) b.reverse();
      if (e.keyCode == 9 && b[0] && (d.activeElement == b[b.length - 1] || e.shiftKey && d.activeElement == dialog())) {
        b[0].focus();
        e.preventDefault();
      }
    });
  };

  /* ---- start ---- */

  // C.gcm lists the Consent Mode types no category covers: denied too.
  if (C.gcm) gtag('consent', 'default', { ...C.gcm, ...modes(), wait_for_update: 500 });
  state = read();

  w.consentUI = {
    get,
    has,
    acceptAll: () => choose('accept_all', [], 'api'),
    rejectAll: () => choose('reject_all', [], 'api'),
    set: (list) => choose('custom', list, 'api'),
    withdraw,
    show,
    showPreferences,
  };

  const start = () => {
    root = d.querySelector('[data-consent-ui]');
    if (root) wire();
    // A banner the server rendered means the server found no valid consent.
    if (banner()) state = null;
    if (C.gcm && state) gtag('consent', 'update', modes());
    activate();
    if (state) verify(state.token);
    else if (!root || banner()) show();
    d.addEventListener('click', (e) => {
      if (!e.target.closest('[data-consent-open]')) return;
      e.preventDefault();
      showPreferences();
    });
  };

  if (d.readyState == 'loading') d.addEventListener('DOMContentLoaded', start);
  else start();
})(window, document, /*@config*/{});
