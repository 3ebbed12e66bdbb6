//! `vern import history`: the history of a service moving to Vern from another case system,
//! one step a line (JSON Lines; the format is `proto/vern/history/v1/line.schema.json`, with
//! an example beside it).
//!
//! Why through the command path: each line is the gRPC command a caseworker would have sent,
//! with the time its step was taken. Sent to an in-process server as the actor it names, it
//! meets the same checks (the role's policy, every field, the lifecycle), makes the same events,
//! and is as idempotent: a line's id is its command's id, so a run after a crash sends every
//! line again, and the lines already stored answer with their first result and write nothing.
//!
//! A line names what an earlier line made by reference: `"line:<id>"` is the report the
//! `SubmitReport` line `<id>` received, `"line:<id>/<n>"` the case its screening opened for
//! child `n`. Lines of one report or case are sent in file order, each after the one before;
//! lines of different reports and cases are sent side by side (16 at a time), which is where an
//! import's speed comes from.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use platform::auth::{Claims, Lifetimes, Role, SigningKey};
use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage, MethodDescriptor};
use serde_json::Value;
use tokio::sync::{Semaphore, watch};
use tonic_types::StatusExt as _;
use uuid::Uuid;

/// How an import runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// The reason recorded with a step dated back whose line gives none.
    pub late_reason: String,
    /// Lines in flight at once.
    pub concurrency: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            late_reason: "Imported from the service's previous case system.".to_owned(),
            concurrency: 16,
        }
    }
}

/// A line that was not imported: where, what, and which rule refused it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// From 1, as an editor counts.
    pub line: usize,
    /// Each field at fault (`request.children[0].birth_date`) with why, or one with an empty
    /// field for the whole step.
    pub problems: Vec<(String, String)>,
    /// Which rule refused it: the line's format, a field's value, the role's policy, the
    /// lifecycle, or an earlier line it depends on.
    pub rule: &'static str,
}

/// What an import did.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub lines: usize,
    /// Stored by this run.
    pub imported: usize,
    /// Stored by an earlier run: answered with their first result, nothing written.
    pub already_imported: usize,
    pub refused: Vec<Refusal>,
    pub elapsed: Duration,
}

/// One parsed line, ready to send once what it depends on is done.
struct Line {
    number: usize,
    method: MethodDescriptor,
    token: Arc<str>,
    request: Value,
    /// The lines whose reports or cases this one names (by index), and the reference text.
    references: Vec<(usize, String)>,
    /// The lines this one waits for: its references and the line before it on each stream.
    waits: Vec<usize>,
}

/// What a line left for the lines after it.
#[derive(Clone, Debug, Default)]
struct Done {
    refused: bool,
    report_id: Option<String>,
    cases: BTreeMap<u64, String>,
}

/// Imports `text` (JSON Lines) through the server at `address`, whose tokens `key` signs.
/// `progress` hears the lines done and their number.
pub async fn import(
    address: SocketAddr,
    key: &SigningKey,
    text: &str,
    options: &Options,
    mut progress: impl FnMut(u64, u64),
) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let pool = DescriptorPool::decode(api::FILE_DESCRIPTOR_SET).context("the API's descriptors")?;
    let (lines, mut refused, total) = parse(text, &pool, key);
    let channel =
        tonic::transport::Endpoint::from_shared(format!("http://{address}"))?.connect_lazy();
    let mut done: Vec<watch::Sender<Option<Done>>> = Vec::with_capacity(lines.len());
    let mut watchers: Vec<watch::Receiver<Option<Done>>> = Vec::with_capacity(lines.len());
    for _ in &lines {
        let (sender, receiver) = watch::channel(None);
        done.push(sender);
        watchers.push(receiver);
    }
    let permits = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let mut running = tokio::task::JoinSet::new();
    for (index, line) in lines.into_iter().enumerate() {
        let waits: Vec<_> = line
            .waits
            .iter()
            .map(|&waited| watchers[waited].clone())
            .collect();
        let references: Vec<_> = line
            .references
            .iter()
            .map(|(waited, text)| (watchers[*waited].clone(), text.clone()))
            .collect();
        let sender = done[index].clone();
        let (channel, permits, late_reason) = (
            channel.clone(),
            permits.clone(),
            options.late_reason.clone(),
        );
        running.spawn(async move {
            for mut waited in waits {
                let _ = waited.wait_for(Option::is_some).await;
            }
            let outcome = run_line(&line, references, &channel, &permits, &late_reason).await;
            let _ = sender.send(Some(match &outcome {
                Ok((made, _)) => made.clone(),
                Err(_) => Done {
                    refused: true,
                    ..Done::default()
                },
            }));
            (line.number, outcome.map(|(_, replayed)| replayed))
        });
    }
    drop(done);
    let mut summary = Summary {
        lines: total,
        ..Summary::default()
    };
    let mut finished = total - running.len();
    progress(finished as u64, total as u64);
    while let Some(joined) = running.join_next().await {
        let (number, outcome) = joined.context("an import task failed")?;
        match outcome {
            Ok(true) => summary.already_imported += 1,
            Ok(false) => summary.imported += 1,
            Err(mut refusal) => {
                refusal.line = number;
                refused.push(refusal);
            }
        }
        finished += 1;
        progress(finished as u64, total as u64);
    }
    refused.sort_by_key(|refusal| refusal.line);
    summary.refused = refused;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// The lines of `text` that are well formed, in order, with what each waits for; the refusals
