//! One function per page. Each reads the session, asks the read models, and renders a table;
//! lists are paged (`PAGE_ROWS` rows) so a page stays small with thousands of rows behind it.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Datelike as _, Utc};
use domain::calendar::oslo_date;
use projections::statistics::StatisticsRow;
use projections::worklist::{WorklistItem, WorklistQuery};
use serde::Deserialize;

use handling::policy::Page;
use maud::{Markup, html};

use crate::figures;
use crate::html::{page, url_encode};
use crate::{Dashboard, Error, Session, secure_headers};

/// Rows on one page of a list.
const PAGE_ROWS: i64 = 50;

pub(crate) fn render(title: &str, session: &Session, body: Markup) -> Response {
    (
        secure_headers(),
        Html(page(title, Some(&session.viewer()), body).into_string()),
    )
        .into_response()
}

/// Municipality numbers to names, for every municipality.
pub(crate) fn municipality_names() -> BTreeMap<String, String> {
    domain::municipality::MunicipalityRegistry::norway_2024()
        .iter()
        .map(|(number, name)| (number.as_str().to_owned(), name.to_owned()))
        .collect()
}

pub(crate) fn municipality_label(names: &BTreeMap<String, String>, number: &str) -> String {
    match names.get(number) {
        Some(name) => format!("{number} {name}"),
        None => number.to_owned(),
    }
}

/// The filters' municipality control, the same on every page: the session's municipalities
/// by number and name, or all of them.
pub(crate) fn municipality_select(
    session: &Session,
    chosen: &str,
    names: &BTreeMap<String, String>,
    invalid: &str,
) -> Markup {
    let chosen = chosen.trim();
    html! {
        label.invalid[invalid == "municipality"] {
            "Kommune"
            select name="municipality" {
                option value="" { "Alle" }
                @for number in &session.principal.municipalities {
                    @let number = number.as_str();
                    option value=(number) selected[number == chosen] {
                        (municipality_label(names, number))
                    }
                }
            }
        }
    }
}

/// The municipalities a query may cover: the one asked for, if the session serves it; else
/// every one the session serves. The rule is the API's (`handling::policy::scope`).
pub(crate) fn scope(
    session: &Session,
    asked: Option<&str>,
) -> Result<Vec<domain::municipality::MunicipalityNumber>, Error> {
    let registry = domain::municipality::MunicipalityRegistry::norway_2024();
    let asked = asked
        .map(str::trim)
        .filter(|asked| !asked.is_empty())
        .map(|number| {
            domain::municipality::MunicipalityNumber::parse("municipality", number, &registry)
                .map_err(|_| Error::BadParameter {
                    field: "municipality",
                    reason: "må være et kommunenummer med fire sifre".into(),
                })
        })
        .transpose()?;
    let asked: Vec<_> = asked.into_iter().collect();
    handling::policy::scope(&session.principal.municipalities, &asked).map_err(|refused| {
        Error::BadParameter {
            field: "municipality",
            reason: match refused {
                handling::policy::OutOfScope::NotServed(number) => {
                    format!(
                        "{} er ikke en kommune nøkkelen din gjelder",
                        number.as_str()
                    )
                }
                handling::policy::OutOfScope::ServesNone => {
                    "nøkkelen din gjelder ingen kommune".to_owned()
                }
            },
        }
    })
}

fn page_number(page: Option<&str>) -> Result<i64, Error> {
    Ok(i64::from(
        whole_number::<u32>("page", page)?.unwrap_or(1).max(1),
    ))
}

/// A number from a form field: empty (a form sends its empty fields) means "the default", and
/// anything else that is not a whole number is refused naming the field, never with the
/// query parser's own text.
pub(crate) fn whole_number<T: std::str::FromStr>(
    field: &'static str,
    value: Option<&str>,
) -> Result<Option<T>, Error> {
    match value.map(str::trim).filter(|value| !value.is_empty()) {
        None => Ok(None),
        Some(value) => value.parse().map(Some).map_err(|_| Error::BadParameter {
            field,
            reason: "må være et helt tall".into(),
        }),
    }
}

/// Links to the previous and next page, keeping the other parameters.
fn pager(path: &str, parameters: &[(&str, String)], page: i64, more: bool) -> Markup {
    let link = |page: i64| {
        let mut query: Vec<String> = parameters
            .iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(key, value)| format!("{key}={}", url_encode(value)))
            .collect();
        query.push(format!("page={page}"));
        format!("{path}?{}", query.join("&"))
    };
    html! {
        div.pager {
            @if page > 1 {
                a href=(link(page - 1)) { "← Forrige side" }
            }
            span { "Side " (page) }
            @if more {
                a href=(link(page + 1)) { "Neste side →" }
            }
        }
    }
}

