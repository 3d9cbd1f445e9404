"""The Ed25519 public keys whose signatures this application trusts (key_id -> base64 raw key).

Only a bundle signed by one of these keys is "signed" and may declare clinical intended use.
The list is code, not a setting, so a user or an attacker cannot add a key to a
workstation; changing it means releasing the application. Rotating the release key:
add the new key here, release, re-sign the shipped bundle with it, and remove the
old key in a later release (README, "Signing weights bundles").
Print a key's line with ``cardioview sign-bundle --public-key KEY.pem``.
"""

TRUSTED_KEYS: dict[str, str] = {
    # CardioView release key, generated 2026-12-01; private key held off the workstation.
    "5b877252dda4042c": "JlkfSeG6AfGuzCKHvgEjKRRVQb1s/wULnD3unBip75w=",
    # Release key generated 2026-12-02 on the build machine, after the first one's private half was
    # lost with its machine (lost, not leaked: bundles it signed stay valid). New bundles are signed with this.
    "8aee305bbbd6cc2a": "durlSWbOiT2W8A/QvKxOIObtDQAOj9FWv8ehfKQwVqI=",
    # Third release key, generated 2026-12-02 (a later session): the build machines are wiped between sessions,
    # so the second key's private half went the same way (lost, not leaked). New bundles are signed with this one.
    "95bca49fd8667c1b": "H1GgnpLdlCMs5M61GAe2wcXxvVA1hjBuI66mWceOZjI=",
    # Fourth release key, generated 2026-12-07 (issue 19's session) on a fresh build machine: the third key's private
    # half was lost with its machine (lost, not leaked). The bundle with preprocessing version 2 is signed with it.
    "812685eb05913d99": "lItt2Kb5uXl8TN4D50YpMo/UKFWPdzIADcVoMzyO2pc=",
}
