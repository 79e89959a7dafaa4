#!/usr/bin/python3
"""
Vector producer for python-tuf's crypto library (Debian python3-securesystemslib 0.26).

Run by test/vectors/gen-tuf-vectors.mjs with Debian's interpreter (/usr/bin/python3: a pyenv
`python3` earlier on PATH does not have securesystemslib). Run once; the outputs are committed.

  gen_securesystemslib.py canonical   stdin: JSON array of values
                                      stdout: JSON array of {"utf8Hex": …} or {"error": …}
  gen_securesystemslib.py keys        stdout: key-ID and signature vectors for ed25519,
                                      ecdsa-sha2-nistp256 and rsassa-pss-sha256

Ed25519: this machine has no PyNaCl, which securesystemslib needs to *generate* and *sign* with
ed25519 keys. We sign with the pure-Python reference implementation securesystemslib vendors
(securesystemslib._vendor.ed25519, the one it verifies with when PyNaCl is absent) and check every
signature with securesystemslib.keys.verify_signature, and with pyca/cryptography's Ed25519.
"""
import hashlib
import json
import os
import sys

import securesystemslib
from securesystemslib import formats, keys
from securesystemslib._vendor.ed25519 import ed25519 as vendored_ed25519
from securesystemslib.signer import SSlibKey

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives import serialization

P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def canonical_bytes(value):
    return formats.encode_canonical(value).encode("utf-8")


def canonical(values):
    out = []
    for value in values:
        try:
            out.append({"utf8Hex": canonical_bytes(value).hex()})
        except Exception as e:  # FormatError (floats), UnicodeEncodeError (lone surrogates)
            out.append({"error": f"{type(e).__name__}: {e}"})
    return out


def listed(key_dict):
    """The key object as a TUF 1.0 repository lists it: keytype, scheme, keyval.public only."""
    return {"keytype": key_dict["keytype"], "scheme": key_dict["scheme"], "keyval": {"public": key_dict["keyval"]["public"]}}


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def key_record(name, key_dict, notes):
    plain = listed(key_dict)
    legacy = keys.format_keyval_to_metadata(key_dict["keytype"], key_dict["scheme"], key_dict["keyval"], private=False)
    return {
        "name": name,
        "notes": notes,
        # What a spec-1.0 repository lists, and sha256(encode_canonical(listed)).
        "listed": plain,
        "keyId": sha256_hex(canonical_bytes(plain)),
        # securesystemslib's own key dict (legacy API) hashes keyid_hash_algorithms too; repositories made
        # with securesystemslib < 1.0 list either form, with this ID.
        "legacyListed": legacy,
        "legacyKeyId": keys._get_keyid(key_dict["keytype"], key_dict["scheme"], key_dict["keyval"]),
        "keyIdOfSecuresystemslibKeyDict": key_dict["keyid"],
        "keyIdOfSSlibKey": SSlibKey.from_securesystemslib_key(key_dict).keyid,
    }


