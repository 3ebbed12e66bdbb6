//! TLS and mutual TLS on the gRPC listener, as an operator configures them: the real `vern up`
//! with `--tls-cert`, `--tls-key` and `--client-ca`, and certificates made in the test.

use std::path::Path;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

mod shared;
use shared::{DataDir, Running, listening_on};

/// A certificate authority of the test's own.
fn authority(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

/// A certificate for `names` signed by `issuer`: its PEM and its key's PEM.
fn leaf(
    issuer: &CertifiedIssuer<'static, KeyPair>,
    names: &[&str],
    common_name: &str,
) -> (String, String) {
    let mut params = CertificateParams::new(
        names
            .iter()
            .map(|name| (*name).to_owned())
            .collect::<Vec<_>>(),
    )
    .unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    let key = KeyPair::generate().unwrap();
    let certificate = params.signed_by(&key, issuer).unwrap();
    (certificate.pem(), key.serialize_pem())
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// Asks the health service over `channel`; Ok(()) when it answers at all.
async fn health(channel: Result<Channel, tonic::transport::Error>) -> Result<(), String> {
    let channel = channel.map_err(|error| format!("connect: {error:?}"))?;
    HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .map(|_| ())
        .map_err(|status| format!("{status:?}"))
}

async fn connect(
    address: &str,
    tls: Option<ClientTlsConfig>,
) -> Result<Channel, tonic::transport::Error> {
    let scheme = if tls.is_some() { "https" } else { "http" };
    let mut endpoint = Endpoint::from_shared(format!("{scheme}://{address}"))
        .unwrap()
        .connect_timeout(std::time::Duration::from_secs(5))
        .timeout(std::time::Duration::from_secs(5));
    if let Some(tls) = tls {
        endpoint = endpoint.tls_config(tls)?;
    }
    endpoint.connect().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_and_mutual_tls_admit_only_what_they_should() {
    let data_dir = DataDir::new();
    std::fs::create_dir_all(&data_dir.0).unwrap();
    let ca = authority("Vern test CA");
    let stranger = authority("Someone else's CA");
    let (server_cert, server_key) = leaf(&ca, &["localhost"], "vern");
    let (client_cert, client_key) = leaf(&ca, &[], "politiet-trondelag");
    let (foreign_cert, foreign_key) = leaf(&stranger, &[], "intruder");
    let files = (
        write(&data_dir.0, "server.pem", &server_cert),
        write(&data_dir.0, "server.key", &server_key),
        write(&data_dir.0, "ca.pem", &ca.pem()),
    );
    let trusting = || {
        ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(ca.pem()))
            .domain_name("localhost")
    };

    // TLS: a client that trusts the CA gets in; plain text and a client that does not trust
    // the server's certificate do not.
    let mut up = Running::start_with(
        &data_dir.0,
        &["--tls-cert", &files.0, "--tls-key", &files.1],
    );
    let line = up.wait_for("vern is up");
    assert!(
        line.contains("tls=\"on\"") || line.contains("tls=on"),
        "{line}"
    );
    let address = listening_on(&line);
    health(connect(&address, Some(trusting())).await)
        .await
        .expect("TLS with the CA trusted");
    assert!(
        health(connect(&address, None).await).await.is_err(),
        "plain text refused"
    );
    let distrusting = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(stranger.pem()))
        .domain_name("localhost");
    assert!(
        health(connect(&address, Some(distrusting)).await)
            .await
            .is_err(),
        "a server certificate from an unknown CA is refused by the client"
    );
    let (status, log) = up.terminate();
    assert!(status.success(), "exit {status}:\n{}", log.join("\n"));

    // Mutual TLS: only a client certificate from the configured CA gets in.
    let mut up = Running::start_with(
        &data_dir.0,
        &[
            "--tls-cert",
            &files.0,
            "--tls-key",
            &files.1,
            "--client-ca",
            &files.2,
        ],
    );
    let line = up.wait_for("vern is up");
    assert!(line.contains("mutual"), "{line}");
    let address = listening_on(&line);
    health(
        connect(
            &address,
            Some(trusting().identity(Identity::from_pem(&client_cert, &client_key))),
        )
        .await,
    )
    .await
    .expect("mutual TLS with a certificate from the CA");
    assert!(
        health(connect(&address, Some(trusting())).await)
            .await
            .is_err(),
        "no client certificate, no connection"
    );
    assert!(
        health(
            connect(
                &address,
                Some(trusting().identity(Identity::from_pem(&foreign_cert, &foreign_key))),
            )
            .await
        )
        .await
        .is_err(),
        "a client certificate from another CA is refused"
    );
    let (status, log) = up.terminate();
    assert!(status.success(), "exit {status}:\n{}", log.join("\n"));

    // A key that does not exist is named with its flag, and nothing starts.
    let missing = shared::vern_in(
        &data_dir.0,
        &[
            "up",
            "--listen",
            "127.0.0.1:0",
            "--no-dashboard",
            "--tls-cert",
            &files.0,
            "--tls-key",
            "/nonexistent/server.key",
        ],
    );
    assert!(!missing.status.success());
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("--tls-key /nonexistent/server.key"),
        "{stderr}"
    );
}

