/** Letters, digits, combining marks and apostrophes continue a word; anything else ends it. */
export function isWordChar(ch: string): boolean {
  return /^[\p{L}\p{N}\p{M}'’]$/u.test(ch);
}
