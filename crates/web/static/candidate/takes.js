// Recorded takes kept in IndexedDB until the answer is submitted, so a reload (or a crash)
// does not lose a recording whose upload has not finished: the page offers it again and the
// upload resumes.

const DB = 'shortlist-takes';
const STORE = 'takes';

function open() {
  return new Promise((resolve, reject) => {
    if (!window.indexedDB) {
      reject(new Error('no IndexedDB'));
      return;
    }
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'key' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function run(mode, fn) {
  return open().then((db) => new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const out = fn(tx.objectStore(STORE));
    tx.oncomplete = () => {
      db.close();
      resolve(out && 'result' in out ? out.result : undefined);
    };
    tx.onerror = () => {
      db.close();
      reject(tx.error);
    };
  }));
}

const prefix = (owner, question) => `${owner}|${question}|`;

/** Saves a take; `owner` identifies the interview (not the whole link token). */
export function saveTake(owner, question, take, blob) {
  const key = `${prefix(owner, question)}${take}`;
  return run('readwrite', (s) => s.put({ key, take, type: blob.type, blob })).catch(() => {});
}

/** The takes saved for a question, in take order. */
export function loadTakes(owner, question) {
  const p = prefix(owner, question);
  return run('readonly', (s) => s.getAll())
    .then((all) => (all || []).filter((r) => r.key.startsWith(p)).sort((a, b) => a.take - b.take))
    .catch(() => []);
}

/** Forgets the takes of a question (after its answer was submitted). */
export function forgetQuestion(owner, question) {
  return loadTakes(owner, question)
    .then((rows) => run('readwrite', (s) => rows.forEach((r) => s.delete(r.key))))
    .catch(() => {});
}
