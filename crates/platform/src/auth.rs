//! Bearer tokens: JWTs signed with HMAC-SHA256 under a key of the installation's own, and,
//! when configured, ES256 or RS256 tokens of an outside identity provider whose public keys
//! come in a JWKS file ([`Verifier`]).
//!
//! Signatures are made and checked by `jsonwebtoken` (RustCrypto), a maintained library whose
//! tests cover the known JWT attacks; this module decides only policy: the algorithm decides
//! the key (HS256 only with our own key, ES256 and RS256 only with the provider's, named by
//! `kid`; never "none"), a token with critical header extensions is refused (we understand
//! none), issuer and audience are those each signer must name, a token issued in the future
//! (past a minute's clock skew) or living longer than its role may ([`Lifetimes`]) is
//! refused, and the installation's own tokens carry an id (`jti`) so one can be revoked.
//! Expiry is checked here against the `now` given, not the library's clock, so tests can
//! fix the time.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::postgres::{Error, write_private};

pub const ISSUER: &str = "vern";

/// The roles a token can carry (DESIGN.md §7): the one list of them. What each may do is
/// `handling::policy`'s to decide; a token naming any other role is not issued, and may call
/// nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Caseworker,
    TeamLeader,
    ServiceLeader,
    /// The national reporting portal's client: submits reports, reads nothing.
    ReporterPortal,
    Police,
    Barnehus,
    /// Read-only: statistics and the read audit.
    Supervisor,
    /// Runs the system: health, reflection, the dashboard's system page; no case content.
    Operator,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Caseworker,
        Role::TeamLeader,
        Role::ServiceLeader,
        Role::ReporterPortal,
        Role::Police,
        Role::Barnehus,
        Role::Supervisor,
        Role::Operator,
    ];

    /// The role a token names; `None` for a name no role has.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.name() == name)
    }

    /// The name tokens carry.
    pub fn name(self) -> &'static str {
        match self {
            Role::Caseworker => "caseworker",
            Role::TeamLeader => "team_leader",
            Role::ServiceLeader => "service_leader",
            Role::ReporterPortal => "reporter_portal",
            Role::Police => "police",
            Role::Barnehus => "barnehus",
            Role::Supervisor => "supervisor",
            Role::Operator => "operator",
        }
    }

    /// The police and Statens barnehus: outside the service, they see only the
    /// consultations they are invited to, and a client certificate may vouch for them.
    pub fn is_partner(self) -> bool {
        matches!(self, Role::Police | Role::Barnehus)
    }

    /// Every role's name, for messages: "caseworker, team_leader, ...".
    pub fn names() -> String {
        Role::ALL.map(Role::name).join(", ")
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

pub const AUDIENCE: &str = "vern";

/// How far ahead of our clock a token's `iat` may be: the clocks of the issuer and ours
/// differ a little.
pub const CLOCK_SKEW_SECONDS: i64 = 60;

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
    /// The token's id, by which it is revoked (`vern token revoke`). Every token the
    /// installation issues has one; a provider's may.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

impl Claims {
    /// Claims for a new token of the installation's own, with a fresh id.
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
            jti: Some(uuid::Uuid::new_v4().to_string()),
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
    #[error("token has critical header extensions this service does not understand")]
    CriticalHeader,
    #[error("bad token signature")]
    Signature,
    #[error("token expired")]
    Expired,
    #[error("token issued in the future")]
    IssuedInFuture,
    #[error("token lives longer than a {role} token may ({max_hours} hours)")]
    LifetimeTooLong { role: String, max_hours: i64 },
    #[error("token has no id (jti); issue a new one")]
    NoTokenId,
    #[error("token revoked")]
    Revoked,
    #[error("token not for this service")]
    WrongIssuerOrAudience,
    #[error("token signed with a key this service does not know")]
    UnknownKey,
    #[error("token names a municipality this service does not serve")]
    MunicipalityNotServed,
}

impl From<jsonwebtoken::errors::Error> for TokenError {
    fn from(error: jsonwebtoken::errors::Error) -> Self {
        use jsonwebtoken::errors::ErrorKind;
        match error.kind() {
            ErrorKind::InvalidSignature => Self::Signature,
            ErrorKind::InvalidAlgorithm
            | ErrorKind::InvalidAlgorithmName
            | ErrorKind::MissingAlgorithm => Self::Algorithm,
            ErrorKind::InvalidIssuer | ErrorKind::InvalidAudience => Self::WrongIssuerOrAudience,
            ErrorKind::ExpiredSignature => Self::Expired,
            ErrorKind::InvalidEcdsaKey
            | ErrorKind::InvalidRsaKey(_)
            | ErrorKind::InvalidKeyFormat => Self::UnknownKey,
            _ => Self::Malformed,
        }
    }
}

/// The longest a token of each role may live (`exp - iat`): people's a working day, systems'
/// and the operator's longer. A token that lives longer is refused, however it was made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lifetimes {
    hours: BTreeMap<Role, i64>,
}

