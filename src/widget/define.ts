// dist/element.js: `<script type="module" src=".../element.js">` registers
// <nextkey-textarea> with no other script. The one entry with a side effect.
import { defineNextkeyElements } from './index.js';

defineNextkeyElements();
