//! Bearer tokens: JWTs signed with HMAC-SHA256 under a key of the installation's own.
//!
//! Why hand-written: HS256 is a few lines over `hmac` and `sha2`, which the PostgreSQL driver
//! already builds, while a JWT crate would bring a second crypto stack. The verification is
//! strict: the header must say HS256 (no "none", no algorithm switching), the signature is
//! compared in constant time, and issuer, audience and expiry are checked.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac as _};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::postgres::{Error, write_private};

pub const ISSUER: &str = "vern";

/// The roles a token can carry (DESIGN.md §7). What each may do is the policy's to decide;
/// a token naming any other role is not issued.
pub const ROLES: [&str; 8] = [
    "caseworker",
    "team_leader",
    "service_leader",
    "reporter_portal",
    "police",
    "barnehus",
    "supervisor",
    "operator",
];
pub const AUDIENCE: &str = "vern";

/// What a token says about its holder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// Who: a user id or a system's name.
    pub sub: String,
    pub role: String,
    /// The municipalities (kommunenummer) the holder serves.
    #[serde(default)]
    pub municipalities: Vec<String>,
    /// Issued and expires at, in seconds since the Unix epoch.
    pub iat: i64,
    pub exp: i64,
}

impl Claims {
    pub fn new(
        sub: &str,
        role: &str,
        municipalities: Vec<String>,
        now: i64,
        lifetime_seconds: i64,
    ) -> Self {
        Self {
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            sub: sub.to_owned(),
            role: role.to_owned(),
            municipalities,
            iat: now,
            exp: now.saturating_add(lifetime_seconds),
        }
    }
}

/// Why a token was refused. Deliberately coarse towards callers.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("malformed token")]
    Malformed,
    #[error("unsupported token algorithm")]
    Algorithm,
    #[error("bad token signature")]
    Signature,
    #[error("token expired")]
    Expired,
    #[error("token not for this service")]
    WrongIssuerOrAudience,
}

/// The secret that signs and verifies tokens.
#[derive(Clone)]
pub struct SigningKey(Vec<u8>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

impl SigningKey {
    /// 32 random bytes from the operating system's generator (through UUID v4).
    pub fn generate() -> Self {
        let mut bytes = Vec::with_capacity(32);
        bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        Self(bytes)
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The key in `path`, which must exist: issuing tokens under a key no server holds would
    /// give tokens every server refuses.
    pub fn load(path: &Path) -> Result<Self, Error> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::decode(&text, path),
            Err(source) => Err(Error::Io {
                action: format!(
                    "reading the signing key {} (vern up creates it at its first start)",
                    path.display()
                ),
                source,
            }),
        }
    }

    fn decode(text: &str, path: &Path) -> Result<Self, Error> {
        URL_SAFE_NO_PAD
            .decode(text.trim())
            .ok()
            .filter(|bytes| bytes.len() >= 32)
            .map(Self)
            .ok_or_else(|| Error::Io {
                action: format!("reading the signing key {}", path.display()),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "not a base64 key of 32 bytes or more",
                ),
            })
    }

    /// The key in `path` (base64), created there (mode 0600) on first use.
    pub fn load_or_create(path: &Path) -> Result<Self, Error> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::decode(&text, path),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate();
                write_private(path, URL_SAFE_NO_PAD.encode(&key.0).as_bytes())?;
                Ok(key)
            }
            Err(source) => Err(Error::Io {
                action: format!("reading the signing key {}", path.display()),
                source,
            }),
        }
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes keys of any length.
        <Hmac<Sha256> as hmac::Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!())
    }

    pub fn issue(&self, claims: &Claims) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
        let signing_input = format!("{header}.{body}");
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{signing_input}.{signature}")
    }

    /// The token's claims, if it is ours, intact, current and meant for us.
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        let mut parts = token.split('.');
        let (Some(header), Some(body), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        #[derive(Deserialize)]
        struct Header {
            alg: String,
        }
        let header_json = URL_SAFE_NO_PAD
            .decode(header)
            .map_err(|_| TokenError::Malformed)?;
        let parsed: Header =
            serde_json::from_slice(&header_json).map_err(|_| TokenError::Malformed)?;
        if parsed.alg != "HS256" {
            return Err(TokenError::Algorithm);
        }
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        let mut mac = self.mac();
        mac.update(header.as_bytes());
        mac.update(b".");
        mac.update(body.as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| TokenError::Signature)?;
        let body = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| TokenError::Malformed)?;
        let claims: Claims = serde_json::from_slice(&body).map_err(|_| TokenError::Malformed)?;
        if claims.iss != ISSUER || claims.aud != AUDIENCE {
            return Err(TokenError::WrongIssuerOrAudience);
        }
        if claims.exp <= now {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn claims() -> Claims {
        Claims::new("caseworker-1", "caseworker", vec!["5035".into()], NOW, 3600)
    }

    #[test]
    fn an_issued_token_verifies_to_its_claims() {
        let key = SigningKey::generate();
        let token = key.issue(&claims());
        assert_eq!(key.verify(&token, NOW + 10), Ok(claims()));
    }

    #[test]
    fn tampered_foreign_expired_and_unsigned_tokens_are_refused() {
        let key = SigningKey::generate();
        let token = key.issue(&claims());
        assert_eq!(
            SigningKey::generate().verify(&token, NOW),
            Err(TokenError::Signature)
        );
        assert_eq!(key.verify(&token, NOW + 3600), Err(TokenError::Expired));

        let (head, rest) = token.split_once('.').unwrap();
        let (_, signature) = rest.split_once('.').unwrap();
        let mut forged = claims();
        forged.role = "service_leader".into();
        let forged_body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
        assert_eq!(
            key.verify(&format!("{head}.{forged_body}.{signature}"), NOW),
            Err(TokenError::Signature)
        );

        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
        assert_eq!(
            key.verify(&format!("{none_header}.{forged_body}."), NOW),
            Err(TokenError::Algorithm)
        );
        assert_eq!(key.verify("not a token", NOW), Err(TokenError::Malformed));
        assert_eq!(key.verify("a.b.c.d", NOW), Err(TokenError::Malformed));

        let mut elsewhere = claims();
        elsewhere.aud = "another-service".into();
        assert_eq!(
            key.verify(&key.issue(&elsewhere), NOW),
            Err(TokenError::WrongIssuerOrAudience)
        );
    }

    #[test]
    fn the_key_file_is_created_once_and_read_back() {
        let path = std::env::temp_dir().join(format!("vern-key-{}", uuid::Uuid::new_v4()));
        let first = SigningKey::load_or_create(&path).unwrap();
        let again = SigningKey::load_or_create(&path).unwrap();
        let token = first.issue(&claims());
        assert!(again.verify(&token, NOW).is_ok());
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        std::fs::remove_file(path).unwrap();
    }
}
