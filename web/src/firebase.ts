/** The Firebase app, Auth and Firestore of this page, pointed at the emulators when configured. */
import { initializeApp, type FirebaseApp } from 'firebase/app';
import { connectAuthEmulator, getAuth, type Auth } from 'firebase/auth';
import { connectFirestoreEmulator, initializeFirestore, type Firestore } from 'firebase/firestore';
import { splitHostPort, type AppConfig } from './config';

export interface FirebaseServices {
  app: FirebaseApp;
  auth: Auth;
  db: Firestore;
}

export function initFirebase(config: AppConfig): FirebaseServices {
  const app = initializeApp(config.firebase);
  const auth = getAuth(app);
  const db = initializeFirestore(app, {}, config.firestoreDatabase);
  if (config.emulators) {
    connectAuthEmulator(auth, config.emulators.auth, { disableWarnings: true });
    const { host, port } = splitHostPort(config.emulators.firestore);
    connectFirestoreEmulator(db, host, port);
  }
  return { app, auth, db };
}