/// of the others; and the number of lines.
fn parse(text: &str, pool: &DescriptorPool, key: &SigningKey) -> (Vec<Line>, Vec<Refusal>, usize) {
    let mut lines: Vec<Line> = Vec::new();
    let mut refused = Vec::new();
    let mut by_id: HashMap<Uuid, usize> = HashMap::new();
    let mut last_on_stream: HashMap<String, usize> = HashMap::new();
    let mut tokens: HashMap<(String, String, Vec<String>), Arc<str>> = HashMap::new();
    let mut total = 0;
    for (offset, text) in text.lines().enumerate() {
        if text.trim().is_empty() {
            continue;
        }
        total += 1;
        let number = offset + 1;
        let format = |field: &str, reason: String| Refusal {
            line: number,
            problems: vec![(field.to_owned(), reason)],
            rule: "the line's format",
        };
        let parsed = (|| {
            let value: Value = serde_json::from_str(text)
                .map_err(|error| format("", format!("is not JSON: {error}")))?;
            let id = value
                .get("id")
                .and_then(Value::as_str)
                .and_then(|id| Uuid::parse_str(id).ok())
                .ok_or_else(|| format("id", "must be the step's UUID (its command id)".into()))?;
            if by_id.contains_key(&id) {
                return Err(format("id", format!("{id} is an earlier line's too")));
            }
            let method = value
                .get("method")
                .and_then(Value::as_str)
                .and_then(|name| method(pool, name))
                .ok_or_else(|| {
                    format(
                        "method",
                        "must name a step of the API, e.g. IntakeService/SubmitReport".into(),
                    )
                })?;
            let token = actor_token(&value, key, &mut tokens)
                .map_err(|(field, reason)| format(field, reason))?;
            let mut request = value
                .get("request")
                .filter(|request| request.is_object())
                .cloned()
                .ok_or_else(|| {
                    format(
                        "request",
                        "must be the step's request, a JSON object".into(),
                    )
                })?;
            match request
                .get("command_id")
                .or_else(|| request.get("commandId"))
            {
                Some(Value::String(given)) if Uuid::parse_str(given).ok() != Some(id) => {
                    return Err(format(
                        "request.command_id",
                        "differs from the line's id; leave it out".into(),
                    ));
                }
                _ => {}
            }
            if let Some(object) = request.as_object_mut() {
                object.remove("commandId");
                object.insert("command_id".into(), Value::from(id.to_string()));
            }
            let mut references = Vec::new();
            let mut streams = Vec::new();
            if method.name() == "SubmitReport" {
                streams.push(format!("report:{id}"));
            }
            collect(&request, &mut |field, text| {
                if let Some(reference) = text.strip_prefix("line:") {
                    let (line_id, child) = match reference.split_once('/') {
                        Some((line_id, child)) => (line_id, Some(child)),
                        None => (reference, None),
                    };
                    let waited = Uuid::parse_str(line_id)
                        .ok()
                        .and_then(|line_id| by_id.get(&line_id).copied())
                        .ok_or_else(|| {
                            format(
                                &format!("request.{field}"),
                                format!("{text} names no earlier line"),
                            )
                        })?;
                    references.push((waited, text.to_owned()));
                    streams.push(match child {
                        None => format!("report:{line_id}"),
                        Some(child) => format!("case:{line_id}/{child}"),
                    });
                } else if field.ends_with("report_id") || field.ends_with("case_id") {
                    streams.push(format!("id:{}", text.trim()));
                }
                Ok(())
            })?;
            Ok((id, method, token, request, references, streams))
        })();
        let (id, method, token, request, references, streams) = match parsed {
            Ok(parsed) => parsed,
            Err(refusal) => {
                refused.push(refusal);
                continue;
            }
        };
        let index = lines.len();
        let mut waits: Vec<usize> = references.iter().map(|(waited, _)| *waited).collect();
        for stream in streams {
            if let Some(before) = last_on_stream.insert(stream, index) {
                waits.push(before);
            }
        }
        waits.sort_unstable();
        waits.dedup();
        by_id.insert(id, index);
        lines.push(Line {
            number,
            method,
            token,
            request,
            references,
            waits,
        });
    }
    (lines, refused, total)
}