fn urgency_badge(urgency: domain::values::Urgency) -> Markup {
    use domain::values::Urgency;
    let (class, word) = match urgency {
        Urgency::Red => ("red", "rød"),
        Urgency::Yellow => ("yellow", "gul"),
        Urgency::Green => ("green", "grønn"),
    };
    html! { span class={ "badge " (class) } { (word) } }
}

/// Norwegian words for a case event on the timeline; an event this build does not name shows
/// its internal name rather than nothing.
pub(crate) fn event_label(event_type: &str) -> &str {
    match event_type {
        "CaseOpenedFromReport" => "Sak opprettet fra melding",
        "ReportLinkedToCase" => "Ny melding lagt til saken",
        "InvestigationOpened" => "Undersøkelse åpnet",
        "UrgencyChanged" => "Hastegrad endret",
        "InvestigationStarted" => "Undersøkelse startet med plan",
        "InvestigationActivityRecorded" => "Aktivitet i undersøkelsen",
        "InvestigationDeadlineExtended" => "Undersøkelsesfristen forlenget",
        "ConsultationHeld" => "Samråd holdt",
        "ForensicInterviewHeld" => "Tilrettelagt avhør holdt",
        "ForensicInterviewPostponed" => "Tilrettelagt avhør utsatt",
        "ForensicInterviewNotHeld" => "Tilrettelagt avhør ikke holdt",
        "ReportedToPolice" => "Anmeldt til politiet",
        "InvestigationConcluded" => "Undersøkelse konkludert",
        "MeasureStarted" => "Tiltak startet",
        "MeasureEvaluated" => "Tiltak evaluert",
        "MeasureExtended" => "Tiltak forlenget",
        "MeasureChanged" => "Tiltak endret",
        "MeasureEnded" => "Tiltak avsluttet",
        "EmergencyDecisionMade" => "Akuttvedtak fattet",
        "EmergencyDecisionApproved" => "Akuttvedtak godkjent",
        "EmergencyDecisionRefused" => "Akuttvedtak ikke godkjent",
        "EmergencyPetitionSent" => "Begjæring sendt nemnda",
        "EmergencyDecisionLapsed" => "Akuttvedtaket falt bort",
        "BoardProposalSent" => "Sak sendt nemnda",
        "BoardDecided" => "Nemndas vedtak",
        "CareOrderCarriedOut" => "Omsorgsovertakelsen iverksatt",
        "CareOrderImplementationExtended" => "Fristen for iverksetting forlenget",
        "CareOrderLapsed" => "Omsorgsovertakelsen falt bort",
        "CarePlanMade" => "Omsorgsplan laget",
        "PlanMade" => "Plan laget",
        "FollowUpVisitRecorded" => "Oppfølgingsbesøk",
        "SupervisionVisitRecorded" => "Tilsynsbesøk",
        "VisitRateDecided" => "Besøkshyppighet bestemt",
        "CaseClosed" => "Sak avsluttet",
        "CaseAssigned" => "Sak tildelt",
        "PartnersInvitedToConsultation" => "Politi eller barnehus invitert til samråd",
        "PartnerAttendanceRecorded" => "Deltakelse i samråd registrert",
        "PartnerInterviewDecided" => "Avgjørelse om tilrettelagt avhør",
        "PoliceReportDecided" => "Avgjørelse om anmeldelse",
        "PartnerConsultationClosed" => "Samråd med politi eller barnehus avsluttet",
        "ReportReceived" => "Melding mottatt",
        "ReportUrgencyChanged" => "Meldingens hastegrad endret",
        "ReportScreened" => "Melding gjennomgått",
        "FeedbackLetterSent" => "Brev til melder sendt",
        "ReportAssigned" => "Melding tildelt",
        other => other,
    }
}

