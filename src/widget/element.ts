import { attach, type AutocompleteHandle, type AutocompleteOptions, type AutocompleteStatus } from './attach.js';

/** The class behind `<nextkey-textarea>` (see {@link defineNextkeyElements}). */
export interface NextkeyTextareaElement extends HTMLElement {
  /** The widget on the field inside, while the element is in the document. */
  readonly handle: AutocompleteHandle | null;
  /** The widget's status (also reflected as the element's `status` attribute, for CSS); `'detached'` while out of the document. */
  readonly status: AutocompleteStatus;
  /** Why the widget is off, or null. */
  readonly error: Error | null;
}

const FIELD = 'textarea, input, [contenteditable]:not([contenteditable=false])';
const ATTRIBUTES = ['model', 'mode', 'min-confidence', 'max-chars', 'autocorrect'];
/** Attributes of `<nextkey-textarea>` handed to the textarea it makes when it holds no field. */
const FORWARDED = ['name', 'placeholder', 'rows', 'cols', 'maxlength', 'required', 'autofocus'];

function optionsOf(host: HTMLElement): AutocompleteOptions {
  const options: AutocompleteOptions = {};
  const model = host.getAttribute('model');
  const mode = host.getAttribute('mode');
  const min = host.getAttribute('min-confidence');
  const max = host.getAttribute('max-chars');
  if (model) options.model = model;
  if (mode) options.mode = mode as AutocompleteOptions['mode'];
  if (min) options.minConfidence = Number(min);
  if (max) options.maxChars = Number(max);
  const auto = host.getAttribute('autocorrect');
  if (auto !== null) options.autocorrect = auto !== 'off';
  return options;
}

/**
 * Registers `<nextkey-textarea>` (once; later calls return the same class).
 * The element adds the widget to the `<textarea>`, `<input>` or
 * contenteditable it contains, or to a `<textarea>` it creates when it
 * contains none (taking its `name`, `placeholder`, `rows`, `cols`,
 * `maxlength`, `required` and `autofocus`). Attributes `model`, `mode`,
 * `min-confidence`, `max-chars` and `autocorrect` (present and not "off")
 * map to the {@link attach} options; fields
 * with the same `model` share one predictor (and worker). The field stays in
 * the light DOM, so forms and labels work as usual.
 *
 * ```html
 * <script type="module">import { defineNextkeyElements } from 'nextkey/widget'; defineNextkeyElements();</script>
 * <nextkey-textarea><textarea name="message"></textarea></nextkey-textarea>
 * ```
 */
export function defineNextkeyElements(): CustomElementConstructor {
  const existing = customElements.get('nextkey-textarea');
  if (existing) return existing;
  // Declared here, not at module level: importing the widget has no side
  // effects and does not need a DOM (server-side rendering, workers).
  class NextkeyTextarea extends HTMLElement implements NextkeyTextareaElement {
    static observedAttributes = ATTRIBUTES;
    #handle: AutocompleteHandle | null = null;

    get handle(): AutocompleteHandle | null {
      return this.#handle;
    }

    get status(): AutocompleteStatus {
      return this.#handle?.status ?? 'detached';
    }

    get error(): Error | null {
      return this.#handle?.error ?? null;
    }

    connectedCallback(): void {
      let field = this.querySelector<HTMLElement>(FIELD);
      if (!field) {
        field = document.createElement('textarea');
        for (const a of FORWARDED) {
          const v = this.getAttribute(a);
          if (v !== null) field.setAttribute(a, v);
        }
        this.append(field);
      }
      const handle = attach(field, optionsOf(this));
      this.#handle = handle;
      const reflect = (): void => {
        if (this.#handle === handle) this.setAttribute('status', handle.status);
      };
      reflect();
      handle.ready.then(reflect, reflect);
      field.addEventListener('nextkey-error', reflect);
    }

    disconnectedCallback(): void {
      void this.#handle?.detach();
      this.#handle = null;
      this.removeAttribute('status');
    }

    attributeChangedCallback(): void {
      if (!this.#handle) return;
      this.disconnectedCallback();
      this.connectedCallback();
    }
  }
  customElements.define('nextkey-textarea', NextkeyTextarea);
  return NextkeyTextarea;
}