/// With `--partner-identity-from-certificate`, the police are who their client certificate
/// says: a police token issued to that name passes, one issued to another name does not, and
/// staff tokens are as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_is_who_its_client_certificate_says() {
    use api::partner::v1::partner_service_client::PartnerServiceClient;
    use api::worklist::v1::worklist_service_client::WorklistServiceClient;
    let data_dir = DataDir::new();
    std::fs::create_dir_all(&data_dir.0).unwrap();
    let ca = authority("Vern test CA");
    let (server_cert, server_key) = leaf(&ca, &["localhost"], "vern");
    let (police_cert, police_key) = leaf(&ca, &[], "politiet-trondelag");
    let files = (
        write(&data_dir.0, "server.pem", &server_cert),
        write(&data_dir.0, "server.key", &server_key),
        write(&data_dir.0, "ca.pem", &ca.pem()),
    );
    let mut up = Running::start_with(
        &data_dir.0,
        &[
            "--tls-cert",
            &files.0,
            "--tls-key",
            &files.1,
            "--client-ca",
            &files.2,
            "--partner-identity-from-certificate",
        ],
    );
    let address = listening_on(&up.wait_for("vern is up"));
    let channel = connect(
        &address,
        Some(
            ClientTlsConfig::new()
                .ca_certificate(Certificate::from_pem(ca.pem()))
                .domain_name("localhost")
                .identity(Identity::from_pem(&police_cert, &police_key)),
        ),
    )
    .await
    .expect("mutual TLS");
    let key = platform::auth::SigningKey::load(&data_dir.0.join("signing.key")).unwrap();
    let token = |subject: &str, role: &str| {
        key.issue(&platform::auth::Claims::new(
            subject,
            role,
            vec!["5035".into()],
            chrono::Utc::now().timestamp(),
            600,
        ))
    };
    let consultation = |token: String| {
        let mut request = tonic::Request::new(api::partner::v1::GetConsultationRequest {
            case_id: uuid::Uuid::new_v4().to_string(),
            consultation: 1,
        });
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        let mut client = PartnerServiceClient::new(channel.clone());
        async move { client.get_consultation(request).await }
    };
    // Issued to the certificate's name: authenticated (and then refused the consultation,
    // which does not exist, as any partner would be).
    let answered = consultation(token("politiet-trondelag", "police"))
        .await
        .expect_err("no such consultation");
    assert_eq!(
        answered.code(),
        tonic::Code::PermissionDenied,
        "{answered:?}"
    );
    // Issued to another name: not this caller.
    let refused = consultation(token("politiet-oslo", "police"))
        .await
        .expect_err("refused");
    assert_eq!(refused.code(), tonic::Code::Unauthenticated, "{refused:?}");
    assert!(
        refused.message().contains("politiet-trondelag"),
        "{refused:?}"
    );
    // Staff keep their token's identity over the same connection.
    let mut request =
        tonic::Request::new(api::worklist::v1::ListCasesNeedingReviewRequest::default());
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", token("kari", "caseworker"))
            .parse()
            .unwrap(),
    );
    WorklistServiceClient::new(channel.clone())
        .list_cases_needing_review(request)
        .await
        .expect("a caseworker over the same connection");
    let (status, log) = up.terminate();
    assert!(status.success(), "exit {status}:\n{}", log.join("\n"));
}