/// Norwegian names of the worklist's deadline kinds.
pub(crate) fn kind_label(kind: &str) -> &str {
    match kind {
        "screening" => "Gjennomgang av melding (1 uke)",
        "investigation" => "Undersøkelse",
        "emergency_approval" => "Godkjenning av akuttvedtak",
        "emergency_petition_care_order" => "Begjæring etter akuttvedtak (omsorg)",
        "emergency_petition_behaviour_institution" => "Begjæring etter akuttvedtak (institusjon)",
        "emergency_petition_abroad" => "Begjæring etter akuttvedtak (barn bosatt i utlandet)",
        "emergency_decision_lapsed" => "Akuttvedtaket har falt bort: plasseringen mangler hjemmel",
        "care_order_implementation" => "Iverksetting av omsorgsovertakelse (6 uker)",
        "care_order_lapsed" => "Omsorgsovertakelsen har falt bort: saken må til nemnda igjen",
        "plan_evaluation" => "Evaluering av tiltaksplan",
        "follow_up_visit" => "Oppfølgingsbesøk",
        "supervision_visit" => "Tilsynsbesøk",
        "emergency_investigation_plan" => "Undersøkelsesplan etter akuttvedtak",
        "preliminary_care_plan" => "Foreløpig omsorgsplan",
        "care_plan" => "Omsorgsplan",
        "receipt_letter" => "Bekreftelse på mottatt melding",
        "investigation_outcome_letter" => "Brev: undersøkelse åpnet eller ikke",
        "conclusion_letter" => "Brev: undersøkelsen avsluttet",
        other => other,
    }
}

/// The moment a page shows and with what knowledge (`as_of`, a date; `effective_view`, on or
/// absent), and the sentence that tells the reader which question the page answers.
struct Asked {
    as_of: DateTime<Utc>,
    knowledge: projections::Knowledge,
    /// The date as given, for the form.
    date: String,
    effective: bool,
}

impl Asked {
    /// `as_of` a day (its end, Europe/Oslo) or now; effective when `effective_view` is set.
    fn parse(as_of: Option<&str>, effective_view: Option<&str>) -> Result<Self, Error> {
        let date = as_of.map(str::trim).filter(|date| !date.is_empty());
        let moment = match date {
            None => Utc::now(),
            Some(date) => {
                let day = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| {
                    Error::BadParameter {
                        field: "as_of",
                        reason: "må være en dato (åååå-mm-dd)".into(),
                    }
                })?;
                let next = day.succ_opt().ok_or(Error::BadParameter {
                    field: "as_of",
                    reason: "er utenfor kalenderen".into(),
                })?;
                let end =
                    domain::calendar::start_of_oslo_day(next) - chrono::Duration::microseconds(1);
                end.min(Utc::now())
            }
        };
        let effective = effective_view.is_some_and(|value| !value.is_empty());
        Ok(Self {
            as_of: moment,
            knowledge: projections::Knowledge::effective(effective),
            date: date.unwrap_or_default().to_owned(),
            effective,
        })
    }

    /// Which question the page answers, in words.
    fn sentence(&self) -> String {
        if self.effective {
            format!(
                "Slik det sto {}, med alt som er registrert nå, også det som ble registrert senere.",
                time(self.as_of)
            )
        } else {
            format!(
                "Slik det så ut {}, med det som var registrert da.",
                time(self.as_of)
            )
        }
    }
}

/// The form's fields for the two questions a page can answer, as sent; `invalid` names the
/// field to mark.
fn as_of_fields(as_of: Option<&str>, effective_view: Option<&str>, invalid: &str) -> Markup {
    let effective = effective_view.is_some_and(|value| !value.is_empty());
    html! {
        label.invalid[invalid == "as_of"] {
            "Per dato (tom for nå)"
            input type="date" name="as_of" value=(as_of.unwrap_or(""));
        }
        label {
            input type="checkbox" name="effective_view" value="on" checked[effective];
            " Med alt som er registrert nå"
        }
    }
}

/// A form field's name in the form's own words.
pub(crate) fn field_label(field: &str) -> &str {
    match field {
        "municipality" => "Kommune",
        "team" => "Team",
        "caseworker" => "Saksbehandler",
        "as_of" => "Per dato",
        "year" => "År",
        "period" => "Periode",
        "number" => "Nummer",
        "quarter" => "Kvartal",
        "counting" => "Telling",
        "page" => "Side",
        other => other,
    }
}

/// A page with a filter form: the session for `page`, then `body`'s page, or, when a field of
/// the form cannot be used, the form again as it was sent with that field marked.
pub(crate) async fn filtered_page<Q>(
    dashboard: &Dashboard,
    headers: &HeaderMap,
    page: Page,
    title: &str,
    query: &Q,
    form: fn(&Session, &Q, &BTreeMap<String, String>, &str) -> Markup,
    body: impl AsyncFn(&Dashboard, &Session, &Q, &BTreeMap<String, String>) -> Result<Response, Error>,
) -> Result<Response, Error> {
    let session = dashboard.session_for(headers, page).await?;
    let names = municipality_names();
    let shown = body(dashboard, &session, query, &names).await;
    reshown(title, &session, shown, |invalid| {
        form(&session, query, &names, invalid)
    })
}

