//! Request fields every service parses the same way. Each failure names the field, using the
//! request's own field names, so a caller can find it.

use api::common::v1 as pb;
use chrono::{DateTime, NaiveDate, Utc};
use domain::municipality::{MunicipalityNumber, MunicipalityRegistry};
use domain::registry::CaseContentCode;
use domain::values::{self, BoundedText, Urgency};
use eventstore::AppendResult;
use uuid::Uuid;

use crate::Error;

/// Gathers every bad field of a request, so one answer names them all: each parse goes
/// through [`Fields::take`], which keeps its violations and goes on, and [`Fields::done`]
/// gives the value built from what parsed, or every violation at once.
///
/// ```text
/// let mut fields = Fields::default();
/// let reasons = fields.take(convert::long_text("reasons", &request.reasons));
/// let plan = fields.take(plan("plan", request.plan.as_ref()));
/// fields.done(|| Some(Command { reasons: reasons?, plan: plan? }))
/// ```
#[derive(Debug, Default)]
pub struct Fields {
    violations: Vec<(String, String)>,
    /// A failure that is not bad input (none of the parsers make one today): answered as it
    /// is, rather than folded into the violations.
    other: Option<Error>,
}

impl Fields {
    /// The parsed value, or `None` with its violations kept.
    pub fn take<T>(&mut self, parsed: Result<T, Error>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(Error::InvalidArgument(violations)) => {
                self.violations.extend(violations);
                None
            }
            Err(other) => {
                self.other.get_or_insert(other);
                None
            }
        }
    }

    /// Notes a violation found by a check of the caller's own.
    pub fn fail(&mut self, field: impl Into<String>, reason: impl Into<String>) {
        self.violations.push((field.into(), reason.into()));
    }

    /// Whether nothing was wrong so far.
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty() && self.other.is_none()
    }

    /// Every violation noted, as one error; `Ok` when there was none.
    pub fn check(self) -> Result<(), Error> {
        match (self.other, self.violations.is_empty()) {
            (Some(other), _) => Err(other),
            (None, false) => Err(Error::InvalidArgument(self.violations)),
            (None, true) => Ok(()),
        }
    }

    /// The value `build` makes from the parsed parts (`None` when a part is missing), or
    /// every violation noted.
    pub fn done<T>(self, build: impl FnOnce() -> Option<T>) -> Result<T, Error> {
        self.check()?;
        build().ok_or_else(|| {
            Error::Internal("a request part went missing without a violation".into())
        })
    }
}

/// Every item of a list parsed by `parse`, each named `field[i]`: a bad item does not hide
/// the bad items after it, so one answer names them all.
pub fn every<I, T>(
    field: &str,
    items: &[I],
    mut parse: impl FnMut(&str, &I) -> Result<T, Error>,
) -> Result<Vec<T>, Error> {
    let mut fields = Fields::default();
    let parsed = items
        .iter()
        .enumerate()
        .map(|(index, item)| fields.take(parse(&format!("{field}[{index}]"), item)))
        .collect::<Vec<_>>();
    fields.done(|| parsed.into_iter().collect())
}

/// The caller's command id: a UUID, not the nil one.
pub fn command_id(value: &str) -> Result<Uuid, Error> {
    match Uuid::parse_str(value.trim()) {
        Ok(id) if !id.is_nil() => Ok(id),
        Ok(_) => Err(Error::invalid("command_id", "must not be the nil UUID")),
        Err(_) if value.trim().is_empty() => Err(Error::invalid("command_id", "is required")),
        Err(_) => Err(Error::invalid("command_id", "must be a UUID")),
    }
}

/// An id of a report or case: a UUID.
pub fn id(field: &str, value: &str) -> Result<Uuid, Error> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    Uuid::parse_str(value).map_err(|_| Error::invalid(field, "must be a UUID"))
}

/// A required message field.
pub fn required<'a, T>(field: &str, value: Option<&'a T>) -> Result<&'a T, Error> {
    value.ok_or_else(|| Error::invalid(field, "is required"))
}

pub fn date(field: &str, value: &str) -> Result<NaiveDate, Error> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    Ok(values::parse_date(field, value)?)
}

/// A date that may be left empty.
pub fn optional_date(field: &str, value: &str) -> Result<Option<NaiveDate>, Error> {
    if value.trim().is_empty() {
        Ok(None)
    } else {
        date(field, value).map(Some)
    }
}

/// A name, a role, a short reason: up to the domain's short limit.
pub fn short_text(field: &str, value: &str) -> Result<BoundedText, Error> {
    Ok(BoundedText::short(field, value)?)
}

