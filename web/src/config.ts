/**
 * Run-time configuration, read from `/config.json` on the page's own origin, so one build serves
 * any port (the local stack writes it from its addresses; deployment writes it for Hosting).
 */

export interface FirebaseWebConfig {
  apiKey: string;
  authDomain?: string;
  projectId: string;
  appId?: string;
}

export interface EmulatorConfig {
  /** The Auth emulator's URL, e.g. `http://127.0.0.1:9099`. */
  auth: string;
  /** The Firestore emulator's `host:port`. */
  firestore: string;
}

export interface AppConfig {
  /** The API's base URL, ending in `/api`, without a trailing slash. */
  apiBaseUrl: string;
  firebase: FirebaseWebConfig;
  /** The Firestore database the listeners read: `(default)`, or a restored one switched to. */
  firestoreDatabase: string;
  emulators: EmulatorConfig | null;
}

const DATABASE_ID = /^(\(default\)|[a-z][a-z0-9-]{2,61}[a-z0-9])$/;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireString(source: Record<string, unknown>, key: string, where: string): string {
  const value = source[key];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ConfigError(`config.json: ${where}${key} must be a non-empty string`);
  }
  return value.trim();
}

/** Split `host:port` (IPv4 or a name) into its parts. */
export function splitHostPort(address: string): { host: string; port: number } {
  const match = /^([^:\s]+):(\d{1,5})$/.exec(address.trim());
  const port = match ? Number(match[2]) : NaN;
  if (!match || !match[1] || !(port > 0 && port < 65536)) {
    throw new ConfigError(`config.json: "${address}" is not host:port`);
  }
  return { host: match[1], port };
}

/**
 * Check the shape of `/config.json` and resolve the API URL against the page's origin (a
 * relative `apiBaseUrl` such as `/api` names the same origin, as behind Firebase Hosting).
 */
export function parseConfig(raw: unknown, pageOrigin: string): AppConfig {
  if (!isRecord(raw)) throw new ConfigError('config.json: expected an object');
  const api = requireString(raw, 'apiBaseUrl', '');
  let apiBaseUrl: string;
  try {
    apiBaseUrl = new URL(api, pageOrigin).toString().replace(/\/+$/, '');
  } catch {
    throw new ConfigError(`config.json: apiBaseUrl "${api}" is not a URL`);
  }
  if (!isRecord(raw.firebase)) throw new ConfigError('config.json: firebase must be an object');
  const firebase: FirebaseWebConfig = {
    apiKey: requireString(raw.firebase, 'apiKey', 'firebase.'),
    projectId: requireString(raw.firebase, 'projectId', 'firebase.'),
  };
  if (typeof raw.firebase.authDomain === 'string') firebase.authDomain = raw.firebase.authDomain;
  if (typeof raw.firebase.appId === 'string') firebase.appId = raw.firebase.appId;
  let emulators: EmulatorConfig | null = null;
  if (raw.emulators !== undefined && raw.emulators !== null) {
    if (!isRecord(raw.emulators)) throw new ConfigError('config.json: emulators must be an object or null');
    const auth = requireString(raw.emulators, 'auth', 'emulators.');
    const firestore = requireString(raw.emulators, 'firestore', 'emulators.');
    splitHostPort(firestore);
    if (!/^https?:\/\//.test(auth)) throw new ConfigError('config.json: emulators.auth must be an http(s) URL');
    emulators = { auth: auth.replace(/\/+$/, ''), firestore };
  }
  let firestoreDatabase = '(default)';
  if (raw.firestoreDatabase !== undefined && raw.firestoreDatabase !== null) {
    firestoreDatabase = requireString(raw, 'firestoreDatabase', '');
    if (!DATABASE_ID.test(firestoreDatabase)) {
      throw new ConfigError(`config.json: firestoreDatabase "${firestoreDatabase}" is not a database id`);
    }
  }
  return { apiBaseUrl, firebase, firestoreDatabase, emulators };
}

/** Fetch and check `/config.json` from the page's origin. */
export async function loadConfig(): Promise<AppConfig> {
  let response: Response;
  try {
    response = await fetch('/config.json', { cache: 'no-store' });
  } catch {
    throw new ConfigError('Could not reach the server for its configuration. Check your connection and reload.');
  }
  if (!response.ok) {
    throw new ConfigError(`The server's configuration is missing (HTTP ${response.status}).`);
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new ConfigError('The server sent a configuration that is not JSON.');
  }
  return parseConfig(body, window.location.origin);
}