/// A page whose form was sent with a value it cannot use: the form again as it was sent, the
/// field marked and what is wrong with it in words, and nothing read (400). Other errors pass.
pub(crate) fn reshown(
    title: &str,
    session: &Session,
    result: Result<Response, Error>,
    form: impl FnOnce(&str) -> Markup,
) -> Result<Response, Error> {
    match result {
        Err(Error::BadParameter { field, reason }) => {
            let body = html! {
                h1 { (title) }
                p.error role="alert" { (field_label(field)) ": " (reason) }
                (form(field))
            };
            let mut response = render(title, session, body);
            *response.status_mut() = axum::http::StatusCode::BAD_REQUEST;
            Ok(response)
        }
        other => other,
    }
}

pub(crate) fn time(moment: DateTime<Utc>) -> String {
    let oslo = moment.with_timezone(&chrono_tz::Europe::Oslo);
    oslo.format("%d.%m.%Y %H:%M").to_string()
}

#[derive(Clone, Deserialize, Default)]
pub(crate) struct CasesQuery {
    municipality: Option<String>,
    team: Option<String>,
    caseworker: Option<String>,
    page: Option<String>,
    /// A date to show the list as of; now when absent.
    as_of: Option<String>,
    /// Set: with all that is known now; absent: as known then.
    effective_view: Option<String>,
}

/// The worklist's and the letters page's table: `kind` heads the deadline's column, `empty`
/// stands in for no rows.
fn worklist_table(
    kind: &str,
    empty: &str,
    items: &[WorklistItem],
    names: &BTreeMap<String, String>,
) -> Markup {
    html! {
        table.worklist {
            thead {
                tr {
                    th { "Status" } th { (kind) } th { "Gjelder" } th { "Kommune" }
                    th { "Team" } th { "Saksbehandler" } th { "Hast" } th { "Siste dag" }
                }
            }
            tbody {
                @if items.is_empty() {
                    tr { td colspan="8" { (empty) } }
                } @else {
                    (worklist_rows(items, names))
                }
            }
        }
    }
}

fn worklist_rows(items: &[WorklistItem], names: &BTreeMap<String, String>) -> Markup {
    html! {
        @for item in items {
            tr.breached[item.breached] {
                td {
                    @if item.breached {
                        a.badge.breach href=(crate::subjects::why_path(item)) title="Hvorfor?" {
                            "fristbrudd"
                        }
                    }
                }
                td { (kind_label(&item.kind)) br; small { (item.legal_reference) } }
                td {
                    @match (item.case_id, item.report_id) {
                        (Some(case), _) => {
                            a href={ "/cases/" (case) } { "sak " (&case.simple().to_string()[..8]) }
                        }
                        (None, Some(report)) => { "melding " (&report.simple().to_string()[..8]) }
                        (None, None) => {}
                    }
                }
                td { (municipality_label(names, &item.municipality)) }
                td { (item.team.as_deref().unwrap_or("–")) }
                td { (item.caseworker.as_deref().unwrap_or("–")) }
                td { (urgency_badge(item.urgency)) }
                td { (item.last_day.format("%d.%m.%Y")) }
            }
        }
    }
}

/// Which deadlines a list shows: of which municipalities (empty: all), whose, letters only.
struct Filter {
    municipalities: Vec<domain::municipality::MunicipalityNumber>,
    team: Option<String>,
    caseworker: Option<String>,
    letters_only: bool,
}