impl Default for Lifetimes {
    /// Staff and supervisors 10 hours (a working day); the reporting portal, the police's and
    /// Statens barnehus' systems 30 days; the operator 90 days.
    fn default() -> Self {
        let hours = Role::ALL
            .into_iter()
            .map(|role| {
                let hours = match role {
                    Role::ReporterPortal | Role::Police | Role::Barnehus => 30 * 24,
                    Role::Operator => 90 * 24,
                    Role::Caseworker
                    | Role::TeamLeader
                    | Role::ServiceLeader
                    | Role::Supervisor => 10,
                };
                (role, hours)
            })
            .collect();
        Self { hours }
    }
}

impl Lifetimes {
    /// The defaults with some roles' changed: `role=hours` pairs, comma-separated
    /// (`caseworker=8,operator=720`). An error names the pair it cannot use.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut lifetimes = Self::default();
        for pair in text
            .split(',')
            .map(str::trim)
            .filter(|pair| !pair.is_empty())
        {
            let (role, hours) = pair
                .split_once('=')
                .ok_or_else(|| format!("{pair:?} is not role=hours"))?;
            let name = role.trim();
            let role = Role::parse(name)
                .ok_or_else(|| format!("{name:?} is not a role; use one of {}", Role::names()))?;
            let hours: i64 = hours
                .trim()
                .parse()
                .ok()
                .filter(|hours| (1..=365 * 24).contains(hours))
                .ok_or_else(|| format!("{pair:?}: hours must be a whole number from 1 to 8760"))?;
            lifetimes.hours.insert(role, hours);
        }
        Ok(lifetimes)
    }

    /// The longest a `role`'s token may live, in hours.
    pub fn max_hours(&self, role: Role) -> i64 {
        self.hours.get(&role).copied().unwrap_or(1)
    }

    /// The longest a token naming the role `name` may live: the shortest of all for a name
    /// no role has.
    fn max_hours_of(&self, name: &str) -> i64 {
        match Role::parse(name) {
            Some(role) => self.max_hours(role),
            None => self.hours.values().copied().min().unwrap_or(1),
        }
    }

    /// Refuses claims that live longer than their role may.
    fn check(&self, claims: &Claims) -> Result<(), TokenError> {
        let max_hours = self.max_hours_of(&claims.role);
        if claims.exp.saturating_sub(claims.iat) > max_hours.saturating_mul(3600) {
            return Err(TokenError::LifetimeTooLong {
                role: claims.role.clone(),
                max_hours,
            });
        }
        Ok(())
    }
}

/// What the header says, read before the signature is checked: which algorithm (the key
/// follows from it), which key, and whether it names critical extensions.
fn header(token: &str) -> Result<Header, TokenError> {
    #[derive(Deserialize)]
    struct Raw {
        alg: String,
        #[serde(default)]
        crit: Option<serde_json::Value>,
    }
    // The library refuses an algorithm it does not know (`none` in any spelling), and a
    // header with fields it does not know, as a JSON error; read the algorithm and `crit`
    // first, so such a token is refused for what it is.
    let encoded = token.split('.').next().ok_or(TokenError::Malformed)?;
    let raw = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| TokenError::Malformed)?;
    let Raw { alg, crit } = serde_json::from_slice(&raw).map_err(|_| TokenError::Malformed)?;
    if !matches!(alg.as_str(), "HS256" | "ES256" | "RS256") {
        return Err(TokenError::Algorithm);
    }
    if crit.is_some() {
        return Err(TokenError::CriticalHeader);
    }
    Ok(jsonwebtoken::decode_header(token)?)
}

/// The claims of `token` signed with `key` by `algorithm` for `issuer` and `audience`, at
/// `now`: the signature, algorithm, issuer and audience by the library, the times here.
fn verified_claims(
    token: &str,
    key: &DecodingKey,
    algorithm: Algorithm,
    issuer: &str,
    audience: &str,
    now: i64,
) -> Result<Claims, TokenError> {
    let mut validation = Validation::new(algorithm);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    let claims = jsonwebtoken::decode::<Claims>(token, key, &validation)?.claims;
    if claims.exp <= now {
        return Err(TokenError::Expired);
    }
    if claims.iat > now.saturating_add(CLOCK_SKEW_SECONDS) {
        return Err(TokenError::IssuedInFuture);
    }
    Ok(claims)
}

