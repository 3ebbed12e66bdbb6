//! A case's and a report's own pages, and why one of their deadlines was breached. Each reads
//! the subject's events from the store for their key facts (`facts`) and its running
//! deadlines from the worklist view, after the same reach check and read audit as the API's
//! GetCaseTimeline: a subject of another municipality is "not found", and recorded as refused.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Utc};
use domain::StoredEvent as _;
use domain::case::CaseEvent;
use domain::report::ReportEvent;
use handling::audit::{Entry, Outcome, Subject};
use handling::policy::Page;
use maud::{Markup, html};
use projections::worklist::{self, WorklistItem};
use uuid::Uuid;

use crate::facts::{self, Fact};
use crate::pages::{event_label, kind_label, municipality_label, municipality_names, render, time};
use crate::{Dashboard, Error, Session};

/// Where a breached item's explanation is: under its case, else under its report.
pub(crate) fn why_path(item: &WorklistItem) -> String {
    match (item.case_id, item.report_id) {
        (Some(case), _) => format!("/cases/{case}/why/{}", item.kind),
        (None, Some(report)) => format!("/reports/{report}/why/{}", item.kind),
        (None, None) => "/cases".to_owned(),
    }
}

/// One event as a page shows it.
struct Shown {
    version: u64,
    event_type: String,
    occurred_at: DateTime<Utc>,
    recorded_at: DateTime<Utc>,
    actor: String,
    facts: Vec<Fact>,
}

/// The subject's municipality if the session reaches it (numbered as now: a case recorded under
/// a number the 2024 reform retired is its successor's); the look recorded in the read audit
/// either way. Unreachable and unknown are both "not found".
async fn reach(
    dashboard: &Dashboard,
    session: &Session,
    stream: &str,
    subject: Subject,
    method: &str,
) -> Result<String, Error> {
    let municipality = dashboard.store.stream_municipality(stream).await?;
    let reachable = municipality
        .as_deref()
        .and_then(|m| domain::municipality::MunicipalityNumber::try_from(m.to_owned()).ok())
        .is_some_and(|m| {
            session
                .principal
                .municipalities
                .contains(&domain::municipality::current(m))
        });
    let outcome = if reachable {
        Outcome::Read
    } else {
        Outcome::Denied
    };
    let entry = Entry::new(
        &session.principal(),
        method,
        subject,
        None,
        outcome,
        Utc::now(),
    );
    handling::audit::record(dashboard.store.pool(), &[entry]).await?;
    match municipality {
        Some(municipality) if reachable => Ok(municipality),
        _ => Err(Error::NotFound),
    }
}

/// A stream's events with their facts; `cases` gets the cases a report's screening named, and
/// `reports` the reports a case was opened from or given.
async fn events(
    dashboard: &Dashboard,
    stream: &str,
    cases: &mut Vec<domain::case::CaseId>,
    reports: &mut Vec<Uuid>,
) -> Result<Vec<Shown>, Error> {
    const PAGE: u32 = 1000;
    let mut shown = Vec::new();
    let mut from = 1;
    loop {
        let page = dashboard.store.read_stream(stream, from, PAGE).await?;
        let read = page.len();
        for recorded in page {
            let schema = u32::try_from(recorded.schema_version).unwrap_or(0);
            let decoded = if stream.starts_with("case-") {
                CaseEvent::from_stored(&recorded.event_type, schema, &recorded.payload).map(
                    |event| {
                        if let CaseEvent::CaseOpenedFromReport { report, .. }
                        | CaseEvent::ReportLinkedToCase { report, .. } = &event
                        {
                            reports.push(report.report_id.as_uuid());
                        }
                        (event.occurred_at(), facts::case_facts(&event))
                    },
                )
            } else {
                ReportEvent::from_stored(&recorded.event_type, schema, &recorded.payload)
                    .map(|event| (event.occurred_at(), facts::report_facts(&event, cases)))
            };
            // An event this build cannot read is still listed, by its type.
            let (occurred_at, facts) = decoded.unwrap_or((recorded.known_at(), Vec::new()));
            shown.push(Shown {
                version: recorded.stream_version,
                event_type: recorded.event_type.clone(),
                occurred_at,
                recorded_at: recorded.known_at(),
                actor: format!(
                    "{} ({})",
                    recorded.metadata.actor.subject, recorded.metadata.actor.role
                ),
                facts,
            });
            from = recorded.stream_version + 1;
        }
        if read < PAGE as usize {
            return Ok(shown);
        }
    }
}