/// One page of the deadlines running at `as_of`, and whether there is another page. The
/// page is shown only once the read audit holds a record of each case or report it names,
/// as the API's lists do (`path` is the page's, `dashboard /cases`).
async fn worklist_page(
    dashboard: &Dashboard,
    session: &Session,
    path: &str,
    filter: Filter,
    as_of: DateTime<Utc>,
    knowledge: projections::Knowledge,
    page: i64,
) -> Result<Listed, Error> {
    let listed = handling::audit::describe_list(&[
        (
            "municipalities",
            &handling::audit::joined(&filter.municipalities),
        ),
        ("team", filter.team.as_deref().unwrap_or_default()),
        (
            "caseworker",
            filter.caseworker.as_deref().unwrap_or_default(),
        ),
        ("as_of", &as_of.to_rfc3339()),
        (
            "effective_view",
            &(knowledge == projections::Knowledge::Now).to_string(),
        ),
        ("page", &page.to_string()),
    ]);
    let query = WorklistQuery {
        municipalities: filter.municipalities,
        team: filter.team,
        caseworker: filter.caseworker,
        as_of,
        knowledge,
        due_within_days: None,
        letters_only: filter.letters_only,
        limit: PAGE_ROWS + 1,
        offset: (page - 1) * PAGE_ROWS,
    };
    let mut items = projections::worklist::list(dashboard.store.pool(), &query).await?;
    let totals = projections::worklist::totals(dashboard.store.pool(), &query, SOON_DAYS).await?;
    let more = items.len() > PAGE_ROWS as usize;
    items.truncate(PAGE_ROWS as usize);
    let entry = handling::audit::Entry::new(
        &session.principal(),
        &format!("dashboard {path}"),
        handling::audit::Subject::Listed,
        None,
        handling::audit::Outcome::Read,
        Utc::now(),
    )
    .listed(&listed);
    let named = items
        .iter()
        .map(|item| match (item.case_id, item.report_id) {
            (Some(case_id), _) => handling::audit::Subject::Case(case_id),
            (None, Some(report_id)) => handling::audit::Subject::Report(report_id),
            (None, None) => handling::audit::Subject::Listed,
        });
    handling::audit::record(
        dashboard.store.pool(),
        &handling::audit::list_entries(&entry, named),
    )
    .await?;
    Ok(Listed {
        items,
        more,
        totals,
    })
}

/// One page of a list, and the counts of the whole filter behind it.
struct Listed {
    items: Vec<WorklistItem>,
    more: bool,
    totals: Vec<projections::worklist::KindTotal>,
}

/// "Due soon" on the lists' totals: a last day within a week.
const SOON_DAYS: u32 = 7;

/// The whole filter's counts, by kind and in all: what the list holds beyond its page.
fn totals_table(what: &str, totals: &[projections::worklist::KindTotal]) -> Markup {
    let sum = |field: fn(&projections::worklist::KindTotal) -> i64| -> i64 {
        totals.iter().map(field).sum()
    };
    html! {
        table.totals {
            caption { "Hele utvalget, ikke bare denne siden" }
            thead {
                tr {
                    th { (what) } th { "Løpende" } th { "Fristbrudd" }
                    th { "Siste dag innen " (SOON_DAYS) " dager" }
                }
            }
            tbody {
                @for total in totals {
                    tr {
                        td { (kind_label(&total.kind)) }
                        td.num { (total.running) }
                        td.num { (total.breached) }
                        td.num { (total.due_soon) }
                    }
                }
            }
            tfoot {
                tr.total {
                    th { "Sum" }
                    td.num { (sum(|total| total.running)) }
                    td.num { (sum(|total| total.breached)) }
                    td.num { (sum(|total| total.due_soon)) }
                }
            }
        }
    }
}

/// Saker til oppfølging: every running deadline, breached first.
pub(crate) async fn cases(
    State(dashboard): State<Dashboard>,
    headers: HeaderMap,
    Query(query): Query<CasesQuery>,
) -> Result<Response, Error> {
    filtered_page(
        &dashboard,
        &headers,
        Page::Cases,
        "Saker til oppfølging",
        &query,
        cases_form,
        cases_page,
    )
    .await
}

fn cases_form(
    session: &Session,
    query: &CasesQuery,
    names: &BTreeMap<String, String>,
    invalid: &str,
) -> Markup {
    html! {
        form.filters method="get" action="/cases" {
            (municipality_select(session, query.municipality.as_deref().unwrap_or(""), names, invalid))
            label.invalid[invalid == "team"] {
                "Team" input name="team" value=(query.team.as_deref().unwrap_or(""));
            }
            label.invalid[invalid == "caseworker"] {
                "Saksbehandler"
                input name="caseworker" value=(query.caseworker.as_deref().unwrap_or(""));
            }
            (as_of_fields(query.as_of.as_deref(), query.effective_view.as_deref(), invalid))
            button type="submit" { "Vis" }
        }
    }
}