/// An outside identity provider's public keys (a JWKS document) and the issuer and audience
/// its tokens must name. Tokens it signs carry the key's `kid` and ES256 or RS256; the body
/// has the same claims as Vern's own (`sub`, `role`, `municipalities`, `exp`, `iat`).
#[derive(Clone)]
pub struct Jwks {
    issuer: String,
    audience: String,
    keys: Vec<(String, Algorithm, DecodingKey)>,
}

impl std::fmt::Debug for Jwks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwks")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field(
                "keys",
                &self
                    .keys
                    .iter()
                    .map(|(kid, alg, _)| (kid, alg))
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
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
        for (index, key) in document.keys.into_iter().enumerate() {
            // What is wrong is named before the library reads the key: which key, which member.
            let text = |name: &str| {
                key.get(name)
                    .and_then(|value| value.as_str())
                    .ok_or_else(|| format!("keys[{index}].{name}: missing"))
            };
            let kid = text("kid")?.to_owned();
            let algorithm = match (text("kty")?, key.get("crv").and_then(|v| v.as_str())) {
                ("EC", Some("P-256")) => Algorithm::ES256,
                ("RSA", _) => Algorithm::RS256,
                (kty, crv) => {
                    return Err(format!(
                        "keys[{index}]: kty {kty:?} crv {crv:?} is not supported (EC P-256 or RSA)"
                    ));
                }
            };
            let members = if algorithm == Algorithm::ES256 {
                ["x", "y"]
            } else {
                ["n", "e"]
            };
            for name in members {
                let bytes = URL_SAFE_NO_PAD
                    .decode(text(name)?)
                    .map_err(|_| format!("keys[{index}].{name}: not base64url"))?;
                // The library takes a point of any length and fails only when a token is checked.
                if algorithm == Algorithm::ES256 && bytes.len() != 32 {
                    return Err(format!("keys[{index}]: x and y must be 32 bytes each"));
                }
            }
            let jwk: jsonwebtoken::jwk::Jwk =
                serde_json::from_value(serde_json::Value::Object(key))
                    .map_err(|error| format!("keys[{index}]: {error}"))?;
            let decoding =
                DecodingKey::from_jwk(&jwk).map_err(|error| format!("keys[{index}]: {error}"))?;
            keys.push((kid, algorithm, decoding));
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

    fn verify(&self, token: &str, header: &Header, now: i64) -> Result<Claims, TokenError> {
        let kid = header.kid.as_deref().ok_or(TokenError::UnknownKey)?;
        let (_, algorithm, key) = self
            .keys
            .iter()
            .find(|(id, _, _)| id == kid)
            .ok_or(TokenError::UnknownKey)?;
        // A key answers for its own algorithm only.
        if header.alg != *algorithm {
            return Err(TokenError::Algorithm);
        }
        verified_claims(token, key, *algorithm, &self.issuer, &self.audience, now)
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
    lifetimes: Lifetimes,
}

impl Verifier {
    pub fn new(local: SigningKey) -> Self {
        Self {
            local,
            provider: None,
            served: Vec::new(),
            lifetimes: Lifetimes::default(),
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

    /// Refuse tokens living longer than `lifetimes` allow their role.
    pub fn with_lifetimes(mut self, lifetimes: Lifetimes) -> Self {
        self.lifetimes = lifetimes;
        self
    }

    /// The token's claims, if one of the accepted signers made it, intact, current and for
    /// us. Whether it was revoked is the caller's to ask (it needs the database).
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        let header = header(token)?;
        let claims = match (header.alg, &self.provider) {
            (Algorithm::HS256, _) => self.local.verify_at(token, now)?,
            (Algorithm::ES256 | Algorithm::RS256, Some(provider)) => {
                provider.verify(token, &header, now)?
            }
            _ => return Err(TokenError::Algorithm),
        };
        self.lifetimes.check(&claims)?;
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

    pub fn issue(&self, claims: &Claims) -> String {
        // Signing plain claims with an HMAC key cannot fail.
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(&self.0),
        )
        .unwrap_or_default()
    }

    /// The token's claims, if it is ours, intact, current and meant for us (the default
    /// lifetimes; a [`Verifier`] applies its own).
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        if header(token)?.alg != Algorithm::HS256 {
            return Err(TokenError::Algorithm);
        }
        let claims = self.verify_at(token, now)?;
        Lifetimes::default().check(&claims)?;
        Ok(claims)
    }

    /// HS256 under this key, for this service, current at `now`, with an id.
    fn verify_at(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        let claims = verified_claims(
            token,
            &DecodingKey::from_secret(&self.0),
            Algorithm::HS256,
            ISSUER,
            AUDIENCE,
            now,
        )?;
        if claims.jti.is_none() {
            return Err(TokenError::NoTokenId);
        }
        Ok(claims)
    }
}

/// The id (`jti`) a token names, read without checking it: what `vern token revoke` is
/// given may be the token itself. `None` when it is not a token or names none.
pub fn token_id(token: &str) -> Option<String> {
    let body = token.split('.').nth(1)?;
    let body = URL_SAFE_NO_PAD.decode(body).ok()?;
    #[derive(Deserialize)]
    struct Id {
        jti: Option<String>,
    }
    serde_json::from_slice::<Id>(&body).ok()?.jti
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn claims() -> Claims {
        Claims {
            jti: Some("token-1".into()),
            ..Claims::new("caseworker-1", "caseworker", vec!["5035".into()], NOW, 3600)
        }
    }

    /// A token with this header and body, signed HS256 with `secret` by hand (ring's HMAC):
    /// what an attacker can make.
    fn hand_made(header: &serde_json::Value, body: &Claims, secret: &[u8]) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(body).unwrap())
        );
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
        let signature = ring::hmac::sign(&key, input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
    }

    #[test]
    fn alg_none_in_any_spelling_and_unknown_algorithms_are_refused() {
        let key = SigningKey::generate();
        let verifier = Verifier::new(key.clone());
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims()).unwrap());
        for alg in [
            "none", "None", "NONE", "nOnE", "HS384", "HS512", "PS256", "EdDSA", "",
        ] {
            let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#));
            for signature in ["", "AAAA"] {
                let token = format!("{header}.{body}.{signature}");
                assert_eq!(
                    verifier.verify(&token, NOW),
                    Err(TokenError::Algorithm),
                    "{alg}"
                );
                assert_eq!(key.verify(&token, NOW), Err(TokenError::Algorithm), "{alg}");
            }
        }
    }

    #[test]
    fn critical_headers_a_token_without_id_and_tokens_from_the_future_are_refused() {
        let key = SigningKey::generate();
        let verifier = Verifier::new(key.clone());
        let good = serde_json::json!({"alg": "HS256", "typ": "JWT"});
        assert_eq!(
            verifier.verify(&hand_made(&good, &claims(), &key.0), NOW),
            Ok(claims())
        );
        let critical = serde_json::json!({"alg": "HS256", "crit": ["exp"], "exp": 1});
        assert_eq!(
            verifier.verify(&hand_made(&critical, &claims(), &key.0), NOW),
            Err(TokenError::CriticalHeader)
        );
        let anonymous = Claims {
            jti: None,
            ..claims()
        };
        assert_eq!(
            verifier.verify(&key.issue(&anonymous), NOW),
            Err(TokenError::NoTokenId)
        );
        // Issued a minute ahead of our clock: skew. More: refused.
        let ahead = |seconds: i64| Claims {
            iat: NOW + seconds,
            exp: NOW + seconds + 3600,
            ..claims()
        };
        assert!(
            verifier
                .verify(&key.issue(&ahead(CLOCK_SKEW_SECONDS)), NOW)
                .is_ok()
        );
        assert_eq!(
            verifier.verify(&key.issue(&ahead(CLOCK_SKEW_SECONDS + 1)), NOW),
            Err(TokenError::IssuedInFuture)
        );
        // Past exp, and exactly at it.
        assert_eq!(
            verifier.verify(&key.issue(&claims()), NOW + 3600),
            Err(TokenError::Expired)
        );
        assert!(verifier.verify(&key.issue(&claims()), NOW + 3599).is_ok());
    }

    #[test]
    fn a_token_living_longer_than_its_role_may_is_refused() {
        let key = SigningKey::generate();
        let lasting = |role: &str, hours: i64| Claims {
            role: role.into(),
            exp: NOW + hours * 3600,
            ..claims()
        };
        let verifier = Verifier::new(key.clone());
        assert!(
            verifier
                .verify(&key.issue(&lasting("caseworker", 10)), NOW)
                .is_ok()
        );
        assert_eq!(
            verifier.verify(&key.issue(&lasting("caseworker", 11)), NOW),
            Err(TokenError::LifetimeTooLong {
                role: "caseworker".into(),
                max_hours: 10
            })
        );
        assert!(
            verifier
                .verify(&key.issue(&lasting("operator", 24 * 90)), NOW)
                .is_ok()
        );
        assert!(
            verifier
                .verify(&key.issue(&lasting("police", 24 * 30)), NOW)
                .is_ok()
        );
        assert!(
            verifier
                .verify(&key.issue(&lasting("police", 24 * 31)), NOW)
                .is_err()
        );
        // Configured: caseworkers 8 hours.
        let shorter =
            Verifier::new(key.clone()).with_lifetimes(Lifetimes::parse("caseworker=8").unwrap());
        assert!(
            shorter
                .verify(&key.issue(&lasting("caseworker", 9)), NOW)
                .is_err()
        );
        assert!(
            shorter
                .verify(&key.issue(&lasting("team_leader", 10)), NOW)
                .is_ok()
        );
        assert!(
            Lifetimes::parse("cook=8")
                .unwrap_err()
                .contains("\"cook\" is not a role")
        );
        assert!(
            Lifetimes::parse("caseworker")
                .unwrap_err()
                .contains("role=hours")
        );
        assert!(
            Lifetimes::parse("caseworker=0")
                .unwrap_err()
                .contains("from 1 to 8760")
        );
    }

    #[test]
    fn the_id_of_a_token_is_read_for_revocation() {
        let key = SigningKey::generate();
        assert_eq!(token_id(&key.issue(&claims())).as_deref(), Some("token-1"));
        assert_eq!(token_id("not a token"), None);
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

        /// The classic confusion: the provider's RSA public key used as an HMAC secret, the
        /// token marked HS256. HS256 is checked with the installation's own key only, so the
        /// signature is wrong whatever bytes of the public key were used.
        #[test]
        fn an_hs256_token_keyed_with_the_providers_public_key_is_refused() {
            use ring::signature::RsaKeyPair;
            let pair =
                RsaKeyPair::from_der(include_bytes!("../testdata/provider-rsa-test-key.der"))
                    .unwrap();
            let public: ring::rsa::PublicKeyComponents<Vec<u8>> = pair.public().into();
            let jwks = serde_json::json!({"keys": [{
                "kty": "RSA", "kid": "idp-rsa",
                "n": URL_SAFE_NO_PAD.encode(&public.n),
                "e": URL_SAFE_NO_PAD.encode(&public.e),
            }]})
            .to_string();
            let verifier = Verifier::new(SigningKey::generate()).with_provider(
                Jwks::parse(&jwks, "https://idp.kommune.example", "vern-prod").unwrap(),
            );
            let header = serde_json::json!({"alg": "HS256", "typ": "JWT", "kid": "idp-rsa"});
            for secret in [
                pair.public().as_ref().to_vec(),
                public.n.clone(),
                jwks.as_bytes().to_vec(),
            ] {
                assert_eq!(
                    verifier.verify(&super::hand_made(&header, &provider_claims(), &secret), NOW),
                    Err(TokenError::Signature)
                );
            }
        }

        #[test]
        fn a_providers_token_with_a_missing_or_unknown_kid_or_a_critical_header_is_refused() {
            let (pair, document) = provider();
            let verifier = Verifier::new(SigningKey::generate()).with_provider(
                Jwks::parse(&document, "https://idp.kommune.example", "vern-prod").unwrap(),
            );
            let sign = |header: serde_json::Value| {
                let input = format!(
                    "{}.{}",
                    URL_SAFE_NO_PAD.encode(header.to_string()),
                    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&provider_claims()).unwrap())
                );
                let signature = pair.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
                format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
            };
            assert_eq!(
                verifier.verify(&sign(serde_json::json!({"alg": "ES256"})), NOW),
                Err(TokenError::UnknownKey)
            );
            assert_eq!(
                verifier.verify(
                    &sign(serde_json::json!({"alg": "ES256", "kid": "idp-9"})),
                    NOW
                ),
                Err(TokenError::UnknownKey)
            );
            assert_eq!(
                verifier.verify(
                    &sign(serde_json::json!({"alg": "ES256", "kid": "idp-1", "crit": ["b64"], "b64": false})),
                    NOW
                ),
                Err(TokenError::CriticalHeader)
            );
            assert_eq!(
                verifier.verify(
                    &sign(serde_json::json!({"alg": "ES256", "kid": "idp-1"})),
                    NOW
                ),
                Ok(provider_claims())
            );
            // From the future, and past its end.
            let future = Claims {
                iat: NOW + 3600,
                exp: NOW + 7200,
                ..provider_claims()
            };
            assert_eq!(
                verifier.verify(&es256(&pair, "idp-1", &future), NOW),
                Err(TokenError::IssuedInFuture)
            );
            assert_eq!(
                verifier.verify(&es256(&pair, "idp-1", &provider_claims()), NOW + 3600),
                Err(TokenError::Expired)
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
