// Test-runner plugin (runs in Node, registered in web-test-runner.config.mjs).

/** The DevTools session that holds a page's quota override (detaching it lifts the override). */
const sessions = new WeakMap();

/**
 * Command `set-storage-quota` ({ quota: bytes | null, clearIndexedDB? }): caps
 * this origin's storage quota through the Chrome DevTools Protocol (null lifts
 * the cap), so a test can provoke a real QuotaExceededError from IndexedDB.
 * Chromium caches the space left per origin for about 30 s; `clearIndexedDB`
 * deletes the origin's IndexedDB data first, which makes it check again. Browser side:
 * executeServerCommand from /node_modules/@web/test-runner-commands/browser/commands.mjs.
 */
export function storageQuota() {
  return {
    name: 'storage-quota',
    async executeCommand({ command, payload, session }) {
      if (command !== 'set-storage-quota') return undefined;
      const page = session.browser.getPage(session.id);
      const origin = new URL(page.url()).origin;
      let cdp = sessions.get(page);
      if (payload?.quota == null) {
        if (cdp) {
          await cdp.send('Storage.overrideQuotaForOrigin', { origin });
          await cdp.detach();
          sessions.delete(page);
        }
        return true;
      }
      if (!cdp) {
        cdp = await page.context().newCDPSession(page);
        sessions.set(page, cdp);
      }
      if (payload.clearIndexedDB) await cdp.send('Storage.clearDataForOrigin', { origin, storageTypes: 'indexeddb' });
      await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: payload.quota });
      return true;
    },
  };
}
