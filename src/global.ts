// dist/nextkey.min.js, the script-tag build: everything of the core and the
// widget as one global, `nextkey`, and <nextkey-textarea> registered on load
// (a classic script has no import to opt into that, so it comes with it).
import { defineNextkeyElements } from './widget/index.js';

export * from './index.js';
export * from './widget/index.js';

if (typeof customElements !== 'undefined') defineNextkeyElements();