async fn cases_page(
    dashboard: &Dashboard,
    session: &Session,
    query: &CasesQuery,
    names: &BTreeMap<String, String>,
) -> Result<Response, Error> {
    let municipalities = scope(session, query.municipality.as_deref())?;
    let page = page_number(query.page.as_deref())?;
    // Names as the lifecycle accepts them: no control characters, at most 200 characters.
    let clean = |field: &'static str, text: &Option<String>| -> Result<Option<String>, Error> {
        match text
            .as_deref()
            .map(str::trim)
            .filter(|text| !text.is_empty())
        {
            None => Ok(None),
            Some(text) => domain::values::BoundedText::short(field, text)
                .map(|text| Some(text.as_str().to_owned()))
                .map_err(|error| Error::BadParameter {
                    field,
                    reason: error.to_string(),
                }),
        }
    };
    let (team, caseworker) = (
        clean("team", &query.team)?,
        clean("caseworker", &query.caseworker)?,
    );
    let asked = Asked::parse(query.as_of.as_deref(), query.effective_view.as_deref())?;
    let filter = Filter {
        municipalities,
        team: team.clone(),
        caseworker: caseworker.clone(),
        letters_only: false,
    };
    let Listed {
        items,
        more,
        totals,
    } = worklist_page(
        dashboard,
        session,
        "/cases",
        filter,
        asked.as_of,
        asked.knowledge,
        page,
    )
    .await?;
    let chosen = query.municipality.clone().unwrap_or_default();
    let pages = pager(
        "/cases",
        &[
            ("municipality", chosen.clone()),
            ("team", team.clone().unwrap_or_default()),
            ("caseworker", caseworker.clone().unwrap_or_default()),
            ("as_of", asked.date.clone()),
            (
                "effective_view",
                if asked.effective {
                    "on".to_owned()
                } else {
                    String::new()
                },
            ),
        ],
        page,
        more,
    );
    let body = html! {
        h1 { "Saker til oppfølging" }
        p.summary {
            "Alle løpende frister, fristbrudd først, deretter rød, gul og grønn. "
            (asked.sentence())
        }
        (cases_form(session, query, names, ""))
        (totals_table("Frist", &totals))
        (worklist_table("Frist", "Ingen løpende frister.", &items, names))
        (pages)
    };
    Ok(render("Saker til oppfølging", session, body))
}

#[derive(Clone, Deserialize, Default)]
pub(crate) struct LettersQuery {
    municipality: Option<String>,
    page: Option<String>,
}

/// Brev til melder: the feedback letters owed to reporters, overdue first.
pub(crate) async fn letters(
    State(dashboard): State<Dashboard>,
    headers: HeaderMap,
    Query(query): Query<LettersQuery>,
) -> Result<Response, Error> {
    filtered_page(
        &dashboard,
        &headers,
        Page::Letters,
        "Brev til melder",
        &query,
        letters_form,
        letters_page,
    )
    .await
}

fn letters_form(
    session: &Session,
    query: &LettersQuery,
    names: &BTreeMap<String, String>,
    invalid: &str,
) -> Markup {
    html! {
        form.filters method="get" action="/letters" {
            (municipality_select(session, query.municipality.as_deref().unwrap_or(""), names, invalid))
            button type="submit" { "Vis" }
        }
    }
}

async fn letters_page(
    dashboard: &Dashboard,
    session: &Session,
    query: &LettersQuery,
    names: &BTreeMap<String, String>,
) -> Result<Response, Error> {
    let municipalities = scope(session, query.municipality.as_deref())?;
    let page = page_number(query.page.as_deref())?;
    let now = Utc::now();
    let filter = Filter {
        municipalities,
        team: None,
        caseworker: None,
        letters_only: true,
    };
    // Now: the two questions have one answer.
    let Listed {
        items,
        more,
        totals,
    } = worklist_page(
        dashboard,
        session,
        "/letters",
        filter,
        now,
        projections::Knowledge::Then,
        page,
    )
    .await?;
    let owed: i64 = totals.iter().map(|total| total.running).sum();
    let overdue: i64 = totals.iter().map(|total| total.breached).sum();
    let municipality = query.municipality.clone().unwrap_or_default();
    let body = html! {
        h1 { "Brev til melder" }
        p.summary {
            "Tilbakemeldinger offentlige meldere har krav på (bvl. § 13-2), per " (time(now)) ". "
            "I alt: " (owed) " brev, " (overdue) " for sent."
        }
        (letters_form(session, query, names, ""))
        (totals_table("Brev", &totals))
        (worklist_table("Brev", "Ingen brev å sende.", &items, names))
        (pager("/letters", &[("municipality", municipality.clone())], page, more))
    };
    Ok(render("Brev til melder", session, body))
}