/// Reasons, summaries, plans: up to the domain's long limit.
/// A read's stated purpose for the read audit: optional, at most 200 characters.
pub fn purpose(field: &str, value: &str) -> Result<Option<String>, Error> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    Ok(Some(short_text(field, value)?.as_str().to_owned()))
}

pub fn long_text(field: &str, value: &str) -> Result<BoundedText, Error> {
    Ok(BoundedText::long(field, value)?)
}

pub fn timestamp(field: &str, value: &prost_types::Timestamp) -> Result<DateTime<Utc>, Error> {
    let nanos =
        u32::try_from(value.nanos).map_err(|_| Error::invalid(field, "has negative nanos"))?;
    DateTime::from_timestamp(value.seconds, nanos)
        .ok_or_else(|| Error::invalid(field, "is out of range"))
}

/// When a step was taken as a request gives it (`field`, and `late_reason`), checked for
/// form only: the domain judges it against the stream ([`domain::step::StepTime::decide`]).
pub fn dating(
    field: &'static str,
    at: Option<&prost_types::Timestamp>,
    late_reason: &str,
) -> Result<domain::step::Dating, Error> {
    let at = at.map(|at| timestamp(field, at)).transpose();
    let late_reason = if late_reason.trim().is_empty() {
        Ok(None)
    } else {
        short_text("late_reason", late_reason).map(Some)
    };
    let mut fields = Fields::default();
    let (at, late_reason) = (fields.take(at), fields.take(late_reason));
    fields.done(|| {
        Some(domain::step::Dating {
            field,
            at: at?,
            late_reason: late_reason?,
        })
    })
}

/// The day (Europe/Oslo) a step is taken: its `decided_at` as sent, else `now`'s. Codes and
/// values "valid on the day" are judged on it; a time that is not well formed is named by
/// [`dating`] and counts as now here.
pub fn step_day(decided_at: Option<&prost_types::Timestamp>, now: DateTime<Utc>) -> NaiveDate {
    let at = decided_at
        .and_then(|at| timestamp("decided_at", at).ok())
        .unwrap_or(now);
    domain::calendar::oslo_date(at)
}

/// A request whose step may be dated back: every command that records a decision or an act.
pub trait Dated {
    /// The step's time and late reason as sent.
    fn dating(&self) -> Result<domain::step::Dating, Error>;
}

/// Implements [`Dated`] for requests whose time field is `$field` beside `late_reason`.
macro_rules! dated {
    ($field:ident: $($request:ty),+ $(,)?) => {
        $(impl Dated for $request {
            fn dating(&self) -> Result<domain::step::Dating, Error> {
                dating(stringify!($field), self.$field.as_ref(), &self.late_reason)
            }
        })+
    };
}

dated!(decided_at:
    api::investigation::v1::StartInvestigationRequest,
    api::investigation::v1::RecordActivityRequest,
    api::investigation::v1::ExtendDeadlineRequest,
    api::investigation::v1::RecordConsultationRequest,
    api::investigation::v1::RecordForensicInterviewRequest,
    api::investigation::v1::ReportToPoliceRequest,
    api::investigation::v1::ConcludeInvestigationRequest,
    api::investigation::v1::ChangeCaseUrgencyRequest,
    api::investigation::v1::AssignCaseRequest,
    api::measures::v1::StartMeasureRequest,
    api::measures::v1::EvaluateMeasureRequest,
    api::measures::v1::ExtendMeasureRequest,
    api::measures::v1::ChangeMeasureRequest,
    api::measures::v1::EndMeasureRequest,
    api::measures::v1::MakeEmergencyDecisionRequest,
    api::measures::v1::RecordEmergencyRulingRequest,
    api::measures::v1::SendEmergencyPetitionRequest,
    api::measures::v1::ProposeToBoardRequest,
    api::measures::v1::RecordBoardDecisionRequest,
    api::measures::v1::MakeCarePlanRequest,
    api::measures::v1::MakePlanRequest,
    api::measures::v1::RecordCareOrderCarriedOutRequest,
    api::measures::v1::ExtendCareOrderImplementationRequest,
    api::measures::v1::RecordFollowUpVisitRequest,
    api::measures::v1::RecordSupervisionVisitRequest,
    api::measures::v1::DecideVisitRateRequest,
    api::measures::v1::CloseCaseRequest,
    api::intake::v1::ScreenReportRequest,
    api::intake::v1::ChangeReportUrgencyRequest,
    api::intake::v1::AssignReportRequest,
);
dated!(received_at: api::intake::v1::SubmitReportRequest);
dated!(sent_at: api::feedback::v1::MarkLettersSentRequest);

