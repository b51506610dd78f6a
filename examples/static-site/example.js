/* The page's own code: the JS API and the consentui:change event. */
(function () {
  var out = document.getElementById('state');
  function render(state) {
    out.textContent = state ? state.categories.join(', ') + ' (id ' + state.id + ')' : 'none';
  }
  document.addEventListener('consentui:change', function (e) { render(e.detail); });
  document.getElementById('withdraw').addEventListener('click', function () {
    window.consentUI.withdraw();
  });
  render(window.consentUI && window.consentUI.get());
})();
