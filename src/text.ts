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
