import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, splitHostPort } from './config';

const ORIGIN = 'http://127.0.0.1:5173';
const LOCAL = {
  apiBaseUrl: 'http://127.0.0.1:8080/api/',
  firebase: { apiKey: 'demo-key', authDomain: 'demo-peerprep.firebaseapp.com', projectId: 'demo-peerprep' },
  emulators: { auth: 'http://127.0.0.1:9099', firestore: '127.0.0.1:8085' },
};

describe('parseConfig', () => {
  it('reads the local stack config and trims the API URL', () => {
    const config = parseConfig(LOCAL, ORIGIN);
    expect(config.apiBaseUrl).toBe('http://127.0.0.1:8080/api');
    expect(config.firebase.projectId).toBe('demo-peerprep');
    expect(config.emulators).toEqual({ auth: 'http://127.0.0.1:9099', firestore: '127.0.0.1:8085' });
  });

  it('resolves a relative API URL against the page origin (Hosting rewrites /api)', () => {
    const config = parseConfig({ ...LOCAL, apiBaseUrl: '/api', emulators: null }, 'https://peerprep.example');
    expect(config.apiBaseUrl).toBe('https://peerprep.example/api');
    expect(config.emulators).toBeNull();
  });

  it('reads the Firestore database, (default) when the config names none', () => {
    expect(parseConfig(LOCAL, ORIGIN).firestoreDatabase).toBe('(default)');
    expect(parseConfig({ ...LOCAL, firestoreDatabase: '(default)' }, ORIGIN).firestoreDatabase).toBe('(default)');
    expect(parseConfig({ ...LOCAL, firestoreDatabase: 'restored-0131' }, ORIGIN).firestoreDatabase).toBe(
      'restored-0131',
    );
  });

  it.each([
    [null, 'expected an object'],
    [{ ...LOCAL, firestoreDatabase: 'Restored' }, 'not a database id'],
    [{ ...LOCAL, firestoreDatabase: '' }, 'firestoreDatabase'],
    [{ ...LOCAL, apiBaseUrl: '' }, 'apiBaseUrl'],
    [{ ...LOCAL, firebase: undefined }, 'firebase must be an object'],
    [{ ...LOCAL, firebase: { apiKey: 'k' } }, 'firebase.projectId'],
    [{ ...LOCAL, emulators: { auth: 'http://x:1', firestore: 'nohost' } }, 'not host:port'],
    [{ ...LOCAL, emulators: { auth: '127.0.0.1:9099', firestore: '127.0.0.1:8085' } }, 'emulators.auth'],
  ])('refuses %j', (raw, message) => {
    expect(() => parseConfig(raw, ORIGIN)).toThrow(ConfigError);
    expect(() => parseConfig(raw, ORIGIN)).toThrow(message);
  });
});

describe('splitHostPort', () => {
  it('splits host and port', () => {
    expect(splitHostPort('127.0.0.1:8085')).toEqual({ host: '127.0.0.1', port: 8085 });
    expect(splitHostPort('localhost:1')).toEqual({ host: 'localhost', port: 1 });
  });

  it.each(['127.0.0.1', ':80', 'host:0', 'host:70000', 'a b:80'])('refuses %s', (address) => {
    expect(() => splitHostPort(address)).toThrow(ConfigError);
  });
});
