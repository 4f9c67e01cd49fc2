/** Letters, digits, combining marks and apostrophes continue a word; anything else ends it. */
export function isWordChar(ch: string): boolean {
  return /^[\p{L}\p{N}\p{M}'’]$/u.test(ch);
}

/** The text before a UTF-16 `cursor` offset, never splitting a surrogate pair. */
export function beforeCursor(text: string, cursor: number): string {
  let end = Math.max(0, Math.min(text.length, Math.floor(cursor)));
  const c = text.charCodeAt(end - 1);
  if (end > 0 && c >= 0xd800 && c <= 0xdbff) end--;
  return text.slice(0, end);
}

/**
 * The text after the caret that a model's bidirectional part reads: up to the
 * end of its line (a textarea's other paragraphs say little about this one,
 * and a line bounds the cost of reading it).
 */
export function rightContext(after: string): string {
  const nl = after.search(/[\r\n]/);
  return nl < 0 ? after : after.slice(0, nl);
}

/**
 * The number of code points the worker reads for text.slice(0, offset): a
 * surrogate pair is one, and so is "\r\n" (newlines are read normalised).
 */
export function toPoint(text: string, offset: number): number {
  let n = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    const c = text.charCodeAt(i);
    const before = i > 0 ? text.charCodeAt(i - 1) : 0;
    if (c >= 0xdc00 && c <= 0xdfff && before >= 0xd800 && before <= 0xdbff) continue;
    if (c === 10 && before === 13) continue;
    n++;
  }
  return n;
}

/** The UTF-16 offset in `text` where its code point `point` (as toPoint counts) starts. */
export function fromPoint(text: string, point: number): number {
  let i = 0;
  for (let n = 0; n < point && i < text.length; n++) {
    const c = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    i += (c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) || (c === 13 && next === 10) ? 2 : 1;
  }
  return i;
}
