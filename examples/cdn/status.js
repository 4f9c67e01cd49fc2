// The CDN demo's status line: what a developer wants to see while wiring the
// widget up. It listens for the script failing to load, then for the
// widget's own nextkey-ready / nextkey-error events (they bubble from the
// field), and shows the error the widget also logs with console.error.
// An external file, not an inline <script>, so the page works under a
// Content-Security-Policy without 'unsafe-inline'.
(() => {
  const model = new URLSearchParams(location.search).get('model');
  const show = (text, error = false) => {
    const el = document.getElementById('status');
    if (!el) return;
    el.textContent = text;
    el.classList.toggle('error', error);
  };
  // A <script> that fails to load fires 'error' on itself, which does not bubble: listen in the capture phase.
  window.addEventListener(
    'error',
    (e) => {
      if (e.target instanceof HTMLScriptElement && e.target.src.includes('nextkey')) {
        show(`could not load ${e.target.src}: is the CDN (or npm start's second port) reachable?`, true);
      }
    },
    true,
  );
  // This script runs after the element is parsed and before nextkey's script upgrades it.
  if (model) document.querySelector('nextkey-textarea').setAttribute('model', model);
  show(`loading nextkey and the model${model ? ` from ${model}` : ''}…`);
  document.addEventListener('nextkey-ready', () => show('ready: type in the field; Tab or → accepts the grey suggestion, Esc dismisses it'));
  document.addEventListener('nextkey-error', (e) => show(`the widget is off: ${e.detail.error.name}: ${e.detail.error.message}`, true));
})();