pub fn to_timestamp(value: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: value.timestamp(),
        nanos: i32::try_from(value.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

/// A proto enum value: set, and known to this build.
pub fn enum_value<E: TryFrom<i32>>(field: &str, value: i32) -> Result<E, Error> {
    if value == 0 {
        return Err(Error::invalid(field, "is required"));
    }
    E::try_from(value).map_err(|_| Error::invalid(field, format!("has unknown value {value}")))
}

pub fn urgency(field: &str, value: i32) -> Result<Urgency, Error> {
    Ok(match enum_value::<pb::Urgency>(field, value)? {
        pb::Urgency::Red => Urgency::Red,
        pb::Urgency::Yellow => Urgency::Yellow,
        pb::Urgency::Green => Urgency::Green,
        pb::Urgency::Unspecified => return Err(Error::invalid(field, "is required")),
    })
}

pub fn from_urgency(value: Urgency) -> pb::Urgency {
    match value {
        Urgency::Red => pb::Urgency::Red,
        Urgency::Yellow => pb::Urgency::Yellow,
        Urgency::Green => pb::Urgency::Green,
    }
}

/// A position a command's answer gave (`min_position`), as the store knows it.
pub fn position(position: &pb::Position) -> eventstore::Position {
    eventstore::Position {
        transaction_id: position.transaction_id,
        global_position: position.global_position,
    }
}

/// The answer to a mutating RPC addressed to `stream_id`.
pub fn write_result(stream_id: &str, result: &AppendResult) -> pb::WriteResult {
    pb::WriteResult {
        stream_id: stream_id.to_owned(),
        version: result.version_of(stream_id).unwrap_or_default(),
        streams: result
            .streams
            .iter()
            .map(|s| pb::StreamVersion {
                stream_id: s.stream_id.clone(),
                version: s.version,
            })
            .collect(),
        position: Some(pb::Position {
            transaction_id: result.last_position.transaction_id,
            global_position: result.last_position.global_position,
        }),
        replayed: result.replayed,
    }
}

/// The command id and case id every case command carries, parsed in that order.
pub fn case_ids(command_id: &str, case_id: &str) -> Result<(Uuid, domain::case::CaseId), Error> {
    let command_id = self::command_id(command_id)?;
    Ok((command_id, self::case_id(case_id)?))
}

/// The request's `case_id`.
pub fn case_id(case_id: &str) -> Result<domain::case::CaseId, Error> {
    Ok(domain::case::CaseId::new(id("case_id", case_id)?))
}

/// A team and optional caseworker from the request's `team` and `caseworker` fields.
pub fn assignee(team: &str, caseworker: &str) -> Result<values::Assignee, Error> {
    Ok(values::Assignee::parse(team, caseworker)?)
}

/// The `team` and `caseworker` fields of a response; empty when unassigned.
pub fn assignee_fields(assignee: Option<&values::Assignee>) -> (String, String) {
    assignee.map_or_else(Default::default, |assignee| {
        (
            assignee.team.as_str().to_owned(),
            assignee
                .caseworker
                .as_ref()
                .map(|caseworker| caseworker.as_str().to_owned())
                .unwrap_or_default(),
        )
    })
}

/// The `as_of` of a query: the moment given, or now.
pub fn as_of(
    field: &str,
    value: Option<&prost_types::Timestamp>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, Error> {
    value.map_or(Ok(now), |value| timestamp(field, value))
}

/// The largest page a list query returns.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// `page_size` (0 means 100, at most [`MAX_PAGE_SIZE`]) and `page_token` (the offset the
/// previous page handed out) as limit and offset.
pub fn page(page_size: u32, page_token: &str) -> Result<(i64, i64), Error> {
    let mut fields = Fields::default();
    let limit = match page_size {
        0 => Some(100),
        size if size > MAX_PAGE_SIZE => {
            fields.fail("page_size", format!("must be at most {MAX_PAGE_SIZE}"));
            None
        }
        size => Some(size),
    };
    let unknown_token = || Error::invalid("page_token", "is not a token this service handed out");
    let offset = match page_token {
        "" => Some(0),
        token => fields.take(token.parse::<u32>().map_err(|_| unknown_token())),
    };
    fields.done(|| Some((i64::from(limit?), i64::from(offset?))))
}

/// The token of the page after `offset`, or empty when `returned` shows this was the last.
pub fn next_page_token(limit: i64, offset: i64, returned: usize) -> String {
    if i64::try_from(returned).unwrap_or(i64::MAX) < limit {
        String::new()
    } else {
        (offset + limit).to_string()
    }
}

/// A required municipality number a query names, known to `registry`, as the municipality is
/// numbered now: a number the 2024 reform retired asks for its successor's data, under which
/// the views hold it (`domain::municipality::current`).
pub fn municipality(
    field: &str,
    value: &str,
    registry: &MunicipalityRegistry,
) -> Result<MunicipalityNumber, Error> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    let number = MunicipalityNumber::parse(field, value.trim(), registry)?;
    Ok(registry.current(number))
}

/// A required municipality number a fact names, valid on `day`, the day of the fact (a report
/// received in 2022 names the number of 2022).
pub fn municipality_on(
    field: &str,
    value: &str,
    registry: &MunicipalityRegistry,
    day: NaiveDate,
) -> Result<MunicipalityNumber, Error> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    Ok(MunicipalityNumber::parse_on(
        field,
        value.trim(),
        registry,
        day,
    )?)
}

/// Case-content codes (`grounds`, `case_content`) valid on `on`, each once, every bad code
/// named.
pub fn case_content_codes(
    field: &str,
    values: &[String],
    on: NaiveDate,
) -> Result<Vec<CaseContentCode>, Error> {
    let mut codes: Vec<CaseContentCode> = Vec::with_capacity(values.len());
    every(field, values, |field, value| {
        let code = CaseContentCode::parse(field, value, on)?;
        if codes.contains(&code) {
            return Err(Error::invalid(
                field,
                format!("code {} is given twice", code.as_str()),
            ));
        }
        codes.push(code.clone());
        Ok(code)
    })
}

/// A query's municipality filter: each entry known to `registry`, named `field[i]` when not.
pub fn municipalities(
    field: &str,
    values: &[String],
    registry: &MunicipalityRegistry,
) -> Result<Vec<MunicipalityNumber>, Error> {
    every(field, values, |field, value| {
        municipality(field, value, registry)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_name_every_violation_at_once() {
        let mut fields = Fields::default();
        let id = fields.take(command_id("not-a-uuid"));
        let text = fields.take(long_text("summary", "  "));
        let good = fields.take(short_text("name", "Kari"));
        fields.fail("children", "must name at least one child");
        let error = fields
            .done(|| Some((id?, text?, good?)))
            .expect_err("three violations");
        match error {
            Error::InvalidArgument(violations) => assert_eq!(
                violations
                    .iter()
                    .map(|(field, _)| field.as_str())
                    .collect::<Vec<_>>(),
                ["command_id", "summary", "children"]
            ),
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
        let mut fields = Fields::default();
        let name = fields.take(short_text("name", "Kari"));
        assert_eq!(
            fields
                .done(|| name.map(|name| name.as_str().to_owned()))
                .ok(),
            Some("Kari".to_owned())
        );
    }

    fn fields_of(error: Error) -> Vec<String> {
        match error {
            Error::InvalidArgument(violations) => {
                violations.into_iter().map(|(field, _)| field).collect()
            }
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }

    #[test]
    fn lists_and_pages_name_every_bad_part() {
        let registry = MunicipalityRegistry::norway_2024();
        let asked = ["9999", "5035", "12", " "].map(String::from);
        assert_eq!(
            fields_of(municipalities("municipalities", &asked, &registry).expect_err("bad")),
            [
                "municipalities[0]",
                "municipalities[2]",
                "municipalities[3]"
            ]
        );
        assert_eq!(
            municipalities("municipalities", &asked[1..2], &registry)
                .ok()
                .map(|numbers| numbers
                    .iter()
                    .map(|n| n.as_str().to_owned())
                    .collect::<Vec<_>>()),
            Some(vec!["5035".to_owned()])
        );
        assert_eq!(
            fields_of(page(MAX_PAGE_SIZE + 1, "x").expect_err("bad")),
            ["page_size", "page_token"]
        );
        assert_eq!(page(0, "").ok(), Some((100, 0)));
        let on = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap_or(NaiveDate::MIN);
        let codes = ["nope", "1", "1", "also-nope"].map(String::from);
        let error = case_content_codes("grounds", &codes, on).expect_err("bad");
        assert_eq!(fields_of(error), ["grounds[0]", "grounds[2]", "grounds[3]"]);
    }
}
