//! Bearer tokens: JWTs signed with HMAC-SHA256 under a key of the installation's own, and,
//! when configured, ES256 or RS256 tokens of an outside identity provider whose public keys
//! come in a JWKS file ([`Verifier`]).
//!
//! Why hand-written: HS256 is a few lines over `hmac` and `sha2`, which the PostgreSQL driver
//! already builds, and the provider's signatures are checked with `ring`, which TLS already
//! builds; a JWT crate would bring a second crypto stack. The verification is strict: the
//! algorithm decides the key (HS256 only with our own key, ES256 and RS256 only with the
//! provider's, named by `kid`; never "none"), and issuer, audience and expiry are checked
//! against what each signer must say.

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
    #[error("token signed with a key this service does not know")]
    UnknownKey,
    #[error("token names a municipality this service does not serve")]
    MunicipalityNotServed,
}

/// A token's parts: the header's algorithm and key id, the signed input, the signature and the
/// body, all decoded.
struct Parts<'a> {
    alg: String,
    kid: Option<String>,
    signing_input: &'a str,
    signature: Vec<u8>,
    body: Vec<u8>,
}

fn parts(token: &str) -> Result<Parts<'_>, TokenError> {
    let mut split = token.split('.');
    let (Some(header), Some(body), Some(signature), None) =
        (split.next(), split.next(), split.next(), split.next())
    else {
        return Err(TokenError::Malformed);
    };
    #[derive(Deserialize)]
    struct Header {
        alg: String,
        #[serde(default)]
        kid: Option<String>,
    }
    let decode = |text: &str| {
        URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| TokenError::Malformed)
    };
    let parsed: Header =
        serde_json::from_slice(&decode(header)?).map_err(|_| TokenError::Malformed)?;
    Ok(Parts {
        alg: parsed.alg,
        kid: parsed.kid,
        signing_input: &token[..header.len() + 1 + body.len()],
        signature: decode(signature)?,
        body: decode(body)?,
    })
}