#[derive(Clone, Deserialize, Default)]
pub(crate) struct StatisticsQuery {
    municipality: Option<String>,
    year: Option<String>,
    /// quarter, half or year.
    period: Option<String>,
    number: Option<String>,
    /// A date to count as of; now when absent.
    as_of: Option<String>,
    /// Set: with all that is known now; absent: as known then.
    effective_view: Option<String>,
    /// `kontrollutvalg` (per report, by receipt; the default) or `nasjonal` (per child, by
    /// screening, as Statistics Norway and the registry count).
    counting: Option<String>,
}

/// Statistikk: DOMAIN.md's table per municipality and period, with a chart.
pub(crate) async fn statistics(
    State(dashboard): State<Dashboard>,
    headers: HeaderMap,
    Query(query): Query<StatisticsQuery>,
) -> Result<Response, Error> {
    filtered_page(
        &dashboard,
        &headers,
        Page::Statistics,
        "Statistikk",
        &query,
        statistics_form,
        statistics_page,
    )
    .await
}

fn statistics_form(
    session: &Session,
    query: &StatisticsQuery,
    names: &BTreeMap<String, String>,
    invalid: &str,
) -> Markup {
    let kind = query.period.as_deref().unwrap_or("quarter");
    let national = query.counting.as_deref() == Some("nasjonal");
    html! {
        form.filters method="get" action="/statistics" {
            (municipality_select(session, query.municipality.as_deref().unwrap_or(""), names, invalid))
            label.invalid[invalid == "year"] {
                "År" input name="year" value=(query.year.as_deref().unwrap_or("")) size="5";
            }
            label.invalid[invalid == "period"] {
                "Periode"
                select name="period" {
                    option value="quarter" selected[kind == "quarter"] { "Kvartal" }
                    option value="half" selected[kind == "half"] { "Halvår" }
                    option value="year" selected[kind == "year"] { "År" }
                }
            }
            label.invalid[invalid == "number"] {
                "Nummer (kvartal eller halvår)"
                input name="number" value=(query.number.as_deref().unwrap_or("")) size="2";
            }
            label.invalid[invalid == "counting"] {
                "Telling"
                select name="counting" {
                    option value="kontrollutvalg" selected[!national] { "Kontrollutvalg" }
                    option value="nasjonal" selected[national] { "Nasjonal (SSB)" }
                }
            }
            (as_of_fields(query.as_of.as_deref(), query.effective_view.as_deref(), invalid))
            button type="submit" { "Vis" }
        }
    }
}

async fn statistics_page(
    dashboard: &Dashboard,
    session: &Session,
    query: &StatisticsQuery,
    names: &BTreeMap<String, String>,
) -> Result<Response, Error> {
    let municipalities = scope(session, query.municipality.as_deref())?;
    let now = Utc::now();
    let today = oslo_date(now);
    let year = whole_number::<i32>("year", query.year.as_deref())?.unwrap_or(today.year());
    let number = whole_number::<u32>("number", query.number.as_deref())?;
    let (period, kind, label) =
        figures::period(query.period.as_deref(), year, number, |kind| match kind {
            "half" if today.month() > 6 => 2,
            "half" => 1,
            _ => (today.month() - 1) / 3 + 1,
        })?;
    let asked = Asked::parse(query.as_of.as_deref(), query.effective_view.as_deref())?;
    let (counting, counting_sentence) = figures::counting(query.counting.as_deref())?;
    let mut rows = projections::statistics::statistics(
        dashboard.store.pool(),
        &municipalities,
        period,
        asked.as_of,
        asked.knowledge,
        counting,
    )
    .await?;
    rows.sort_by(|a, b| a.municipality.cmp(&b.municipality));
    // The form shows the year and the number the figures are for.
    let number = match period {
        projections::statistics::Period::Quarter { quarter, .. } => Some(quarter),
        projections::statistics::Period::HalfYear { half, .. } => Some(half),
        projections::statistics::Period::Year { .. } => None,
    };
    let shown = StatisticsQuery {
        year: Some(year.to_string()),
        period: Some(kind.to_owned()),
        number: number.map(|number| number.to_string()),
        ..query.clone()
    };
    let body = html! {
        h1 { "Statistikk, " (label) }
        (statistics_form(session, &shown, names, ""))
        p.summary { (asked.sentence()) }
        p.summary { (counting_sentence) }
        (chart(&rows, names))
        (figures::table(&rows, names))
    };
    Ok(render("Statistikk", session, body))
}

