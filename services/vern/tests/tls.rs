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
    let missing = std::process::Command::new(shared::VERN)
        .args([
            "up",
            "--listen",
            "127.0.0.1:0",
            "--no-dashboard",
            "--tls-cert",
            &files.0,
        ])
        .args(["--tls-key", "/nonexistent/server.key", "--data-dir"])
        .arg(&data_dir.0)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(!missing.status.success());
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("--tls-key /nonexistent/server.key"),
        "{stderr}"
    );
}
