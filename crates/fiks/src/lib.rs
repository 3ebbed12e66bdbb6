//! The national digital report of concern: documents of the KS Fiks IO protocol
//! `no.ks.fiks.bekymringsmelding` (JSON schemas in `spec/`), read into the domain's report,
//! and the receipts sent back.
//!
//! Why an adapter of its own, without IO: the transport (Fiks IO: AMQP with encrypted ASiC-E
//! containers) is a separate client. It hands this crate a message type, a message id and a
//! body, and sends back the [`Reply`] the intake service gives once the report is committed.
//! Validation follows the published schemas (required fields, types, patterns, array sizes)
//! plus what the domain needs (valid identity numbers, a municipality that exists), and names
//! every failure by its JSON path, so a rejected message can be answered with `feilet.v1`
//! saying exactly what was wrong. What a document carries that the domain has no field for is
//! kept with the report (`ReportDetails::unmapped`), never dropped.

pub mod samples;
mod text;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use domain::DomainError;
use domain::calendar::OSLO;
use domain::details::{
    Address, ChildDetails, Contact, DigitalSource, District, Guardian, ReportDetails,
};
use domain::municipality::{MunicipalityNumber, MunicipalityRegistry};
use domain::report::{ReceiveReport, ReportId};
use domain::values::{
    BoundedText, ChildIdentity, NationalIdentityNumber, PrivateReporterRelation, Reporter, Urgency,
};
use serde_json::{Map, Value};
use uuid::Uuid;

/// A public reporter's report (offentlig melder).
pub const PUBLIC_V2: &str = "no.ks.fiks.bekymringsmelding.offentlig.v2";
/// A private reporter's report (privat melder).
pub const PRIVATE_V2: &str = "no.ks.fiks.bekymringsmelding.privat.v2";
/// The receipt: the report is stored.
pub const RECEIVED_V1: &str = "no.ks.fiks.bekymringsmelding.mottatt.v1";
/// The rejection, with a reason.
pub const FAILED_V1: &str = "no.ks.fiks.bekymringsmelding.feilet.v1";

/// How far ahead of our clock a sending time may be (clock skew) before it is refused.
const SKEW: Duration = Duration::minutes(5);

/// How deep a document may nest. The protocol's schemas nest four levels; what lies deeper can
/// only be unmapped content, which is stored with the report. The report's event wraps that
/// content in a few levels of its own, and a stored event must always read back: JSON readers
/// stop at a depth (serde_json at 128), and a document near that limit was once accepted,
/// stored, and then stopped every view. 16 keeps every stored event far inside the limit.
pub const MAX_DEPTH: usize = 16;

/// The most content Vern does not map that is kept with a report, as JSON bytes. The portal's
/// documents carry none; a sender that adds fields gets them kept, within reason.
pub const MAX_UNMAPPED_BYTES: usize = 64 * 1024;

/// The most violations one refusal names from the document-wide checks (depth, NUL): a
/// document with a NUL in every string must not make an answer of a million lines.
const MAX_SCREENED_VIOLATIONS: usize = 20;

/// The crate's one error type: the document breaks the protocol's rules.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}", describe(.0))]
    Invalid(Vec<Violation>),
}

impl Error {
    pub fn violations(&self) -> &[Violation] {
        match self {
            Self::Invalid(violations) => violations,
        }
    }
}

/// One broken rule, at a JSON path such as `offentligBarn[1].fnr`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub path: String,
    pub reason: String,
}

fn describe(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|violation| format!("{} {}", violation.path, violation.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A report read from a document: what `ReceiveReport` needs, and everything else.
#[derive(Clone, Debug, PartialEq)]
pub struct DigitalReport {
    pub municipality: MunicipalityNumber,
    pub received_at: DateTime<Utc>,
    pub reporter: Reporter,
    pub children: Vec<ChildIdentity>,
    pub summary: BoundedText,
    pub details: ReportDetails,
}

impl DigitalReport {
    /// The command that receives it. The portal does not triage or categorise; the report is
    /// triaged with `urgency` and categorised at screening.
    pub fn into_command(self, report_id: ReportId, urgency: Urgency) -> ReceiveReport {
        ReceiveReport {
            report_id,
            received_at: self.received_at,
            municipality: self.municipality,
            reporter: self.reporter,
            children: self.children,
            concerns: Vec::new(),
            summary: self.summary,
            urgency,
            details: Some(Box::new(self.details)),
        }
    }
}

/// The answer to a delivered message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// `mottatt.v1`: only ever after the report's events are committed.
    Received,
    /// `feilet.v1` with the reason (`feilmelding.json`).
    Failed(String),
}

impl Reply {
    pub fn message_type(&self) -> &'static str {
        match self {
            Self::Received => RECEIVED_V1,
            Self::Failed(_) => FAILED_V1,
        }
    }

    /// The message body: none for the receipt, `{"melding": reason}` for a rejection.
    pub fn body(&self) -> Option<String> {
        match self {
            Self::Received => None,
            Self::Failed(reason) => Some(serde_json::json!({ "melding": reason }).to_string()),
        }
    }
}

