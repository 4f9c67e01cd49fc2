// The part of nspell (CommonJS, no bundled types) tools/typos.ts uses.
declare module 'nspell' {
  interface NSpell {
    /** Whether the dictionary spells `word` this way. */
    correct(word: string): boolean;
    /** Corrections of `word`, best first (empty when it is spelled right or nothing is near). */
    suggest(word: string): string[];
  }
  function nspell(dictionary: { aff: Uint8Array | string; dic: Uint8Array | string }): NSpell;
  export default nspell;
}