fn events_table(events: &[Shown], empty: &str) -> Markup {
    html! {
        table.events {
            thead {
                tr {
                    th { "Nr." } th { "Skjedde" } th { "Hendelse" } th { "Fakta" } th { "Av" }
                    th { "Registrert" }
                }
            }
            tbody {
                @if events.is_empty() {
                    tr { td colspan="6" { (empty) } }
                }
                @for event in events {
                    tr {
                        td.num { (event.version) }
                        td { (time(event.occurred_at)) }
                        td { (event_label(&event.event_type)) }
                        td { (facts::list(&event.facts)) }
                        td { (event.actor) }
                        td {
                            @let days = domain::step::days_late(event.occurred_at, event.recorded_at);
                            @if days == 0 {
                                "samme dag"
                            } @else {
                                (time(event.recorded_at)) " "
                                span.late {
                                    "registrert " (days) @if days == 1 { " dag" } @else { " dager" } " etter"
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The running deadlines of a subject, with their paragraphs; a breached one links to why.
fn deadlines_table(items: &[WorklistItem]) -> Markup {
    html! {
        table.deadlines {
            thead {
                tr { th { "Status" } th { "Løpende frist" } th { "Hjemmel" } th { "Siste dag" } }
            }
            tbody {
                @if items.is_empty() {
                    tr { td colspan="4" { "Ingen løpende frister." } }
                }
                @for item in items {
                    tr.breached[item.breached] {
                        td {
                            @if item.breached {
                                a.badge.breach href=(why_path(item)) { "fristbrudd – hvorfor?" }
                            }
                        }
                        td { (kind_label(&item.kind)) }
                        td { (item.legal_reference) }
                        td { (item.last_day.format("%d.%m.%Y")) }
                    }
                }
            }
        }
    }
}

/// A case or report as its pages show it, read once the session is found to reach it.
struct Opened {
    municipality: String,
    events: Vec<Shown>,
    /// The cases a report's screening named.
    cases: Vec<domain::case::CaseId>,
    /// The reports a case was opened from or given.
    reports: Vec<Uuid>,
    running: Vec<WorklistItem>,
}

/// `page` names the page in the read audit after the subject's path ("" or "/why").
async fn open(
    dashboard: &Dashboard,
    session: &Session,
    subject: worklist::Subject,
    page: &str,
) -> Result<Opened, Error> {
    let (stream, audited, method) = match subject {
        worklist::Subject::Case(id) => (
            format!("case-{id}"),
            Subject::Case(id),
            format!("dashboard /cases/{id}{page}"),
        ),
        worklist::Subject::Report(id) => (
            format!("report-{id}"),
            Subject::Report(id),
            format!("dashboard /reports/{id}{page}"),
        ),
    };
    let municipality = reach(dashboard, session, &stream, audited, &method).await?;
    let (mut cases, mut reports) = (Vec::new(), Vec::new());
    let events = events(dashboard, &stream, &mut cases, &mut reports).await?;
    let running = worklist::for_subject(dashboard.store.pool(), subject, Utc::now()).await?;
    Ok(Opened {
        municipality,
        events,
        cases,
        reports,
        running,
    })
}

fn short(id: Uuid) -> String {
    id.simple().to_string()[..8].to_owned()
}

/// Tidslinje: a case's events with their key facts, its running deadlines and its reports.
pub(crate) async fn case(
    State(dashboard): State<Dashboard>,
    headers: HeaderMap,
    Path(case_id): Path<String>,
) -> Result<Response, Error> {
    let session = dashboard.session_for(&headers, Page::Cases).await?;
    let case_id = Uuid::parse_str(&case_id).map_err(|_| Error::NotFound)?;
    let Opened {
        municipality,
        events,
        mut reports,
        running,
        ..
    } = open(&dashboard, &session, worklist::Subject::Case(case_id), "").await?;
    reports.dedup();
    let names = municipality_names();
    let body = html! {
        h1 { "Tidslinje for sak " (short(case_id)) }
        p.summary {
            "Kommune " (municipality_label(&names, &municipality)) ". " (events.len()) " hendelser. "
            "Meldinger i saken: "
            @for (index, report) in reports.iter().enumerate() {
                @if index > 0 { ", " }
                a href={ "/reports/" (report) } { "melding " (short(*report)) }
            }
            "."
        }
        h2 { "Løpende frister" }
        (deadlines_table(&running))
        h2 { "Hendelser" }
        (events_table(&events, "Saken har ingen hendelser."))
        p.hint {
            "Fritekst (begrunnelser, planer, referater) og barnets og melderens identitet vises "
            "ikke her."
        }
    };
    Ok(render("Tidslinje", &session, body))
}

/// Melding: a report's screening deadline, its letters, the cases of its children.
pub(crate) async fn report(
    State(dashboard): State<Dashboard>,
    headers: HeaderMap,
    Path(report_id): Path<String>,
) -> Result<Response, Error> {
    let session = dashboard.session_for(&headers, Page::Cases).await?;
    let report_id = Uuid::parse_str(&report_id).map_err(|_| Error::NotFound)?;
    let Opened {
        municipality,
        events,
        mut cases,
        running,
        ..
    } = open(
        &dashboard,
        &session,
        worklist::Subject::Report(report_id),
        "",
    )
    .await?;
    cases.dedup();
    let names = municipality_names();
    let body = html! {
        h1 { "Melding " (short(report_id)) }
        p.summary {
            "Kommune " (municipality_label(&names, &municipality)) ". "
            @if cases.is_empty() {
                "Ikke gjennomgått ennå: ingen sak."
            } @else {
                "Barnas saker: "
                @for (index, case) in cases.iter().enumerate() {
                    @if index > 0 { ", " }
                    (facts::case_link(*case))
                }
                "."
            }
        }
        h2 { "Løpende frister og brev" }
        (deadlines_table(&running))
        h2 { "Hendelser" }
        (events_table(&events, "Meldingen har ingen hendelser."))
        p.hint {
            "Meldingens innhold og melderens og barnas identitet vises ikke her."
        }
    };
    Ok(render("Melding", &session, body))
}

/// For each kind of deadline: the events that start its clock, extend it and meet it, and
/// what is missing while it runs. Presentation of the rule table (`domain::rules`), whose
/// `starts_at` and `met_by` say the same in English.
struct Why {
    starts: &'static [&'static str],
    extends: &'static [&'static str],
    meets: &'static [&'static str],
    missing: &'static str,
}

fn why(kind: &str) -> Option<Why> {
    const LETTER: &str = "brevet til melderen må sendes og registreres som sendt";
    let why = |starts, extends, meets, missing| {
        Some(Why {
            starts,
            extends,
            meets,
            missing,
        })
    };
    match kind {
        "screening" => why(
            &["ReportReceived"],
            &[],
            &["ReportScreened"],
            "meldingen må gjennomgås og avgjøres (henlegges eller undersøkes)",
        ),
        "investigation" => why(
            &["InvestigationOpened"],
            &["InvestigationDeadlineExtended"],
            &["InvestigationConcluded"],
            "undersøkelsen må konkluderes: vedtak om tiltak, henleggelse eller begjæring til nemnda",
        ),
        "receipt_letter" | "investigation_outcome_letter" => {
            why(&["ReportReceived"], &[], &["FeedbackLetterSent"], LETTER)
        }
        "conclusion_letter" => why(
            &["InvestigationConcluded"],
            &[],
            &["FeedbackLetterSent"],
            LETTER,
        ),
        "emergency_approval" => why(
            &["EmergencyDecisionMade"],
            &[],
            &["EmergencyDecisionApproved", "EmergencyDecisionRefused"],
            "nemndlederens godkjenning eller avslag må registreres",
        ),
        "emergency_petition_care_order"
        | "emergency_petition_behaviour_institution"
        | "emergency_petition_abroad" => why(
            &["EmergencyDecisionMade"],
            &[],
            &["EmergencyPetitionSent"],
            "begjæringen må sendes nemnda, ellers faller vedtaket bort",
        ),
        "emergency_decision_lapsed" => why(
            &["EmergencyDecisionMade"],
            &[],
            &["EmergencyPetitionSent", "EmergencyDecisionLapsed"],
            "vedtaket har falt bort og plasseringen mangler hjemmel: barnet må flytte hjem \
             eller et nytt vedtak må fattes",
        ),
        "care_order_implementation" => why(
            &["BoardDecided"],
            &["CareOrderImplementationExtended"],
            &["CareOrderCarriedOut"],
            "omsorgsovertakelsen må iverksettes, ellers faller vedtaket bort",
        ),
        "care_order_lapsed" => why(
            &["BoardDecided"],
            &["CareOrderImplementationExtended"],
            &["CareOrderCarriedOut", "CareOrderLapsed"],
            "vedtaket har falt bort: saken må til nemnda igjen",
        ),
        "plan_evaluation" => why(
            &[
                "MeasureStarted",
                "MeasureEvaluated",
                "MeasureExtended",
                "MeasureChanged",
            ],
            &[],
            &["MeasureEvaluated", "MeasureEnded"],
            "tiltaksplanen må evalueres",
        ),
        "follow_up_visit" => why(
            &[
                "CareOrderCarriedOut",
                "CarePlanMade",
                "FollowUpVisitRecorded",
                "VisitRateDecided",
            ],
            &[],
            &["FollowUpVisitRecorded"],
            "oppfølgingsbesøket må holdes og registreres",
        ),
        "supervision_visit" => why(
            &[
                "CareOrderCarriedOut",
                "CarePlanMade",
                "SupervisionVisitRecorded",
                "VisitRateDecided",
            ],
            &[],
            &["SupervisionVisitRecorded"],
            "tilsynsbesøket må holdes og registreres",
        ),
        "emergency_investigation_plan" => why(
            &["EmergencyDecisionMade"],
            &[],
            &["PlanMade"],
            "undersøkelsesplanen etter akuttvedtaket må lages",
        ),
        "preliminary_care_plan" => why(
            &["BoardProposalSent", "InvestigationConcluded"],
            &[],
            &["PlanMade"],
            "den foreløpige omsorgsplanen må lages",
        ),
        "care_plan" => why(
            &["BoardDecided"],
            &["CareOrderImplementationExtended"],
            &["CarePlanMade"],
            "omsorgsplanen må lages",
        ),
        _ => None,
    }
}

/// Why a deadline of a case or report was breached: the item, the events that started its
/// clock and any extension (from the case and the reports it came from), what is missing.
pub(crate) async fn case_why(
    State(dashboard): State<Dashboard>,
    headers: HeaderMap,
    Path((case_id, kind)): Path<(String, String)>,
) -> Result<Response, Error> {
    let session = dashboard.session_for(&headers, Page::Cases).await?;
    let case_id = Uuid::parse_str(&case_id).map_err(|_| Error::NotFound)?;
    explain(
        &dashboard,
        &session,
        worklist::Subject::Case(case_id),
        &kind,
    )
    .await
}

pub(crate) async fn report_why(
    State(dashboard): State<Dashboard>,
    headers: HeaderMap,
    Path((report_id, kind)): Path<(String, String)>,
) -> Result<Response, Error> {
    let session = dashboard.session_for(&headers, Page::Cases).await?;
    let report_id = Uuid::parse_str(&report_id).map_err(|_| Error::NotFound)?;
    explain(
        &dashboard,
        &session,
        worklist::Subject::Report(report_id),
        &kind,
    )
    .await
}

async fn explain(
    dashboard: &Dashboard,
    session: &Session,
    subject: worklist::Subject,
    kind: &str,
) -> Result<Response, Error> {
    let why = why(kind).ok_or(Error::NotFound)?;
    let (path, id) = match subject {
        worklist::Subject::Case(id) => ("cases", id),
        worklist::Subject::Report(id) => ("reports", id),
    };
    let Opened {
        events: mut all,
        cases,
        reports,
        running,
        ..
    } = open(dashboard, session, subject, "/why").await?;
    let items: Vec<WorklistItem> = running
        .into_iter()
        .filter(|item| item.kind == kind)
        .collect();
    // The case's own events and its reports' (a letter's clock starts on the report), or
    // the report's and its children's cases'.
    let mut other_streams: Vec<String> = reports
        .iter()
        .map(|report| format!("report-{report}"))
        .chain(cases.iter().map(|case| format!("case-{}", case.as_uuid())))
        .collect();
    other_streams.dedup();
    for other in other_streams {
        all.extend(events(dashboard, &other, &mut Vec::new(), &mut Vec::new()).await?);
    }
    all.sort_by_key(|event| event.occurred_at);
    // The steps up to the clock's start that can start it, and after it those that extend or
    // meet it; with no item running, every such step.
    let opened = items.iter().map(|item| item.opened_at).min();
    let of = |types: &[&str], event: &Shown| types.contains(&event.event_type.as_str());
    let relevant: BTreeMap<(DateTime<Utc>, String, u64), &Shown> = all
        .iter()
        .filter(|event| match opened {
            Some(opened) if event.occurred_at <= opened => of(why.starts, event),
            Some(_) => of(why.extends, event) || of(why.meets, event),
            None => of(why.starts, event) || of(why.extends, event) || of(why.meets, event),
        })
        .map(|event| {
            (
                (event.occurred_at, event.event_type.clone(), event.version),
                event,
            )
        })
        .collect();
    let body = html! {
        h1 { "Hvorfor fristen er brutt: " (kind_label(kind)) }
        @if items.is_empty() {
            p.summary { "Fristen løper ikke lenger: den er møtt, eller saken har gått videre." }
        }
        @for item in &items {
            dl.report {
                dt { "Frist" } dd { (kind_label(&item.kind)) }
                dt { "Hjemmel" } dd { (item.legal_reference) }
                dt { "Fristen startet" } dd { (time(item.opened_at)) }
                dt { "Siste dag" } dd { (item.last_day.format("%d.%m.%Y")) }
                dt { "Brutt fra" }
                dd {
                    @if item.breached { (time(item.breached_from)) } @else { "ikke brutt ennå" }
                }
                dt { "Mangler" } dd.error { (why.missing) }
            }
        }
        h2 { "Hendelsene som startet, forlenget eller møtte fristen" }
        table.events {
            thead { tr { th { "Skjedde" } th { "Hendelse" } th { "Rolle" } th { "Fakta" } } }
            tbody {
                @if relevant.is_empty() {
                    tr { td colspan="4" { "Ingen." } }
                }
                @for event in relevant.values() {
                    tr {
                        td { (time(event.occurred_at)) }
                        td { (event_label(&event.event_type)) }
                        td {
                            @if opened.is_none_or(|opened| event.occurred_at <= opened)
                                && of(why.starts, event) {
                                "startet klokken"
                            } @else if of(why.extends, event) {
                                "forlenget fristen"
                            } @else {
                                "møtte fristen"
                            }
                        }
                        td { (facts::list(&event.facts)) }
                    }
                }
            }
        }
        p { a href={ "/" (path) "/" (id) } { "Til " @if path == "cases" { "saken" } @else { "meldingen" } } }
    };
    Ok(render("Hvorfor fristen er brutt", session, body))
}