/// An id for a delivery that came without a transport id (a file imported by hand): the
/// same document always gets the same id, so importing it twice is one report.
pub fn content_message_id(body: &[u8]) -> Uuid {
    domain::values::derived_id(&[body])
}

/// The message type a document declares by its shape: a public report names its reporter
/// `offentligMelder`, a private one `privatMelder`.
pub fn message_type_of(body: &[u8]) -> Option<&'static str> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let object = value.as_object()?;
    if object.contains_key("offentligMelder") {
        Some(PUBLIC_V2)
    } else if object.contains_key("privatMelder") {
        Some(PRIVATE_V2)
    } else {
        None
    }
}

/// Reads and validates a delivered document. `now` bounds the sending time; `registry`
/// resolves the municipality.
pub fn parse(
    message_type: &str,
    message_id: Uuid,
    body: &[u8],
    registry: &MunicipalityRegistry,
    now: DateTime<Utc>,
) -> Result<DigitalReport, Error> {
    let public = match message_type {
        PUBLIC_V2 => true,
        PRIVATE_V2 => false,
        other => {
            return Err(Error::Invalid(vec![Violation {
                path: "meldingstype".into(),
                reason: format!("{other:?} is not {PUBLIC_V2} or {PRIVATE_V2}"),
            }]));
        }
    };
    let document: Value = serde_json::from_slice(body).map_err(|error| {
        Error::Invalid(vec![Violation {
            path: "$".into(),
            reason: format!("is not JSON: {error}"),
        }])
    })?;
    let screened = screen(&document);
    if !screened.is_empty() {
        return Err(Error::Invalid(screened));
    }
    let mut reader = Reader::default();
    let known: &[&str] = if public {
        &[
            "kommunenummer",
            "kommunenavn",
            "bydelsnummer",
            "bydelsnavn",
            "offentligMelder",
            "offentligBarn",
            "foresatte",
            "behovForTolk",
            "andreHjelpeinstanser",
            "melding",
            "sendingstidspunkt",
            "leveringskanal",
        ]
    } else {
        &[
            "kommunenummer",
            "kommunenavn",
            "bydelsnummer",
            "bydelsnavn",
            "privatMelder",
            "privatBarn",
            "melding",
            "sendingstidspunkt",
            "leveringskanal",
        ]
    };
    let Some(root) = reader.object(Some(&document), "", true, known) else {
        return Err(reader.finish_err());
    };
    let common = reader.common(root, registry, now);
    let (reporter, contact, organisation_number, organisation_address) = if public {
        reader.public_reporter(root)
    } else {
        reader.private_reporter(root)
    };
    let children = if public {
        reader.public_children(root)
    } else {
        reader.private_children(root)
    };
    let guardians = if public {
        reader.guardians(root)
    } else {
        Vec::new()
    };
    let (summary, history, other_views) = if public {
        reader.public_concern(root)
    } else {
        let summary = reader.string(root, "", "melding", true);
        (
            reader.text(summary, "melding", BoundedText::LONG),
            None,
            None,
        )
    };
    let interpreter = reader.optional_text(root, "", "behovForTolk", BoundedText::LONG);
    let other_agencies = reader.optional_text(root, "", "andreHjelpeinstanser", BoundedText::LONG);
    reader.bound_unmapped();
    if !reader.violations.is_empty() {
        return Err(reader.finish_err());
    }
    // Every part is present when no violation was noted.
    let (Some(common), Some(reporter), Some(summary)) = (common, reporter, summary) else {
        return Err(reader.finish_err());
    };
    let (identities, child_details): (Vec<_>, Vec<_>) = children.into_iter().unzip();
    let mut private_relation = PrivateReporterRelation::OtherPrivatePerson;
    if let Reporter::PrivateNamed { relation, .. } = &reporter {
        private_relation = *relation;
    }
    let reporter = match reporter {
        Reporter::PrivateNamed {
            name,
            identity_withheld_from_parties,
            ..
        } => Reporter::PrivateNamed {
            name,
            relation: text::private_relation(&child_details).unwrap_or(private_relation),
            identity_withheld_from_parties,
        },
        other => other,
    };
    Ok(DigitalReport {
        municipality: common.municipality,
        received_at: common.received_at,
        reporter,
        children: identities,
        summary,
        details: ReportDetails {
            district: common.district,
            reporter_contact: contact,
            organisation_number,
            organisation_address,
            children: child_details,
            guardians,
            interpreter,
            other_agencies,
            history,
            other_views,
            source: Some(DigitalSource {
                message_type: message_type.to_owned(),
                message_id,
                sent_at: common.sent_at,
                channel: common.channel,
                municipality_number: common.municipality_number,
                municipality_name: common.municipality_name,
            }),
            unmapped: reader.unmapped,
        },
    })
}

