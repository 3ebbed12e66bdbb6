//! The role part of the policy over the wire: every method of the contract × every role, the
//! expected answer of each cell taken from the one table in `handling::policy`.

use std::time::Duration;

use handling::policy::{RULES, Role, permits};
use platform::auth::Claims;
use tests::TestApp;
use tonic::Code;

use crate::fuzz::{RawCodec, methods};

/// Calls `path` with an empty request and a token with `role`; the answer's code.
async fn call(app: &TestApp, role: &str, path: &str) -> Code {
    let token = app.key.issue(&Claims::new(
        "matrix",
        role,
        vec!["5035".into()],
        tests::now(),
        600,
    ));
    let mut grpc = tonic::client::Grpc::new(app.channel());
    grpc.ready().await.expect("ready");
    let mut request = tonic::Request::new(Vec::<u8>::new());
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request.set_timeout(Duration::from_secs(10));
    match grpc.unary(request, path.parse().unwrap(), RawCodec).await {
        Ok(_) => Code::Ok,
        Err(status) => status.code(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_method_answers_every_role_as_the_policy_table_says() {
    let app = TestApp::spawn().await;
    let methods: Vec<String> = methods()
        .iter()
        .map(|method| format!("/{}/{}", method.parent_service().full_name(), method.name()))
        .collect();

    // The table covers the contract: no method is refused to all for want of a rule.
    for path in &methods {
        let (service, method) = path[1..].split_once('/').unwrap();
        assert!(
            RULES
                .iter()
                .any(|(s, rules)| *s == service && rules.iter().any(|(m, _)| *m == method)),
            "{path} has no rule in handling::policy::RULES"
        );
    }

    let mut cells = 0;
    let mut refused = Vec::new();
    for path in &methods {
        for role in Role::ALL {
            let code = call(&app, role.name(), path).await;
            cells += 1;
            if permits(role.name(), path) {
                assert!(
                    !matches!(code, Code::PermissionDenied | Code::Unauthenticated),
                    "{} may call {path}, but got {code:?}",
                    role.name()
                );
            } else {
                assert_eq!(
                    code,
                    Code::PermissionDenied,
                    "{} calling {path}",
                    role.name()
                );
                refused.push((role.name(), path.clone()));
            }
        }
        // A role no one has may call nothing.
        assert_eq!(
            call(&app, "wizard", path).await,
            Code::PermissionDenied,
            "{path}"
        );
    }
    assert_eq!(cells, methods.len() * Role::ALL.len());
    // What the table means, spelled out for the roles with the least.
    for role in ["police", "barnehus", "operator"] {
        assert_eq!(
            refused.iter().filter(|(r, _)| *r == role).count(),
            methods.len(),
            "{role} may call none of the services yet"
        );
    }
    assert!(permits(
        "supervisor",
        "/vern.worklist.v1.WorklistService/GetStatistics"
    ));
    assert!(!permits(
        "supervisor",
        "/vern.worklist.v1.WorklistService/GetCaseTimeline"
    ));
    assert!(permits(
        "reporter_portal",
        "/vern.intake.v1.IntakeService/SubmitReport"
    ));
    assert!(!permits(
        "reporter_portal",
        "/vern.intake.v1.IntakeService/GetReport"
    ));

    // Reflection describes the contract to any role; health needs no token at all.
    let reflection = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo";
    assert!(permits("police", reflection));
}
