/** Who counts on a token's login within this process (see LoginRegistry). */
/**
 * PKCS#11 login is per token per application, not per session: C_Logout on one session logs out every
 * session on that token (FIELD-NOTES: CKR_USER_ALREADY_LOGGED_IN on a second session). So the module
 * keeps, per token serial, the sessions that count on the login, and logs out when the last one closes.
 */
export class LoginRegistry {
  private readonly holders = new Map<string, Set<object>>();

  add(serial: string, session: object): void {
    let set = this.holders.get(serial);
    if (!set) this.holders.set(serial, (set = new Set()));
    set.add(session);
  }

  has(serial: string, session: object): boolean {
    return this.holders.get(serial)?.has(session) ?? false;
  }

  /** Remove one holder; true when it was the last (the token should be logged out). */
  release(serial: string, session: object): boolean {
    const set = this.holders.get(serial);
    if (!set?.delete(session)) return false;
    if (set.size > 0) return false;
    this.holders.delete(serial);
    return true;
  }

  clear(serial: string): void {
    this.holders.delete(serial);
  }
}
