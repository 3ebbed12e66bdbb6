//! Tokens from an outside identity provider: `vern up --jwks` accepts what the provider's key
//! signs for this service, and refuses the rest, over the wire.

use api::worklist::v1 as worklist;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use platform::auth::Claims;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use tonic::Code;

mod shared;
use shared::{DataDir, Running, listening_on};

const ISSUER: &str = "https://idp.vaernes.example";
const AUDIENCE: &str = "vern-vaernes";

fn key_pair() -> EcdsaKeyPair {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap()
}

fn token(pair: &EcdsaKeyPair, issuer: &str, audience: &str, role: &str) -> String {
    token_for(pair, issuer, audience, role, "5035")
}

fn token_for(
    pair: &EcdsaKeyPair,
    issuer: &str,
    audience: &str,
    role: &str,
    municipality: &str,
) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        iss: issuer.into(),
        aud: audience.into(),
        ..Claims::new("tilsyn-1", role, vec![municipality.into()], now, 600)
    };
    let header = URL_SAFE_NO_PAD
        .encode(serde_json::json!({"alg": "ES256", "typ": "JWT", "kid": "idp-1"}).to_string());
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    let input = format!("{header}.{body}");
    let signature = pair.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
}

async fn statistics(address: &str, token: &str) -> Code {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{address}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = worklist::worklist_service_client::WorklistServiceClient::new(channel);
    let mut request = tonic::Request::new(worklist::GetStatisticsRequest {
        year: 2025,
        period: worklist::PeriodKind::Year as i32,
        ..Default::default()
    });
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    match client.get_statistics(request).await {
        Ok(_) => Code::Ok,
        Err(status) => status.code(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_providers_tokens_are_accepted_for_this_service_and_its_municipalities_only() {
    let data_dir = DataDir::new();
    std::fs::create_dir_all(&data_dir.0).unwrap();
    let pair = key_pair();
    let point = pair.public_key().as_ref();
    let jwks = serde_json::json!({"keys": [{
        "kty": "EC", "crv": "P-256", "kid": "idp-1",
        "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
        "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
    }]});
    let jwks_file = data_dir.0.join("jwks.json");
    std::fs::write(&jwks_file, jwks.to_string()).unwrap();
    let jwks_path = jwks_file.to_str().unwrap();

    let mut up = Running::start_with(
        &data_dir.0,
        &[
            "--jwks",
            jwks_path,
            "--token-issuer",
            ISSUER,
            "--token-audience",
            AUDIENCE,
            "--municipalities",
            "5035,5034",
        ],
    );
    let address = listening_on(&up.wait_for("vern is up"));
    let supervisor = token(&pair, ISSUER, AUDIENCE, "supervisor");
    assert_eq!(statistics(&address, &supervisor).await, Code::Ok);
    // The provider's tokens answer to the same policy as Vern's own.
    let portal = token(&pair, ISSUER, AUDIENCE, "reporter_portal");
    assert_eq!(statistics(&address, &portal).await, Code::PermissionDenied);
    // Another audience, another issuer, another key: refused.
    let elsewhere = token(&pair, ISSUER, "another-service", "supervisor");
    assert_eq!(
        statistics(&address, &elsewhere).await,
        Code::Unauthenticated
    );
    let forged_issuer = token(&pair, "vern", AUDIENCE, "supervisor");
    assert_eq!(
        statistics(&address, &forged_issuer).await,
        Code::Unauthenticated
    );
    let stranger = token(&key_pair(), ISSUER, AUDIENCE, "supervisor");
    assert_eq!(statistics(&address, &stranger).await, Code::Unauthenticated);
    // A token for a municipality this service does not serve (Oslo) is refused too.
    let oslo = token_for(&pair, ISSUER, AUDIENCE, "supervisor", "0301");
    assert_eq!(statistics(&address, &oslo).await, Code::Unauthenticated);
    let (status, log) = up.terminate();
    assert!(status.success(), "exit {status}:\n{}", log.join("\n"));

    // A document it cannot use stops it at start, naming the flag and the key.
    std::fs::write(&jwks_file, r#"{"keys": [{"kty": "EC", "crv": "P-256"}]}"#).unwrap();
    let refused = shared::vern_in(
        &data_dir.0,
        &[
            "up",
            "--listen",
            "127.0.0.1:0",
            "--no-dashboard",
            "--jwks",
            jwks_path,
            "--token-issuer",
            ISSUER,
            "--token-audience",
            AUDIENCE,
        ],
    );
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("--jwks") && stderr.contains("keys[0].kid"),
        "{stderr}"
    );
}
