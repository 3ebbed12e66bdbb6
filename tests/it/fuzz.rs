//! Fuzzing every RPC over the wire: requests generated from the contract's own descriptors
//! (every service, every method, every field: empty, huge, garbage, or a value that is valid
//! or names a real case), sent to the real server. Whatever comes in, the answer is a
//! success or a typed refusal (INVALID_ARGUMENT naming its field, FAILED_PRECONDITION,
//! PERMISSION_DENIED for what the token may not reach), never a panic, an INTERNAL or an
//! UNKNOWN.
//!
//! The message is generated from a seed proptest draws, so a failure names the seed, the
//! method and the request. The seeds are the same in every run, so a test run does not pass
//! or fail by luck; `FUZZ_CASES=N` runs more of them and `FUZZ_RANDOM=1` draws new ones,
//! which is how to look for what the fixed ones miss.

use std::time::Duration;

use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use prost::Message as _;
use prost_reflect::{
    DescriptorPool, DynamicMessage, Kind, MessageDescriptor, MethodDescriptor, Value,
};
use tests::TestApp;
use tonic::Code;
use tonic_types::StatusExt as _;

use crate::{
    case_under_investigation, child, conclude_with_measures, public_reporter, report, submit,
};

pub(crate) use api::codec::RawCodec;

/// Values drawn from a seed (SplitMix64), with ids of real reports and cases among them.
struct Generator {
    state: u64,
    reports: Vec<String>,
    cases: Vec<String>,
}