/// Reports received and investigations concluded per municipality, as grouped bars.
fn chart(rows: &[StatisticsRow], names: &BTreeMap<String, String>) -> Markup {
    if rows.is_empty() {
        return html! {};
    }
    let max = rows
        .iter()
        .map(|row| row.reports_received.max(row.investigations_concluded))
        .max()
        .unwrap_or(0)
        .max(1);
    let (bar, gap, height) = (18i64, 30i64, 160i64);
    let width = rows.len() as i64 * (2 * bar + gap) + gap;
    let x_of = |index: usize| gap + index as i64 * (2 * bar + gap);
    html! {
        svg role="img" aria-label="Meldinger og undersøkelser per kommune" width=(width)
            height=(height + 40) viewBox={ "0 0 " (width) " " (height + 40) } {
            @for (index, row) in rows.iter().enumerate() {
                @for (offset, value, colour) in [
                    (0, row.reports_received, "#0b3954"),
                    (bar, row.investigations_concluded, "#f9a825"),
                ] {
                    @let h = value * height / max;
                    @let x = x_of(index) + offset;
                    rect x=(x) y=(height - h + 14) width=(bar) height=(h) fill=(colour) {
                        title { (value) }
                    }
                    text x=(x + bar / 2) y=(height - h + 10) text-anchor="middle" { (value) }
                }
                text x=(x_of(index) + bar) y=(height + 32) text-anchor="middle" {
                    (names.get(&row.municipality).unwrap_or(&row.municipality))
                }
            }
        }
        p.hint { "Mørk: meldinger mottatt. Gul: undersøkelser avsluttet." }
    }
}

/// Systemstatus: each view's lag, the horizon, the log's size, the versions.
pub(crate) async fn system(
    State(dashboard): State<Dashboard>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    use projections::Projection as _;
    let session = dashboard.session_for(&headers, Page::System).await?;
    let store = &dashboard.store;
    let failures = projections::failures::failures(store.pool()).await?;
    let mut views = Vec::new();
    for view in projections::views(&domain::rules::RuleBook::norwegian()) {
        let status = projections::status(store, view.name()).await?;
        let failure = failures
            .iter()
            .find(|failure| failure.projection == view.name());
        views.push(html! {
            tr {
                td { (view.name()) }
                td {
                    @match failure {
                        Some(failure) => {
                            span.badge.breach { "stoppet" }
                            " ved hendelse " (failure.position) " (" (failure.event_type) ") siden "
                            (time(failure.failed_at)) ", " (failure.attempts) " forsøk: "
                            (failure.error)
                        }
                        None => { "i gang" }
                    }
                }
                td { (status.checkpoint) }
                td.num { (status.events_behind) }
                td.num { (format!("{:.1}", status.seconds_behind)) }
                td.num { (status.events_waiting) }
            }
        });
    }
    let horizon = store.horizon().await?;
    let eventstore::Counts { events, streams } = store.counts().await?;
    let postgres: String = sqlx::query_scalar("show server_version")
        .fetch_one(store.pool())
        .await?;
    let migration: Option<i64> = sqlx::query_scalar("select max(version) from _sqlx_migrations")
        .fetch_one(store.pool())
        .await?;
    let horizon_text = match (
        horizon.oldest_open_transaction_age,
        horizon.oldest_open_transaction_pid,
    ) {
        (Some(age), Some(pid)) => format!("{:.1} s (prosess {pid})", age.as_secs_f64()),
        (Some(age), None) => format!("{:.1} s (forberedt transaksjon)", age.as_secs_f64()),
        _ => "ingen åpen transaksjon holder leserne tilbake".to_owned(),
    };
    let body = html! {
        h1 { "Systemstatus" }
        h2 { "Lesemodeller" }
        table {
            thead {
                tr {
                    th { "Visning" } th { "Tilstand" } th { "Sjekkpunkt" } th { "Hendelser bak" }
                    th { "Sekunder bak" } th { "Venter på horisonten" }
                }
            }
            tbody { @for row in &views { (row) } }
        }
        h2 { "Hendelseslogg" }
        table {
            tbody {
                tr { th { "Hendelser" } td.num { (events) } }
                tr { th { "Strømmer" } td.num { (streams) } }
                tr { th { "Eldste åpne transaksjon (horisont)" } td { (horizon_text) } }
            }
        }
        h2 { "Versjoner" }
        table {
            tbody {
                tr { th { "Vern" } td { (dashboard.version) } }
                tr { th { "PostgreSQL" } td { (postgres) } }
                tr {
                    th { "Siste migrering" }
                    td { (migration.map(|m| m.to_string()).unwrap_or_else(|| "–".into())) }
                }
            }
        }
    };
    Ok(render("Systemstatus", &session, body))
}