/// The claims of a verified body, if issued by `issuer` for `audience` and not expired.
fn checked_claims(
    body: &[u8],
    issuer: &str,
    audience: &str,
    now: i64,
) -> Result<Claims, TokenError> {
    let claims: Claims = serde_json::from_slice(body).map_err(|_| TokenError::Malformed)?;
    if claims.iss != issuer || claims.aud != audience {
        return Err(TokenError::WrongIssuerOrAudience);
    }
    if claims.exp <= now {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

/// An outside identity provider's public keys (a JWKS document) and the issuer and audience
/// its tokens must name. Tokens it signs carry the key's `kid` and ES256 or RS256; the body
/// has the same claims as Vern's own (`sub`, `role`, `municipalities`, `exp`).
#[derive(Clone, Debug)]
pub struct Jwks {
    issuer: String,
    audience: String,
    keys: Vec<(String, PublicKey)>,
}

#[derive(Clone, Debug)]
enum PublicKey {
    /// P-256, as the uncompressed point (0x04, x, y).
    Es256(Vec<u8>),
    Rs256 {
        n: Vec<u8>,
        e: Vec<u8>,
    },
}

impl Jwks {
    /// Reads a JWKS document; every key must be an EC P-256 or RSA key with a `kid`, and an
    /// error names the key by its place in `keys`.
    pub fn parse(document: &str, issuer: &str, audience: &str) -> Result<Self, String> {
        #[derive(Deserialize)]
        struct Document {
            keys: Vec<serde_json::Map<String, serde_json::Value>>,
        }
        let document: Document = serde_json::from_str(document)
            .map_err(|error| format!("not a JWKS document: {error}"))?;
        let mut keys = Vec::new();
        for (index, key) in document.keys.iter().enumerate() {
            let text = |name: &str| {
                key.get(name)
                    .and_then(|value| value.as_str())
                    .ok_or_else(|| format!("keys[{index}].{name}: missing"))
            };
            let bytes = |name: &str| {
                URL_SAFE_NO_PAD
                    .decode(text(name)?)
                    .map_err(|_| format!("keys[{index}].{name}: not base64url"))
            };
            let kid = text("kid")?.to_owned();
            let public = match (text("kty")?, key.get("crv").and_then(|v| v.as_str())) {
                ("EC", Some("P-256")) => {
                    let (x, y) = (bytes("x")?, bytes("y")?);
                    if x.len() != 32 || y.len() != 32 {
                        return Err(format!("keys[{index}]: x and y must be 32 bytes each"));
                    }
                    let mut point = vec![4];
                    point.extend(x);
                    point.extend(y);
                    PublicKey::Es256(point)
                }
                ("RSA", _) => PublicKey::Rs256 {
                    n: bytes("n")?,
                    e: bytes("e")?,
                },
                (kty, crv) => {
                    return Err(format!(
                        "keys[{index}]: kty {kty:?} crv {crv:?} is not supported (EC P-256 or RSA)"
                    ));
                }
            };
            keys.push((kid, public));
        }
        if keys.is_empty() {
            return Err("keys: the document holds none".into());
        }
        Ok(Self {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            keys,
        })
    }

    fn verify(&self, parts: &Parts<'_>, now: i64) -> Result<Claims, TokenError> {
        let kid = parts.kid.as_deref().ok_or(TokenError::UnknownKey)?;
        let (_, key) = self
            .keys
            .iter()
            .find(|(id, _)| id == kid)
            .ok_or(TokenError::UnknownKey)?;
        let message = parts.signing_input.as_bytes();
        let verified = match (parts.alg.as_str(), key) {
            ("ES256", PublicKey::Es256(point)) => ring::signature::UnparsedPublicKey::new(
                &ring::signature::ECDSA_P256_SHA256_FIXED,
                point,
            )
            .verify(message, &parts.signature),
            ("RS256", PublicKey::Rs256 { n, e }) => {
                ring::signature::RsaPublicKeyComponents { n, e }.verify(
                    &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                    message,
                    &parts.signature,
                )
            }
            _ => return Err(TokenError::Algorithm),
        };
        verified.map_err(|_| TokenError::Signature)?;
        checked_claims(&parts.body, &self.issuer, &self.audience, now)
    }
}

/// What the services accept: tokens signed with the installation's own key and, when
/// configured, those an identity provider signs.
#[derive(Clone, Debug)]
pub struct Verifier {
    local: SigningKey,
    provider: Option<Jwks>,
    /// The municipalities this installation serves; empty: any.
    served: Vec<String>,
}

impl Verifier {
    pub fn new(local: SigningKey) -> Self {
        Self {
            local,
            provider: None,
            served: Vec::new(),
        }
    }

    /// Refuse tokens that name a municipality outside `served`: a token for another service
    /// of the same identity provider must not reach this one's data.
    pub fn serving(mut self, served: Vec<String>) -> Self {
        self.served = served;
        self
    }

    pub fn with_provider(mut self, jwks: Jwks) -> Self {
        self.provider = Some(jwks);
        self
    }

    /// The token's claims, if one of the accepted signers made it, intact, current and for us.
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        let parts = parts(token)?;
        let claims = match (parts.alg.as_str(), &self.provider) {
            ("HS256", _) => self.local.verify_parts(&parts, now),
            ("ES256" | "RS256", Some(provider)) => provider.verify(&parts, now),
            _ => Err(TokenError::Algorithm),
        }?;
        if !self.served.is_empty()
            && claims
                .municipalities
                .iter()
                .any(|number| !self.served.contains(number))
        {
            return Err(TokenError::MunicipalityNotServed);
        }
        Ok(claims)
    }
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
        self.verify_parts(&parts(token)?, now)
    }

    fn verify_parts(&self, parts: &Parts<'_>, now: i64) -> Result<Claims, TokenError> {
        if parts.alg != "HS256" {
            return Err(TokenError::Algorithm);
        }
        let mut mac = self.mac();
        mac.update(parts.signing_input.as_bytes());
        mac.verify_slice(&parts.signature)
            .map_err(|_| TokenError::Signature)?;
        checked_claims(&parts.body, ISSUER, AUDIENCE, now)
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

    mod provider {
        use ring::rand::SystemRandom;
        use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};

        use super::*;

        /// A P-256 key of the "identity provider", and its JWKS document.
        fn provider() -> (EcdsaKeyPair, String) {
            let rng = SystemRandom::new();
            let pkcs8 =
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
            let pair =
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
                    .unwrap();
            let point = pair.public_key().as_ref();
            let jwks = serde_json::json!({"keys": [{
                "kty": "EC", "crv": "P-256", "kid": "idp-1", "alg": "ES256",
                "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
                "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
            }]});
            (pair, jwks.to_string())
        }

        fn es256(pair: &EcdsaKeyPair, kid: &str, claims: &Claims) -> String {
            let header = URL_SAFE_NO_PAD
                .encode(serde_json::json!({"alg": "ES256", "typ": "JWT", "kid": kid}).to_string());
            let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap());
            let input = format!("{header}.{body}");
            let signature = pair.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
            format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
        }

        /// `token` with its body swapped for one that names a service leader, its signature
        /// kept.
        fn promoted(token: &str) -> String {
            let mut parts: Vec<&str> = token.split('.').collect();
            let body = URL_SAFE_NO_PAD.encode(
                serde_json::to_vec(&Claims {
                    role: "service_leader".into(),
                    ..provider_claims()
                })
                .unwrap(),
            );
            parts[1] = &body;
            parts.join(".")
        }

        fn provider_claims() -> Claims {
            Claims {
                iss: "https://idp.kommune.example".into(),
                aud: "vern-prod".into(),
                ..claims()
            }
        }

        #[test]
        fn a_providers_token_verifies_and_a_wrong_one_does_not() {
            let (pair, document) = provider();
            let jwks = Jwks::parse(&document, "https://idp.kommune.example", "vern-prod").unwrap();
            let local = SigningKey::generate();
            let verifier = Verifier::new(local.clone()).with_provider(jwks);
            let good = es256(&pair, "idp-1", &provider_claims());
            assert_eq!(verifier.verify(&good, NOW + 10), Ok(provider_claims()));
            // The installation's own tokens still work beside it.
            assert_eq!(verifier.verify(&local.issue(&claims()), NOW), Ok(claims()));

            let wrong_audience = Claims {
                aud: "someone-else".into(),
                ..provider_claims()
            };
            assert_eq!(
                verifier.verify(&es256(&pair, "idp-1", &wrong_audience), NOW),
                Err(TokenError::WrongIssuerOrAudience)
            );
            let wrong_issuer = Claims {
                iss: "vern".into(),
                ..provider_claims()
            };
            assert_eq!(
                verifier.verify(&es256(&pair, "idp-1", &wrong_issuer), NOW),
                Err(TokenError::WrongIssuerOrAudience)
            );
            assert_eq!(verifier.verify(&good, NOW + 3600), Err(TokenError::Expired));
            assert_eq!(
                verifier.verify(&es256(&pair, "idp-2", &provider_claims()), NOW),
                Err(TokenError::UnknownKey)
            );
            let (stranger, _) = provider();
            assert_eq!(
                verifier.verify(&es256(&stranger, "idp-1", &provider_claims()), NOW),
                Err(TokenError::Signature)
            );
            assert_eq!(
                verifier.verify(&promoted(&good), NOW),
                Err(TokenError::Signature)
            );
            // Without a provider configured, its tokens are refused.
            assert_eq!(
                Verifier::new(local).verify(&good, NOW),
                Err(TokenError::Algorithm)
            );
        }

        /// A provider signing RS256 with an RSA key (a 2048-bit key made for these tests only:
        /// `openssl genpkey -algorithm RSA`, then `openssl pkey -outform DER`, PKCS#1).
        #[test]
        fn an_rs256_token_verifies_against_the_providers_rsa_key() {
            use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
            let pair =
                RsaKeyPair::from_der(include_bytes!("../testdata/provider-rsa-test-key.der"))
                    .unwrap();
            let public: ring::rsa::PublicKeyComponents<Vec<u8>> = pair.public().into();
            let jwks = serde_json::json!({"keys": [{
                "kty": "RSA", "kid": "idp-rsa", "alg": "RS256",
                "n": URL_SAFE_NO_PAD.encode(&public.n),
                "e": URL_SAFE_NO_PAD.encode(&public.e),
            }]});
            let jwks = Jwks::parse(
                &jwks.to_string(),
                "https://idp.kommune.example",
                "vern-prod",
            )
            .unwrap();
            let verifier = Verifier::new(SigningKey::generate()).with_provider(jwks);
            let rs256 = |claims: &Claims, alg: &str| {
                let header = URL_SAFE_NO_PAD.encode(
                    serde_json::json!({"alg": alg, "typ": "JWT", "kid": "idp-rsa"}).to_string(),
                );
                let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap());
                let input = format!("{header}.{body}");
                let mut signature = vec![0; pair.public().modulus_len()];
                pair.sign(
                    &RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    input.as_bytes(),
                    &mut signature,
                )
                .unwrap();
                format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
            };
            let good = rs256(&provider_claims(), "RS256");
            assert_eq!(verifier.verify(&good, NOW + 10), Ok(provider_claims()));
            let wrong_audience = Claims {
                aud: "someone-else".into(),
                ..provider_claims()
            };
            assert_eq!(
                verifier.verify(&rs256(&wrong_audience, "RS256"), NOW),
                Err(TokenError::WrongIssuerOrAudience)
            );
            // An RSA key answers for RS256 only.
            assert_eq!(
                verifier.verify(&rs256(&provider_claims(), "ES256"), NOW),
                Err(TokenError::Algorithm)
            );
            assert_eq!(
                verifier.verify(&promoted(&good), NOW),
                Err(TokenError::Signature)
            );
        }

        #[test]
        fn a_token_naming_a_municipality_not_served_is_refused() {
            let key = SigningKey::generate();
            let verifier = Verifier::new(key.clone()).serving(vec!["5035".into(), "5032".into()]);
            assert_eq!(verifier.verify(&key.issue(&claims()), NOW), Ok(claims()));
            let elsewhere = Claims {
                municipalities: vec!["5035".into(), "0301".into()],
                ..claims()
            };
            assert_eq!(
                verifier.verify(&key.issue(&elsewhere), NOW),
                Err(TokenError::MunicipalityNotServed)
            );
            // Without a configured list, any municipality.
            assert_eq!(
                Verifier::new(key.clone()).verify(&key.issue(&elsewhere), NOW),
                Ok(elsewhere)
            );
        }

        #[test]
        fn a_jwks_document_names_the_key_it_cannot_use() {
            let refused = |document: &str| Jwks::parse(document, "i", "a").unwrap_err();
            assert!(refused("not json").contains("not a JWKS document"));
            assert!(refused(r#"{"keys": []}"#).contains("holds none"));
            assert!(
                refused(r#"{"keys": [{"kty": "EC", "crv": "P-256"}]}"#).contains("keys[0].kid")
            );
            assert!(
                refused(r#"{"keys": [{"kty": "OKP", "kid": "k", "crv": "Ed25519"}]}"#)
                    .contains("keys[0]: kty \"OKP\"")
            );
            assert!(
                refused(
                    r#"{"keys": [{"kty": "EC", "crv": "P-256", "kid": "k", "x": "AA", "y": "AA"}]}"#
                )
                .contains("32 bytes")
            );
        }
    }
}