impl Generator {
    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a>(&mut self, values: &'a [String]) -> Option<&'a String> {
        let index = self.below(values.len() as u64) as usize;
        values.get(index)
    }

    fn string(&mut self, field: &str) -> String {
        let today = domain::calendar::oslo_date(chrono::Utc::now());
        match self.below(14) {
            0 => String::new(),
            1 => "ø".repeat(self.below(200_000) as usize),
            2 => (0..self.below(40))
                .map(|_| char::from_u32(self.below(0x11_0000) as u32).unwrap_or('\u{fffd}'))
                .collect(),
            3 => uuid::Uuid::from_u128(u128::from(self.next()) << 64 | u128::from(self.next()))
                .to_string(),
            4 | 5 => {
                let ids = if field.contains("case") {
                    &self.cases
                } else {
                    &self.reports
                };
                let ids = ids.clone();
                self.pick(&ids).cloned().unwrap_or_default()
            }
            6 => (today + chrono::Duration::days(self.below(800) as i64 - 400)).to_string(),
            7 => ["5035", "0301", "9999", "4601", "12"][self.below(5) as usize].to_owned(),
            8 => [
                "1.3.01",
                "23",
                "1",
                "7",
                "2.1.04",
                fiks::PUBLIC_V2,
                fiks::PRIVATE_V2,
            ][self.below(7) as usize]
                .to_owned(),
            9 => format!("{}", self.next() as i64),
            10 => "Synthetic text.".to_owned(),
            // What a name must not hide: bidirectional controls, zero-width characters, NUL.
            12 => [
                "Ola \u{202E}nnamroN",
                "Mot\u{200B}tak",
                "\u{2066}Kari\u{2069}",
                "Ka\u{FEFF}ri",
            ][self.below(4) as usize]
                .to_owned(),
            13 => "Tekst med\u{0}NUL".to_owned(),
            _ => "-1".to_owned(),
        }
    }

    fn bytes(&mut self) -> Vec<u8> {
        let example = if self.below(2) == 0 {
            fiks::samples::PUBLIC_EXAMPLE
        } else {
            fiks::samples::PRIVATE_EXAMPLE
        };
        match self.below(6) {
            0 => example.as_bytes().to_vec(),
            1 => {
                let cut = self.below(example.len() as u64) as usize;
                example.as_bytes()[..cut].to_vec()
            }
            2 => {
                // The example with one byte changed.
                let mut body = example.as_bytes().to_vec();
                let at = self.below(body.len() as u64) as usize;
                body[at] = self.next() as u8;
                body
            }
            // Unmapped content nested far past what a stored event may hold.
            4 => {
                let depth = self.below(200) as usize;
                let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
                example
                    .replacen('{', &format!("{{\"ekstra\": {nested}, "), 1)
                    .into_bytes()
            }
            // A NUL character (as JSON's escape) somewhere in a string.
            5 => example
                .replacen("\": \"", "\": \"\\u0000", 1 + self.below(5) as usize)
                .into_bytes(),
            _ => (0..self.below(300)).map(|_| self.next() as u8).collect(),
        }
    }

    fn message(&mut self, descriptor: &MessageDescriptor, depth: u32) -> DynamicMessage {
        let mut message = DynamicMessage::new(descriptor.clone());
        for field in descriptor.fields() {
            // A far-away position would only make the query wait its 5 s.
            if field.name() == "min_position" || self.below(5) == 0 {
                continue;
            }
            let value = if field.is_list() {
                // Now and then more items than any list may hold (children of a report).
                let items = if self.below(10) == 0 {
                    21 + self.below(5)
                } else {
                    self.below(4)
                };
                Value::List(
                    (0..items)
                        .map(|_| self.single(&field.kind(), field.name(), depth))
                        .collect(),
                )
            } else if field.is_map() {
                continue;
            } else {
                self.single(&field.kind(), field.name(), depth)
            };
            message.set_field(&field, value);
        }
        message
    }

    fn single(&mut self, kind: &Kind, name: &str, depth: u32) -> Value {
        let small = |g: &mut Self| g.below(40) as i64 - 5;
        match kind {
            Kind::String => Value::String(self.string(name)),
            Kind::Bytes => Value::Bytes(self.bytes().into()),
            Kind::Bool => Value::Bool(self.below(2) == 0),
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => Value::I32(if self.below(8) == 0 {
                i32::MIN
            } else {
                small(self) as i32
            }),
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Value::I64(if self.below(8) == 0 {
                self.next() as i64
            } else {
                small(self)
            }),
            Kind::Uint32 | Kind::Fixed32 => Value::U32(if self.below(8) == 0 {
                u32::MAX
            } else {
                self.below(40) as u32
            }),
            Kind::Uint64 | Kind::Fixed64 => Value::U64(if self.below(8) == 0 {
                self.next()
            } else {
                self.below(40)
            }),
            Kind::Float => Value::F32(f32::from_bits(self.next() as u32)),
            Kind::Double => Value::F64(f64::from_bits(self.next())),
            Kind::Enum(descriptor) => {
                let last = descriptor.values().map(|v| v.number()).max().unwrap_or(0);
                Value::EnumNumber(self.below(u64::try_from(last).unwrap_or(0) + 3) as i32 - 1)
            }
            Kind::Message(descriptor) if depth < 4 => {
                Value::Message(self.message(descriptor, depth + 1))
            }
            Kind::Message(descriptor) => Value::Message(DynamicMessage::new(descriptor.clone())),
        }
    }
}

/// Every method of the contract's services.
pub(crate) fn methods() -> Vec<MethodDescriptor> {
    let pool = DescriptorPool::decode(api::FILE_DESCRIPTOR_SET).expect("descriptor set");
    pool.services()
        .filter(|service| service.full_name().starts_with("vern."))
        .flat_map(|service| service.methods().collect::<Vec<_>>())
        .collect()
}

/// Whether a refusal is one of the typed ones, with its field named when the input is bad.
/// A request over the size limit is refused before it is read (RESOURCE_EXHAUSTED).
fn typed(status: &tonic::Status, request_bytes: usize) -> Result<(), String> {
    match status.code() {
        Code::ResourceExhausted if request_bytes > vern::server::MAX_REQUEST_BYTES => Ok(()),
        Code::InvalidArgument => {
            let violations = status
                .get_details_bad_request()
                .map(|details| details.field_violations)
                .unwrap_or_default();
            if violations
                .iter()
                .any(|v| !v.field.is_empty() && !v.description.is_empty())
            {
                Ok(())
            } else {
                Err(format!(
                    "INVALID_ARGUMENT without a named field: {status:?}"
                ))
            }
        }
        // PERMISSION_DENIED: a case or report that does not exist (told apart from another
        // municipality's by no one).
        Code::FailedPrecondition | Code::PermissionDenied => Ok(()),
        _ => Err(format!("untyped answer: {status:?}")),
    }
}

#[test]
fn every_rpc_answers_any_generated_request_with_a_result_or_a_typed_refusal() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (app, reports, cases) = runtime.block_on(async {
        let app = TestApp::spawn().await;
        let mut reports = vec![submit(&app, report(vec![child(40)], public_reporter())).await];
        let investigated = case_under_investigation(&app, 41).await;
        crate::start_investigation(&app, &investigated).await;
        let with_measures = case_under_investigation(&app, 42).await;
        crate::start_investigation(&app, &with_measures).await;
        conclude_with_measures(&app, &with_measures).await;
        let stored: Vec<String> = sqlx::query_scalar(
            "select substr(stream_id, 8) from streams where category = 'report'",
        )
        .fetch_all(app.db.pool())
        .await
        .expect("report ids");
        reports.extend(stored);
        (app, reports, vec![investigated, with_measures])
    });
    let methods = methods();
    assert!(methods.len() > 30, "{} methods", methods.len());
    let token: tonic::metadata::MetadataValue<_> =
        format!("Bearer {}", app.token).parse().expect("header");
    let cases_to_run = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1500);
    let config = Config {
        cases: cases_to_run,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = if std::env::var_os("FUZZ_RANDOM").is_some() {
        TestRunner::new(config)
    } else {
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
    };
    let answered = std::cell::RefCell::new(std::collections::BTreeMap::<String, u32>::new());
    let result = runner.run(&proptest::num::u64::ANY, |seed| {
        let mut generator = Generator {
            state: seed,
            reports: reports.clone(),
            cases: cases.clone(),
        };
        let method = &methods[generator.below(methods.len() as u64) as usize];
        let message = generator.message(&method.input(), 0);
        let path = format!("/{}/{}", method.parent_service().full_name(), method.name());
        let body = message.encode_to_vec();
        let request_bytes = body.len();
        let answer = runtime.block_on(async {
            let mut grpc = tonic::client::Grpc::new(app.channel());
            grpc.ready()
                .await
                .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
            let mut request = tonic::Request::new(body);
            request
                .metadata_mut()
                .insert("authorization", token.clone());
            request.set_timeout(Duration::from_secs(10));
            grpc.unary(
                request,
                path.parse().map_err(|_| tonic::Status::internal("path"))?,
                RawCodec,
            )
            .await
        });
        let outcome = match &answer {
            Ok(_) => "OK".to_owned(),
            Err(status) => format!("{:?}", status.code()),
        };
        *answered.borrow_mut().entry(outcome).or_default() += 1;
        match answer {
            Ok(_) => Ok(()),
            Err(status) => typed(&status, request_bytes).map_err(|problem| {
                TestCaseError::fail(format!(
                    "{path} (seed {seed}): {problem}\nrequest: {message:?}"
                ))
            }),
        }
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    // The fuzzing reached the domain, not only the parsers.
    let answered = answered.into_inner();
    eprintln!("answers: {answered:?}");
    assert!(answered.get("OK").copied().unwrap_or(0) > 0, "{answered:?}");
    // Past the parsers: a refusal by the domain or a lookup out of reach. Either alone
    // can be absent from 1,500 random cases (FAILED_PRECONDITION came about once in 330).
    assert!(
        answered.contains_key("FailedPrecondition") || answered.contains_key("PermissionDenied"),
        "{answered:?}"
    );
    runtime.block_on(async {
        let mut health = tonic_health::pb::health_client::HealthClient::new(app.channel());
        let serving = health
            .check(tonic_health::pb::HealthCheckRequest::default())
            .await
            .expect("still serving");
        assert_eq!(serving.into_inner().status, 1);
    });
    drop(app);
}