/// What no part of a document may hold, wherever it is: nesting deeper than [`MAX_DEPTH`],
/// and the NUL character, which PostgreSQL's `jsonb` cannot store (a document holding one
/// could be neither stored nor refused, and the portal would deliver it again forever).
fn screen(document: &Value) -> Vec<Violation> {
    fn walk(value: &Value, path: &str, depth: usize, violations: &mut Vec<Violation>) {
        if violations.len() > MAX_SCREENED_VIOLATIONS {
            return;
        }
        let shown = if path.is_empty() { "$" } else { path };
        match value {
            Value::String(text) if text.contains('\0') => violations.push(Violation {
                path: shown.to_owned(),
                reason: "must not contain the NUL character (U+0000)".into(),
            }),
            Value::Array(_) | Value::Object(_) if depth > MAX_DEPTH => {
                violations.push(Violation {
                    path: shown.to_owned(),
                    reason: format!("nests deeper than the {MAX_DEPTH} levels a document may have"),
                });
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    walk(item, &format!("{path}[{index}]"), depth + 1, violations);
                }
            }
            Value::Object(map) => {
                for (key, item) in map {
                    let shown_key = key.replace('\0', "\\u0000");
                    let child = join(path, &shown_key);
                    if key.contains('\0') {
                        violations.push(Violation {
                            path: child.clone(),
                            reason: "a field name must not contain the NUL character (U+0000)"
                                .into(),
                        });
                    }
                    walk(item, &child, depth + 1, violations);
                }
            }
            _ => {}
        }
    }
    let mut violations = Vec::new();
    walk(document, "", 1, &mut violations);
    if violations.len() > MAX_SCREENED_VIOLATIONS {
        violations.truncate(MAX_SCREENED_VIOLATIONS);
        violations.push(Violation {
            path: "$".into(),
            reason: format!(
                "more violations like these; the first {MAX_SCREENED_VIOLATIONS} are named"
            ),
        });
    }
    violations
}

/// The fields both kinds share.
struct Common {
    municipality: MunicipalityNumber,
    municipality_number: String,
    municipality_name: String,
    district: Option<District>,
    received_at: DateTime<Utc>,
    sent_at: String,
    channel: String,
}

type ReporterParts = (
    Option<Reporter>,
    Option<Contact>,
    Option<String>,
    Option<Address>,
);

/// Walks a document, collecting every violation (not just the first) and the unmapped fields.
#[derive(Default)]
struct Reader {
    violations: Vec<Violation>,
    unmapped: Map<String, Value>,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

impl Reader {
    fn fail(&mut self, path: impl Into<String>, reason: impl Into<String>) {
        self.violations.push(Violation {
            path: path.into(),
            reason: reason.into(),
        });
    }

    /// Refuses more unmapped content than [`MAX_UNMAPPED_BYTES`], naming its largest field.
    fn bound_unmapped(&mut self) {
        let size =
            |value: &Value| serde_json::to_vec(value).map_or(usize::MAX, |bytes| bytes.len());
        let total: usize = self
            .unmapped
            .iter()
            .map(|(key, value)| key.len() + size(value))
            .sum();
        if total <= MAX_UNMAPPED_BYTES {
            return;
        }
        let largest = self
            .unmapped
            .iter()
            .max_by_key(|(_, value)| size(value))
            .map(|(key, _)| key.clone())
            .unwrap_or_else(|| "$".into());
        self.fail(
            largest,
            format!(
                "fields Vern does not map may hold at most {MAX_UNMAPPED_BYTES} bytes in all; \
                 this document's hold {total}"
            ),
        );
    }