def verify_with_sslib(key_dict, sig_hex, data):
    sig = {"keyid": key_dict["keyid"], "sig": sig_hex}
    ok = keys.verify_signature(key_dict, sig, data)
    flipped = bytearray(bytes.fromhex(sig_hex))
    flipped[len(flipped) // 2] ^= 0x01
    bad = keys.verify_signature(key_dict, {"keyid": key_dict["keyid"], "sig": flipped.hex()}, data)
    if not ok or bad:
        raise SystemExit(f"securesystemslib disagrees with itself on {key_dict['scheme']}")


def sig_record(name, key_dict, sig_hex, data, producer, extra=None):
    verify_with_sslib(key_dict, sig_hex, data)
    rec = {"name": name, "keyid": key_dict["keyid"], "sig": sig_hex, "producedBy": producer, "verifiedBy": "securesystemslib.keys.verify_signature"}
    if extra:
        rec.update(extra)
    return rec


def main_keys():
    # A realistic message: the canonical bytes of a small targets `signed` object with a non-ASCII name.
    message_json = {
        "_type": "targets",
        "spec_version": "1.0.31",
        "version": 7,
        "expires": "2031-01-01T00:00:00Z",
        "targets": {"caf\u00e9/\U0001F600.txt": {"length": 5, "hashes": {"sha256": sha256_hex(b"hello")}}},
    }
    data = canonical_bytes(message_json)
    key_records = []
    signatures = []

    # ed25519 (see module docstring: vendored reference implementation signs; securesystemslib verifies).
    seed = os.urandom(32)
    public = vendored_ed25519.publickey_unsafe(seed)
    ed_key = {"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": public.hex(), "private": seed.hex()}}
    ed_key["keyid"] = keys._get_keyid("ed25519", "ed25519", ed_key["keyval"])
    formats.ED25519KEY_SCHEMA.check_match(ed_key)
    key_records.append(key_record("ed25519", ed_key, "key made from a random 32-byte seed by securesystemslib's vendored ed25519 (no PyNaCl here)"))
    ed_sig = vendored_ed25519.signature_unsafe(data, seed, public)
    Ed25519PublicKey.from_public_bytes(public).verify(ed_sig, data)  # pyca/cryptography agrees
    signatures.append(sig_record("ed25519", ed_key, ed_sig.hex(), data, "securesystemslib._vendor.ed25519.signature_unsafe", {"alsoVerifiedBy": "pyca/cryptography Ed25519PublicKey"}))

    # ecdsa-sha2-nistp256: securesystemslib.keys.generate_ecdsa_key + create_signature (DER, hex).
    ec_key = keys.generate_ecdsa_key()
    key_records.append(key_record("ecdsa-sha2-nistp256", ec_key, "securesystemslib.keys.generate_ecdsa_key()"))
    want = {"low-S": None, "high-S": None}
    for _ in range(200):
        sig = keys.create_signature(ec_key, data)["sig"]
        _, s = decode_dss_signature(bytes.fromhex(sig))
        kind = "high-S" if s > P256_N // 2 else "low-S"
        if want[kind] is None:
            want[kind] = sig
        if all(want.values()):
            break
    for kind, sig in want.items():
        signatures.append(sig_record(f"ecdsa-sha2-nistp256 ({kind})", ec_key, sig, data, "securesystemslib.keys.create_signature", {"note": f"DER-encoded, {kind} (OpenSSL does not normalise S; about half its signatures are high-S)"}))

    # The key type older securesystemslib / sigstore roots used: keytype "ecdsa-sha2-nistp256".
    legacy_ec = dict(ec_key)
    legacy_ec["keytype"] = "ecdsa-sha2-nistp256"
    legacy_ec["keyid"] = keys._get_keyid("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", ec_key["keyval"])
    key_records.append(key_record("ecdsa-sha2-nistp256 (legacy keytype)", legacy_ec, "keytype ecdsa-sha2-nistp256 as older securesystemslib wrote it; same key as above"))
    legacy_sig = keys.create_signature(legacy_ec, data)["sig"]
    signatures.append(sig_record("ecdsa-sha2-nistp256 (legacy keytype)", legacy_ec, legacy_sig, data, "securesystemslib.keys.create_signature"))

    # rsassa-pss-sha256: securesystemslib.keys.generate_rsa_key (3072 bits default), PSS salt = digest length.
    rsa_key = keys.generate_rsa_key()
    key_records.append(key_record("rsassa-pss-sha256", rsa_key, "securesystemslib.keys.generate_rsa_key() (3072 bits)"))
    rsa_sig = keys.create_signature(rsa_key, data)["sig"]
    signatures.append(sig_record("rsassa-pss-sha256", rsa_key, rsa_sig, data, "securesystemslib.keys.create_signature", {"note": "PSS, MGF1-SHA256, salt length 32 (padding.PSS.DIGEST_LENGTH)"}))

    # Sanity: PEM public keys load with pyca/cryptography.
    serialization.load_pem_public_key(ec_key["keyval"]["public"].encode())
    serialization.load_pem_public_key(rsa_key["keyval"]["public"].encode())
    assert isinstance(serialization.load_pem_public_key(ec_key["keyval"]["public"].encode()), ec.EllipticCurvePublicKey)

    keys_by_name = {r["name"]: r for r in key_records}
    for s in signatures:
        s["key"] = next(r["name"] for r in key_records if r["legacyKeyId"] == s["keyid"])
        assert s["key"] in keys_by_name
    return {
        "producedBy": f"securesystemslib {securesystemslib.__version__} (Debian python3-securesystemslib), Python {sys.version.split()[0]}",
        "message": {"json": message_json, "utf8Hex": data.hex(), "howMade": "securesystemslib.formats.encode_canonical(json).encode('utf-8')"},
        "keys": key_records,
        "signatures": signatures,
    }


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "canonical":
        json.dump(canonical(json.load(sys.stdin)), sys.stdout)
    elif mode == "keys":
        json.dump(main_keys(), sys.stdout)
    else:
        raise SystemExit("usage: gen_securesystemslib.py canonical|keys")
