// The first script of the CSP test pages (test/cdn/server.mjs serves them),
// loaded from the page's own origin: it records every Content-Security-Policy
// violation the page sees, and lends the test an import() that runs in this
// page, so modules load under this page's policy. Violations inside the
// worker are reported to the server (report-uri) instead.
window.violations = [];
window.addEventListener(
  'securitypolicyviolation',
  (e) => violations.push({ directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile, sample: e.sample }),
  true,
);
window.importModule = (url) => import(url);
