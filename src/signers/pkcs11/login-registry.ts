/** Who counts on a token's login within this process (see LoginRegistry). */
/**
 * PKCS#11 login is per token per application, not per session: C_Logout on one session logs out every
 * session on that token (FIELD-NOTES: CKR_USER_ALREADY_LOGGED_IN on a second session). So the module
 * keeps, per token slot (serials repeat on tpm2-pkcs11 and NSS, FIELD-NOTES), the sessions that count on the login, and logs out when the last one closes.
 */
export class LoginRegistry {
  private readonly holders = new Map<string, Set<object>>();

  add(slot: string, session: object): void {
    let set = this.holders.get(slot);
    if (!set) this.holders.set(slot, (set = new Set()));
    set.add(session);
  }

  has(slot: string, session: object): boolean {
    return this.holders.get(slot)?.has(session) ?? false;
  }

  /** Did this process log in to the token in `slot` (some session still counts on that login)? */
  held(slot: string): boolean {
    return (this.holders.get(slot)?.size ?? 0) > 0;
  }

  /** Does this process hold a login on any token other than the one in `slot`? */
  heldElsewhere(slot: string): boolean {
    for (const [other, set] of this.holders) if (other !== slot && set.size > 0) return true;
    return false;
  }

  /** Remove one holder; true when it was the last (the token should be logged out). */
  release(slot: string, session: object): boolean {
    const set = this.holders.get(slot);
    if (!set?.delete(session)) return false;
    if (set.size > 0) return false;
    this.holders.delete(slot);
    return true;
  }

  clear(slot: string): void {
    this.holders.delete(slot);
  }
}