    fn finish_err(self) -> Error {
        Error::Invalid(self.violations)
    }

    fn domain(&mut self, error: DomainError) {
        match error {
            DomainError::InvalidField { field, reason } => self.fail(field, reason),
            other => self.fail("$", other.to_string()),
        }
    }

    /// The object at `path`; keys outside `known` are kept as unmapped.
    fn object<'v>(
        &mut self,
        value: Option<&'v Value>,
        path: &str,
        required: bool,
        known: &[&str],
    ) -> Option<&'v Map<String, Value>> {
        let shown = if path.is_empty() { "$" } else { path };
        match value {
            None | Some(Value::Null) => {
                if required {
                    self.fail(shown, "is required");
                }
                None
            }
            Some(Value::Object(map)) => {
                for (key, value) in map {
                    if !known.contains(&key.as_str()) {
                        self.unmapped.insert(join(path, key), value.clone());
                    }
                }
                Some(map)
            }
            Some(_) => {
                self.fail(shown, "must be an object");
                None
            }
        }
    }

    fn string<'v>(
        &mut self,
        map: &'v Map<String, Value>,
        path: &str,
        key: &str,
        required: bool,
    ) -> Option<&'v str> {
        match map.get(key) {
            None | Some(Value::Null) => {
                if required {
                    self.fail(join(path, key), "is required");
                }
                None
            }
            Some(Value::String(value)) => Some(value),
            Some(_) => {
                self.fail(join(path, key), "must be a string");
                None
            }
        }
    }

    /// A string on one line (the schemas' `^(.*)$`).
    fn line<'v>(
        &mut self,
        map: &'v Map<String, Value>,
        path: &str,
        key: &str,
        required: bool,
    ) -> Option<&'v str> {
        let value = self.string(map, path, key, required)?;
        if value.contains(['\n', '\r']) {
            self.fail(join(path, key), "must be on one line");
            return None;
        }
        Some(value)
    }

    fn boolean(
        &mut self,
        map: &Map<String, Value>,
        path: &str,
        key: &str,
        required: bool,
    ) -> Option<bool> {
        match map.get(key) {
            None | Some(Value::Null) => {
                if required {
                    self.fail(join(path, key), "is required");
                }
                None
            }
            Some(Value::Bool(value)) => Some(*value),
            Some(_) => {
                self.fail(join(path, key), "must be true or false");
                None
            }
        }
    }

    fn array<'v>(
        &mut self,
        map: &'v Map<String, Value>,
        key: &str,
        min: usize,
        max: Option<usize>,
    ) -> &'v [Value] {
        match map.get(key) {
            None | Some(Value::Null) => {
                self.fail(key, "is required");
                &[]
            }
            Some(Value::Array(items)) => {
                if items.len() < min {
                    self.fail(key, format!("must have at least {min} item(s)"));
                }
                if let Some(max) = max.filter(|max| items.len() > *max) {
                    self.fail(key, format!("must have at most {max} items"));
                }
                items
            }
            Some(_) => {
                self.fail(key, "must be an array");
                &[]
            }
        }
    }

    /// Bounded text from a present string; `None` (with a violation) when it breaks a bound.
    fn text(&mut self, value: Option<&str>, path: &str, max: usize) -> Option<BoundedText> {
        match BoundedText::parse(path, value?, max) {
            Ok(text) => Some(text),
            Err(error) => {
                self.domain(error);
                None
            }
        }
    }

    /// A name, a role or another label: [`BoundedText::short`]'s rules.
    fn label(&mut self, value: Option<&str>, path: &str) -> Option<BoundedText> {
        match BoundedText::short(path, value?) {
            Ok(text) => Some(text),
            Err(error) => {
                self.domain(error);
                None
            }
        }
    }

    /// An optional value (on one line where the schema says `^(.*)$`): absent or blank is none.
    fn filled(
        &mut self,
        map: &Map<String, Value>,
        path: &str,
        key: &str,
        one_line: bool,
    ) -> Option<String> {
        let value = if one_line {
            self.line(map, path, key, false)
        } else {
            self.string(map, path, key, false)
        };
        value
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    }

    /// Optional free text: absent or blank is none.
    fn optional_text(
        &mut self,
        map: &Map<String, Value>,
        path: &str,
        key: &str,
        max: usize,
    ) -> Option<BoundedText> {
        let value = self.string(map, path, key, false)?;
        if value.trim().is_empty() {
            return None;
        }
        self.text(Some(value), &join(path, key), max)
    }

    fn phone(&mut self, map: &Map<String, Value>, path: &str, required: bool) -> Option<String> {
        let value = self.string(map, path, "telefonnummer", required)?;
        if !text::is_phone(value) {
            self.fail(
                join(path, "telefonnummer"),
                "must be digits, optionally with a leading + and single spaces or hyphens",
            );
            return None;
        }
        Some(value.to_owned())
    }

    fn address(&mut self, map: &Map<String, Value>, path: &str, required: bool) -> Option<Address> {
        let path = join(path, "adresse");
        let known = [
            "adresselinje1",
            "adresselinje2",
            "adresselinje3",
            "postnummer",
            "poststed",
        ];
        let address = self.object(map.get("adresse"), &path, required, &known)?;
        let first = self.string(address, &path, "adresselinje1", true)?;
        let mut lines = vec![first];
        for key in ["adresselinje2", "adresselinje3"] {
            lines.extend(self.string(address, &path, key, false));
        }
        let optional = |value: Option<&str>| {
            value
                .map(str::trim)
                .filter(|value| !value.is_empty())
                .map(str::to_owned)
        };
        let postcode = self.string(address, &path, "postnummer", false);
        let place = self.string(address, &path, "poststed", false);
        Some(Address {
            lines: lines
                .into_iter()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .map(str::to_owned)
                .collect(),
            postcode: optional(postcode),
            place: optional(place),
        })
    }

    fn common(
        &mut self,
        root: &Map<String, Value>,
        registry: &MunicipalityRegistry,
        now: DateTime<Utc>,
    ) -> Option<Common> {
        let number = self.line(root, "", "kommunenummer", true);
        let name = self.line(root, "", "kommunenavn", true);
        let district_number = self.string(root, "", "bydelsnummer", true);
        let district_name = self.line(root, "", "bydelsnavn", true);
        let sent_at = self.string(root, "", "sendingstidspunkt", true);
        let channel = self.string(root, "", "leveringskanal", true);
        let municipality = match (number, name) {
            (Some(number), Some(name)) => self.municipality(number, name, registry),
            _ => None,
        };
        if let Some(value) = district_number
            && !(value.len() == 2 && value.bytes().all(|b| b.is_ascii_digit()))
        {
            self.fail("bydelsnummer", "must be 2 digits");
        }
        let district = match (district_number, district_name) {
            (Some(number), Some(name)) if !name.trim().is_empty() => {
                self.label(Some(name), "bydelsnavn").map(|name| District {
                    number: number.to_owned(),
                    name,
                })
            }
            _ => None,
        };
        let received_at = sent_at.and_then(|value| self.sending_time(value, now));
        Some(Common {
            municipality: municipality?,
            municipality_number: number?.to_owned(),
            municipality_name: name?.to_owned(),
            district,
            received_at: received_at?,
            sent_at: sent_at?.to_owned(),
            channel: channel?.to_owned(),
        })
    }

    /// The current municipality a document names. A number retired in a merger (Bergen was
    /// 1201 until 2020, 4601 since) is resolved by the municipality's name when exactly one
    /// current municipality has it; the document's own number is kept in the source.
    fn municipality(
        &mut self,
        number: &str,
        name: &str,
        registry: &MunicipalityRegistry,
    ) -> Option<MunicipalityNumber> {
        if !(number.len() == 4 && number.bytes().all(|b| b.is_ascii_digit())) {
            self.fail("kommunenummer", "must be 4 digits");
            return None;
        }
        if let Ok(known) = MunicipalityNumber::parse("kommunenummer", number, registry) {
            return Some(known);
        }
        let wanted = text::municipality_name(name);
        let mut matches = registry
            .iter()
            .filter(|(_, current)| text::municipality_name(current) == wanted);
        match (matches.next(), matches.next()) {
            (Some((current, _)), None) => Some(current),
            _ => {
                self.fail(
                    "kommunenummer",
                    format!(
                        "{number} is not a current municipality number, and kommunenavn \
                         {name:?} does not name exactly one current municipality"
                    ),
                );
                None
            }
        }
    }

    /// `sendingstidspunkt`: RFC 3339, or a local date-time without offset (as the portal's
    /// own examples send it), read in Europe/Oslo. Slightly ahead of our clock is clock skew
    /// and counts as now; further ahead is refused.
    fn sending_time(&mut self, value: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let parsed = DateTime::parse_from_rfc3339(value)
            .map(|time| time.with_timezone(&Utc))
            .ok()
            .or_else(|| {
                NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f")
                    .ok()
                    .and_then(|local| local.and_local_timezone(OSLO).earliest())
                    .map(|time| time.with_timezone(&Utc))
            });
        let Some(time) = parsed else {
            self.fail(
                "sendingstidspunkt",
                "must be a date-time such as 2024-03-16T13:29:33+01:00",
            );
            return None;
        };
        if time > now + SKEW {
            self.fail("sendingstidspunkt", "must not be in the future");
            return None;
        }
        Some(time.min(now))
    }

    fn public_reporter(&mut self, root: &Map<String, Value>) -> ReporterParts {
        let path = "offentligMelder";
        let known = [
            "personnavn",
            "rolle",
            "telefonnummer",
            "epost",
            "virksomhet",
        ];
        let Some(reporter) = self.object(root.get(path), path, true, &known) else {
            return (None, None, None, None);
        };
        let name = self.line(reporter, path, "personnavn", true);
        let name = self.label(name, &join(path, "personnavn"));
        let role = self.line(reporter, path, "rolle", true);
        let role = self.label(role, &join(path, "rolle"));
        let phone = self.phone(reporter, path, true);
        let email = self.string(reporter, path, "epost", true);
        if let Some(email) = email
            && !text::is_email(email)
        {
            self.fail(join(path, "epost"), "must be an e-mail address");
        }
        let organisation_path = join(path, "virksomhet");
        let organisation = self.object(
            reporter.get("virksomhet"),
            &organisation_path,
            true,
            &["navn", "orgnr", "adresse"],
        );
        let (organisation_name, organisation_number, organisation_address) = match organisation {
            Some(organisation) => {
                let name = self.line(organisation, &organisation_path, "navn", true);
                let name = self.label(name, &join(&organisation_path, "navn"));
                let number = self.filled(organisation, &organisation_path, "orgnr", true);
                let address = self.address(organisation, &organisation_path, true);
                (name, number, address)
            }
            None => (None, None, None),
        };
        let reporter = match (name, role, organisation_name) {
            (Some(name), Some(role), Some(organisation)) => Some(Reporter::Public {
                organisation,
                role,
                name,
                identity_withheld_from_parties: false,
            }),
            _ => None,
        };
        let contact = Contact {
            phone,
            email: email.map(str::to_owned),
            address: None,
        };
        (
            reporter,
            Some(contact),
            organisation_number,
            organisation_address,
        )
    }

    fn private_reporter(&mut self, root: &Map<String, Value>) -> ReporterParts {
        let path = "privatMelder";
        let known = ["personnavn", "telefonnummer", "adresse"];
        let Some(reporter) = self.object(root.get(path), path, true, &known) else {
            return (None, None, None, None);
        };
        let name = self.string(reporter, path, "personnavn", true);
        let name = self.label(name, &join(path, "personnavn"));
        let phone = match reporter.get("telefonnummer") {
            Some(Value::String(value)) if value.trim().is_empty() => None,
            _ => self.phone(reporter, path, false),
        };
        let address = self.address(reporter, path, false);
        let reporter = name.map(|name| Reporter::PrivateNamed {
            name,
            relation: PrivateReporterRelation::OtherPrivatePerson,
            identity_withheld_from_parties: false,
        });
        let contact = Contact {
            phone,
            email: None,
            address,
        };
        (reporter, Some(contact), None, None)
    }

    fn public_children(&mut self, root: &Map<String, Value>) -> Vec<(ChildIdentity, ChildDetails)> {
        let known = [
            "fnr",
            "ufoedt",
            "personnavn",
            "telefonnummer",
            "adresse",
            "orientert",
            "orientertGrunn",
        ];
        let items = self.array(root, "offentligBarn", 1, Some(domain::report::MAX_CHILDREN));
        let mut children = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let path = format!("offentligBarn[{index}]");
            let Some(child) = self.object(Some(item), &path, true, &known) else {
                continue;
            };
            let number = self.string(child, &path, "fnr", true);
            let unborn = self.boolean(child, &path, "ufoedt", true);
            let name = self.line(child, &path, "personnavn", true);
            let name = self.label(name, &join(&path, "personnavn"));
            let phone = self.filled(child, &path, "telefonnummer", false);
            let address = self.address(child, &path, true);
            let informed = self.boolean(child, &path, "orientert", true);
            let why_not = self.optional_text(child, &path, "orientertGrunn", BoundedText::LONG);
            let (Some(number), Some(unborn), Some(name)) = (number, unborn, name) else {
                continue;
            };
            let identity = if unborn {
                if !number.trim().is_empty() {
                    // An unborn child has no number; what was sent is kept as it came.
                    self.unmapped
                        .insert(join(&path, "fnr"), Value::String(number.to_owned()));
                }
                ChildIdentity::Unidentified {
                    name: name.clone(),
                    unborn: true,
                }
            } else if number.trim().is_empty() {
                ChildIdentity::Unidentified {
                    name: name.clone(),
                    unborn: false,
                }
            } else {
                match NationalIdentityNumber::parse(&join(&path, "fnr"), number) {
                    Ok(number) => ChildIdentity::Number(number),
                    Err(error) => {
                        self.domain(error);
                        continue;
                    }
                }
            };
            children.push((
                identity,
                ChildDetails {
                    name: Some(name),
                    phone,
                    address,
                    informed,
                    not_informed_because: why_not,
                    assumed_age: None,
                    reporter_relation: None,
                },
            ));
        }
        children
    }

    fn private_children(
        &mut self,
        root: &Map<String, Value>,
    ) -> Vec<(ChildIdentity, ChildDetails)> {
        let known = ["personnavn", "antattAlder", "relasjon", "adresse"];
        let items = self.array(root, "privatBarn", 1, Some(domain::report::MAX_CHILDREN));
        let mut children = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let path = format!("privatBarn[{index}]");
            let Some(child) = self.object(Some(item), &path, true, &known) else {
                continue;
            };
            let name = self.string(child, &path, "personnavn", true);
            let name = self.label(name, &join(&path, "personnavn"));
            let age = self.filled(child, &path, "antattAlder", false);
            let relation = self.optional_text(child, &path, "relasjon", BoundedText::SHORT);
            let address = self.address(child, &path, true);
            let Some(name) = name else {
                continue;
            };
            children.push((
                ChildIdentity::Unidentified {
                    name: name.clone(),
                    unborn: false,
                },
                ChildDetails {
                    name: Some(name),
                    phone: None,
                    address,
                    informed: None,
                    not_informed_because: None,
                    assumed_age: age,
                    reporter_relation: relation,
                },
            ));
        }
        children
    }

    fn guardians(&mut self, root: &Map<String, Value>) -> Vec<Guardian> {
        let known = ["personnavn", "telefonnummer", "orientert", "orientertGrunn"];
        let items = self.array(root, "foresatte", 1, Some(2));
        let mut guardians = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let path = format!("foresatte[{index}]");
            let Some(guardian) = self.object(Some(item), &path, true, &known) else {
                continue;
            };
            let name = self.line(guardian, &path, "personnavn", true);
            let name = self.label(name, &join(&path, "personnavn"));
            let phone = self.filled(guardian, &path, "telefonnummer", true);
            let informed = self.boolean(guardian, &path, "orientert", true);
            let why_not = self.optional_text(guardian, &path, "orientertGrunn", BoundedText::LONG);
            if let (Some(name), Some(informed)) = (name, informed) {
                guardians.push(Guardian {
                    name,
                    phone,
                    informed,
                    not_informed_because: why_not,
                });
            }
        }
        guardians
    }

    fn public_concern(
        &mut self,
        root: &Map<String, Value>,
    ) -> (
        Option<BoundedText>,
        Option<BoundedText>,
        Option<BoundedText>,
    ) {
        let path = "melding";
        let known = ["melding", "historie", "andreSynspunkter"];
        let Some(concern) = self.object(root.get(path), path, true, &known) else {
            return (None, None, None);
        };
        let summary = self.string(concern, path, "melding", true);
        let summary = self.text(summary, "melding.melding", BoundedText::LONG);
        // Required by the schema, but may be blank.
        let _ = self.string(concern, path, "historie", true);
        let history = self.optional_text(concern, path, "historie", BoundedText::LONG);
        let other_views = self.optional_text(concern, path, "andreSynspunkter", BoundedText::LONG);
        (summary, history, other_views)
    }
}
