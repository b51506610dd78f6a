/* A harmless stand-in for a third-party tracker: it marks its purpose as running and
   sets the cookies and storage keys its purpose declares, so that withdrawal can be
   seen deleting them. It sends nothing anywhere. */
(function () {
  var me = document.currentScript;
  var category = me.getAttribute('data-category');
  var runs = (window.demoTrackerRuns = window.demoTrackerRuns || {});
  runs[category] = (runs[category] || 0) + 1;

  (me.getAttribute('data-cookies') || '').split(' ').filter(Boolean).forEach(function (name) {
    document.cookie = name + '=demo.' + Date.now() + '; path=/; max-age=31536000; samesite=lax';
  });
  (me.getAttribute('data-storage') || '').split(' ').filter(Boolean).forEach(function (key) {
    var seen = [];
    try { seen = JSON.parse(localStorage.getItem(key)) || []; } catch (e) { seen = []; }
    seen = [location.pathname].concat(seen.filter(function (p) { return p !== location.pathname; }));
    localStorage.setItem(key, JSON.stringify(seen.slice(0, 5)));
  });

  var out = document.querySelector('[data-tracker="' + category + '"] output');
  if (out) { out.textContent = out.getAttribute('data-running'); out.className = 'on'; }

  var recent = document.querySelector('[data-recent]');
  var viewed = localStorage.getItem('recently_viewed');
  if (recent && viewed) {
    var links = JSON.parse(viewed).filter(function (p) { return p.indexOf('/ads/') === 0; });
    if (links.length) {
      recent.textContent = '';
      links.forEach(function (p) {
        var a = document.createElement('a');
        a.href = p; a.textContent = p.slice(5).replace(/-/g, ' ');
        recent.appendChild(a); recent.appendChild(document.createTextNode(' '));
      });
    }
  }
})();