/// The API's step named `name` (`IntakeService/SubmitReport`, with or without the package and
/// a leading `/`): a method whose request carries a command id.
fn method(pool: &DescriptorPool, name: &str) -> Option<MethodDescriptor> {
    let (service, method) = name.trim_start_matches('/').rsplit_once('/')?;
    pool.services()
        .filter(|candidate| candidate.full_name() == service || candidate.name() == service)
        .flat_map(|candidate| candidate.methods().collect::<Vec<_>>())
        .find(|candidate| candidate.name() == method)
        .filter(|candidate| candidate.input().get_field_by_name("command_id").is_some())
}

/// A token for the line's actor, signed with the installation's key: the step is sent as the
/// person or system the history names, and the policy judges that role.
fn actor_token(
    line: &Value,
    key: &SigningKey,
    tokens: &mut HashMap<(String, String, Vec<String>), Arc<str>>,
) -> Result<Arc<str>, (&'static str, String)> {
    let actor = line.get("actor").filter(|actor| actor.is_object()).ok_or((
        "actor",
        "must name who took the step: subject, role, municipalities".to_owned(),
    ))?;
    let subject = actor
        .get("subject")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|subject| !subject.is_empty())
        .ok_or(("actor.subject", "must name who took the step".to_owned()))?;
    let role_name = actor
        .get("role")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let role = Role::parse(role_name).ok_or((
        "actor.role",
        format!("{role_name:?} is not a role; use one of {}", Role::names()),
    ))?;
    let municipalities: Vec<String> = actor
        .get("municipalities")
        .and_then(Value::as_array)
        .map(|numbers| {
            numbers
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let wanted = (subject.to_owned(), role.name().to_owned(), municipalities);
    if let Some(token) = tokens.get(&wanted) {
        return Ok(token.clone());
    }
    let token: Arc<str> = key
        .issue(&Claims::new(
            &wanted.0,
            &wanted.1,
            wanted.2.clone(),
            chrono::Utc::now().timestamp(),
            Lifetimes::default().max_hours(role) * 3600,
        ))
        .into();
    tokens.insert(wanted, token.clone());
    Ok(token)
}

/// Visits every string in `value` with its field path (`children[0].case_id`).
fn collect(
    value: &Value,
    visit: &mut impl FnMut(&str, &str) -> Result<(), Refusal>,
) -> Result<(), Refusal> {
    fn walk(
        path: &str,
        value: &Value,
        visit: &mut impl FnMut(&str, &str) -> Result<(), Refusal>,
    ) -> Result<(), Refusal> {
        match value {
            Value::String(text) => visit(path, text),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .try_for_each(|(index, item)| walk(&format!("{path}[{index}]"), item, visit)),
            Value::Object(fields) => fields.iter().try_for_each(|(name, item)| {
                let path = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                walk(&path, item, visit)
            }),
            _ => Ok(()),
        }
    }
    walk("", value, visit)
}

/// Replaces every reference in `value` by the id the referenced line made.
fn resolve(value: &mut Value, made: &HashMap<String, Done>) -> Result<(), String> {
    match value {
        Value::String(text) => {
            if let Some(reference) = text.strip_prefix("line:") {
                let (line_id, child) = match reference.split_once('/') {
                    Some((line_id, child)) => (line_id, Some(child)),
                    None => (reference, None),
                };
                let done = made
                    .get(line_id)
                    .ok_or_else(|| format!("{text} names no earlier line"))?;
                let id = match child {
                    None => done.report_id.clone(),
                    Some(child) => child
                        .parse()
                        .ok()
                        .and_then(|child: u64| done.cases.get(&child).cloned()),
                };
                *text =
                    id.ok_or_else(|| format!("{text}: that line made no such report or case"))?;
            }
            Ok(())
        }
        Value::Array(items) => items.iter_mut().try_for_each(|item| resolve(item, made)),
        Value::Object(fields) => fields.values_mut().try_for_each(|item| resolve(item, made)),
        _ => Ok(()),
    }
}

/// Sends one line once what it references is done: what it made, and whether it was a replay.
async fn run_line(
    line: &Line,
    references: Vec<(watch::Receiver<Option<Done>>, String)>,
    channel: &tonic::transport::Channel,
    permits: &Semaphore,
    late_reason: &str,
) -> Result<(Done, bool), Refusal> {
    let refusal = |field: String, reason: String, rule| Refusal {
        line: line.number,
        problems: vec![(field, reason)],
        rule,
    };
    let mut made = HashMap::new();
    for (mut waited, text) in references {
        let done = waited
            .wait_for(Option::is_some)
            .await
            .ok()
            .and_then(|done| done.clone())
            .unwrap_or(Done {
                refused: true,
                ..Done::default()
            });
        if done.refused {
            return Err(refusal(
                String::new(),
                format!("it names {text}, which was not imported"),
                "an earlier line it depends on",
            ));
        }
        let line_id = text
            .trim_start_matches("line:")
            .split('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        made.insert(line_id, done);
    }
    let mut request = line.request.clone();
    resolve(&mut request, &made)
        .map_err(|reason| refusal("request".into(), reason, "the line's format"))?;
    date_late(&mut request, &line.method, late_reason);
    let message = DynamicMessage::deserialize(line.method.input(), request)
        .map_err(|error| refusal("request".into(), error.to_string(), "the line's format"))?;
    let path = format!(
        "/{}/{}",
        line.method.parent_service().full_name(),
        line.method.name()
    );
    let _permit = permits
        .acquire()
        .await
        .map_err(|_| refusal(String::new(), "the import stopped".into(), "the import"))?;
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready()
        .await
        .map_err(|error| refusal(String::new(), error.to_string(), "the server"))?;
    let mut call = tonic::Request::new(message.encode_to_vec());
    let bearer = format!("Bearer {}", line.token).parse().map_err(|_| {
        refusal(
            "actor".into(),
            "makes no header".into(),
            "the line's format",
        )
    })?;
    call.metadata_mut().insert("authorization", bearer);
    let path = path
        .parse()
        .map_err(|_| refusal("method".into(), "is not a path".into(), "the line's format"))?;
    let answer = grpc
        .unary(call, path, api::codec::RawCodec)
        .await
        .map_err(|status| status_refusal(line.number, &status))?;
    let answer = DynamicMessage::decode(line.method.output(), answer.into_inner().as_slice())
        .map_err(|error| refusal(String::new(), error.to_string(), "the server"))?;
    Ok(what_was_made(&answer))
}

/// Gives a step dated back the import's reason when its line gives none: the history is
/// entered long after, and says why once for all its lines.
fn date_late(request: &mut Value, method: &MethodDescriptor, late_reason: &str) {
    let Some(object) = request.as_object_mut() else {
        return;
    };
    if method.input().get_field_by_name("late_reason").is_none() {
        return;
    }
    let dated = [
        "decided_at",
        "decidedAt",
        "received_at",
        "receivedAt",
        "sent_at",
        "sentAt",
    ]
    .iter()
    .any(|field| object.get(*field).is_some_and(|at| !at.is_null()));
    let given = ["late_reason", "lateReason"].iter().any(|field| {
        object
            .get(*field)
            .and_then(Value::as_str)
            .is_some_and(|reason| !reason.trim().is_empty())
    });
    if dated && !given {
        object.remove("lateReason");
        object.insert("late_reason".into(), Value::from(late_reason));
    }
}

/// The refusal a server's answer is: every field a bad request names, or the rule's words.
fn status_refusal(number: usize, status: &tonic::Status) -> Refusal {
    let problems = match status.get_details_bad_request() {
        Some(bad) if !bad.field_violations.is_empty() => bad
            .field_violations
            .iter()
            .map(|violation| {
                (
                    format!("request.{}", violation.field),
                    violation.description.clone(),
                )
            })
            .collect(),
        _ => vec![(String::new(), status.message().to_owned())],
    };
    let rule = match status.code() {
        tonic::Code::InvalidArgument => "a field's value",
        tonic::Code::FailedPrecondition => "the lifecycle",
        tonic::Code::PermissionDenied | tonic::Code::Unauthenticated => "the role's policy",
        _ => "the server",
    };
    Refusal {
        line: number,
        problems,
        rule,
    }
}

/// What an answer made (the report a submission received, the cases a screening opened) and
/// whether it was a replay of an earlier run's.
fn what_was_made(answer: &DynamicMessage) -> (Done, bool) {
    let text = |message: &DynamicMessage, field: &str| {
        message
            .get_field_by_name(field)
            .and_then(|value| value.as_str().map(str::to_owned))
            .filter(|text| !text.is_empty())
    };
    let result = answer
        .get_field_by_name("result")
        .and_then(|result| result.as_message().cloned())
        .unwrap_or_else(|| answer.clone());
    let replayed = result
        .get_field_by_name("replayed")
        .and_then(|value| value.as_bool())
        .unwrap_or(false);
    let mut done = Done {
        report_id: text(answer, "report_id"),
        ..Done::default()
    };
    if let Some(cases) = answer
        .get_field_by_name("cases")
        .and_then(|cases| cases.as_list().map(<[_]>::to_vec))
    {
        for case in cases {
            if let Some(case) = case.as_message() {
                let child = case
                    .get_field_by_name("child_index")
                    .and_then(|value| value.as_u32())
                    .unwrap_or_default();
                if let Some(case_id) = text(case, "case_id") {
                    done.cases.insert(u64::from(child), case_id);
                }
            }
        }
    }
    (done, replayed)
}
