//! Reports from the national portal: the adapter a Fiks IO client calls.
//!
//! The client receives a message (type, id, decrypted JSON body), calls this, and sends back
//! the reply it gets; it acknowledges the message to Fiks IO only after sending a reply. So a
//! receipt (`mottatt.v1`) exists only for a report whose events are committed, a rejected
//! document gets `feilet.v1` with every broken rule by JSON path and stores nothing, and when
//! the store fails the call fails with no reply at all: the message stays unacknowledged and
//! Fiks IO delivers it again. The message id is the command id, so a second delivery answers
//! as the first did and stores nothing more.

use domain::Aggregate as _;
use domain::report::{ReportCommand, ReportId, ReportStream};
use domain::values::Urgency;
use handling::principal::Principal;
use handling::{CommandKey, Error, Handler};
use uuid::Uuid;

/// One message as the transport delivered it.
pub struct Delivery<'a> {
    pub message_type: &'a str,
    /// The transport's id; `None` derives one from the body (a file imported by hand).
    pub message_id: Option<Uuid>,
    pub body: &'a [u8],
    pub urgency: Urgency,
}

/// What to answer.
#[derive(Debug)]
pub struct Imported {
    pub reply: fiks::Reply,
    /// The report, when received (now or at an earlier delivery).
    pub report_id: Option<ReportId>,
    pub result: Option<api::common::v1::WriteResult>,
    pub violations: Vec<fiks::Violation>,
    /// The message had been received before; nothing new was stored.
    pub duplicate: bool,
}

/// The report a message becomes: fixed by the message id, so every delivery names the same one.
pub fn report_id_for(message_id: Uuid) -> ReportId {
    ReportId::new(domain::values::derived_id(&[
        b"vern/digital-report/",
        message_id.as_bytes(),
    ]))
}

/// Validates, stores and answers one delivered message.
pub async fn import(
    handler: &Handler,
    principal: &Principal,
    delivery: Delivery<'_>,
) -> Result<Imported, Error> {
    let message_id = delivery
        .message_id
        .unwrap_or_else(|| fiks::content_message_id(delivery.body));
    // The message id is bound to the document: the same id with another body is not a
    // redelivery (its command fingerprint differs), and is refused by `message_id`.
    let key = CommandKey::new(
        message_id,
        &[
            b"ImportDigitalReport",
            delivery.message_type.as_bytes(),
            delivery.body,
        ],
    );
    let report_id = report_id_for(message_id);
    let stream = report_id.stream_name();
    let now = handler.now();
    let report = match fiks::parse(
        delivery.message_type,
        message_id,
        delivery.body,
        handler.municipalities(),
        now,
    ) {
        Ok(report) => report,
        Err(error) => {
            // A document rejected now may have been received before under this id (a later
            // delivery of it cannot be worse than the first): answer as the first time, if
            // that was this report and the caller reaches it.
            let target = (ReportStream::NOUN, stream.as_str());
            match handler.first_answer(&key, principal, target).await {
                Ok(Some(first)) => return Ok(received(report_id, &stream, &first)),
                // Not this document's: it is answered as a new one.
                Ok(None) | Err(Error::InvalidArgument(_)) => {}
                Err(other) => return Err(other),
            }
            tracing::info!(
                %message_id,
                violations = error.violations().len(),
                "digital report rejected"
            );
            return Ok(rejected(&error));
        }
    };
    let public = delivery.message_type == fiks::PUBLIC_V2;
    let command = report.into_command(report_id, delivery.urgency);
    let outcome = handler
        .execute::<ReportStream, _>(&key, principal, &stream, |state, context| {
            let receive = ReportCommand::ReceiveReport(command.clone());
            let events = domain::report::decide(state, receive, context)?;
            Ok((events, Some(command.municipality)))
        })
        .await;
    let result = match outcome {
        Ok(result) => result,
        // The document kept the protocol's rules but not the domain's (say, a child born
        // after the sending time): still the sender's to fix, named by JSON path.
        Err(Error::InvalidArgument(violations)) => {
            let violations: Vec<_> = violations
                .into_iter()
                .map(|(field, reason)| fiks::Violation {
                    path: json_path(&field, public),
                    reason,
                })
                .collect();
            let error = fiks::Error::Invalid(violations);
            return Ok(rejected(&error));
        }
        Err(other) => return Err(other),
    };
    tracing::info!(
        %message_id,
        report_id = %report_id.as_uuid(),
        replayed = result.replayed,
        "digital report received"
    );
    Ok(received(report_id, &stream, &result))
}

fn rejected(error: &fiks::Error) -> Imported {
    Imported {
        reply: fiks::Reply::Failed(error.to_string()),
        report_id: None,
        result: None,
        violations: error.violations().to_vec(),
        duplicate: false,
    }
}

fn received(report_id: ReportId, stream: &str, result: &eventstore::AppendResult) -> Imported {
    Imported {
        reply: fiks::Reply::Received,
        report_id: Some(report_id),
        result: Some(handling::convert::write_result(stream, result)),
        violations: Vec::new(),
        duplicate: result.replayed,
    }
}

/// The document's path for a field the domain named.
fn json_path(field: &str, public: bool) -> String {
    let children = if public {
        "offentligBarn"
    } else {
        "privatBarn"
    };
    if field == "received_at" {
        return "sendingstidspunkt".to_owned();
    }
    if field == "command_id" {
        return "message_id".to_owned();
    }
    if field == "children" {
        return children.to_owned();
    }
    if let Some(rest) = field.strip_prefix("children[") {
        let index = rest.split(']').next().unwrap_or_default();
        let leaf = if public { "fnr" } else { "personnavn" };
        return format!("{children}[{index}].{leaf}");
    }
    field.to_owned()
}
