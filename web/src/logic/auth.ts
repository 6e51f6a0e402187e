/** Messages for Firebase Auth failures, by error code. */

export function authErrorMessage(code: string | undefined, mode: 'signin' | 'signup'): string {
  switch (code) {
    case 'auth/invalid-email':
      return 'That email address is not valid.';
    case 'auth/missing-password':
      return 'Enter your password.';
    case 'auth/weak-password':
      return 'Choose a password of at least 6 characters.';
    case 'auth/email-already-in-use':
      return 'An account with this email already exists: sign in instead.';
    case 'auth/invalid-credential':
    case 'auth/wrong-password':
    case 'auth/user-not-found':
    case 'auth/invalid-login-credentials':
      return mode === 'signin'
        ? 'Wrong email or password. New here? Create an account instead.'
        : 'Those credentials were refused.';
    case 'auth/user-disabled':
      return 'This account is disabled.';
    case 'auth/too-many-requests':
      return 'Too many attempts. Wait a moment, then try again.';
    case 'auth/network-request-failed':
      return 'The sign-in service could not be reached. Check your connection and try again.';
    default:
      return 'Signing in failed. Try again.';
  }
}

/** Only follow `next` to a path of this app, never to another site. */
export function safeNext(next: string | null, fallback = '/'): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return fallback;
  return next;
}
