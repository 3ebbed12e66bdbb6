//! One function per page. Each reads the session, asks the read models, and renders a table;
//! lists are paged (`PAGE_ROWS` rows) so a page stays small with thousands of rows behind it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Datelike as _, Utc};
use domain::calendar::oslo_date;
use projections::statistics::{Period, StatisticsRow};
use projections::worklist::{WorklistItem, WorklistQuery};
use serde::Deserialize;
use uuid::Uuid;

use handling::policy::Page;

use crate::html::{Viewer, escape, page, url_encode};
use crate::{Dashboard, Error, Session, secure_headers};

/// Rows on one page of a list.
const PAGE_ROWS: i64 = 50;

fn render(title: &str, session: &Session, body: &str) -> Response {
    let viewer = Viewer {
        subject: &session.principal.subject,
        role: session.principal.role.name(),
        csrf: &session.csrf,
    };
    (secure_headers(), Html(page(title, Some(&viewer), body))).into_response()
}

/// Municipality numbers to names, for every municipality.
fn municipality_names() -> BTreeMap<String, String> {
    domain::municipality::MunicipalityRegistry::norway_2024()
        .iter()
        .map(|(number, name)| (number.as_str().to_owned(), name.to_owned()))
        .collect()
}

fn municipality_label(names: &BTreeMap<String, String>, number: &str) -> String {
    match names.get(number) {
        Some(name) => format!("{} {}", escape(number), escape(name)),
        None => escape(number),
    }
}

/// The municipalities a query may cover: the one asked for, if the session serves it; else
/// every one the session serves. The rule is the API's (`handling::policy::scope`).
fn scope(
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
                    reason: "must be a four-digit municipality number".into(),
                })
        })
        .transpose()?;
    let asked: Vec<_> = asked.into_iter().collect();
    handling::policy::scope(&session.principal.municipalities, &asked).map_err(|refused| {
        Error::BadParameter {
            field: "municipality",
            reason: refused.to_string(),
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
fn whole_number<T: std::str::FromStr>(
    field: &'static str,
    value: Option<&str>,
) -> Result<Option<T>, Error> {
    match value.map(str::trim).filter(|value| !value.is_empty()) {
        None => Ok(None),
        Some(value) => value.parse().map(Some).map_err(|_| Error::BadParameter {
            field,
            reason: "must be a whole number".into(),
        }),
    }
}

/// Links to the previous and next page, keeping the other parameters.
fn pager(path: &str, parameters: &[(&str, String)], page: i64, more: bool) -> String {
    let link = |page: i64| {
        let mut query: Vec<String> = parameters
            .iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(key, value)| format!("{key}={}", url_encode(value)))
            .collect();
        query.push(format!("page={page}"));
        format!("{path}?{}", query.join("&amp;"))
    };
    let mut out = String::from("<div class=\"pager\">");
    if page > 1 {
        let _ = write!(out, "<a href=\"{}\">← Forrige side</a>", link(page - 1));
    }
    let _ = write!(out, "<span>Side {page}</span>");
    if more {
        let _ = write!(out, "<a href=\"{}\">Neste side →</a>", link(page + 1));
    }
    out.push_str("</div>");
    out
}

fn urgency_badge(urgency: domain::values::Urgency) -> &'static str {
    use domain::values::Urgency;
    match urgency {
        Urgency::Red => "<span class=\"badge red\">rød</span>",
        Urgency::Yellow => "<span class=\"badge yellow\">gul</span>",
        Urgency::Green => "<span class=\"badge green\">grønn</span>",
    }
}

/// Norwegian words for a case event on the timeline; an event this build does not name shows
/// its internal name rather than nothing.
fn event_label(event_type: &str) -> &str {
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
        other => other,
    }
}

/// Norwegian names of the worklist's deadline kinds.
fn kind_label(kind: &str) -> &str {
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
                        reason: "must be a date, YYYY-MM-DD".into(),
                    }
                })?;
                let next = day.succ_opt().ok_or(Error::BadParameter {
                    field: "as_of",
                    reason: "is out of range".into(),
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

    /// The form's fields for the two choices.
    fn fields(&self) -> String {
        format!(
            "<label>Per dato (tom for nå)<input type=\"date\" name=\"as_of\" value=\"{}\"></label>\
             <label><input type=\"checkbox\" name=\"effective_view\" value=\"on\"{}> Med alt som er registrert nå</label>",
            escape(&self.date),
            if self.effective { " checked" } else { "" }
        )
    }
}

fn time(moment: DateTime<Utc>) -> String {
    let oslo = moment.with_timezone(&chrono_tz::Europe::Oslo);
    oslo.format("%d.%m.%Y %H:%M").to_string()
}

#[derive(Deserialize, Default)]
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

fn worklist_rows(items: &[WorklistItem], names: &BTreeMap<String, String>) -> String {
    let mut rows = String::new();
    for item in items {
        let subject = match (item.case_id, item.report_id) {
            (Some(case), _) => format!(
                "<a href=\"/cases/{case}\">sak {}</a>",
                &case.simple().to_string()[..8]
            ),
            (None, Some(report)) => format!("melding {}", &report.simple().to_string()[..8]),
            (None, None) => String::new(),
        };
        let _ = write!(
            rows,
            "<tr class=\"{}\"><td>{}</td><td>{}<br><small>{}</small></td><td>{subject}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if item.breached { "breached" } else { "" },
            if item.breached {
                "<span class=\"badge breach\">fristbrudd</span>"
            } else {
                ""
            },
            escape(kind_label(&item.kind)),
            escape(&item.legal_reference),
            municipality_label(names, &item.municipality),
            escape(item.team.as_deref().unwrap_or("–")),
            escape(item.caseworker.as_deref().unwrap_or("–")),
            urgency_badge(item.urgency),
            item.last_day.format("%d.%m.%Y"),
        );
    }
    rows
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
) -> Result<(Vec<WorklistItem>, bool), Error> {
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
    Ok((items, more))
}

/// Saker til oppfølging: every running deadline, breached first.
pub(crate) async fn cases(
    State(dashboard): State<Dashboard>,
    headers: HeaderMap,
    Query(query): Query<CasesQuery>,
) -> Result<Response, Error> {
    let session = dashboard.session_for(&headers, Page::Cases).await?;
    let municipalities = scope(&session, query.municipality.as_deref())?;
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
    let (items, more) = worklist_page(
        &dashboard,
        &session,
        "/cases",
        filter,
        asked.as_of,
        asked.knowledge,
        page,
    )
    .await?;
    let names = municipality_names();
    let served: Vec<&str> = session
        .principal
        .municipalities
        .iter()
        .map(|number| number.as_str())
        .collect();
    let chosen = query.municipality.clone().unwrap_or_default();
    let options: String = served
        .iter()
        .map(|&number| {
            format!(
                "<option value=\"{}\"{}>{}</option>",
                escape(number),
                if *number == chosen { " selected" } else { "" },
                municipality_label(&names, number)
            )
        })
        .collect();
    let body = format!(
        "<h1>Saker til oppfølging</h1>\
         <p class=\"summary\">Alle løpende frister, fristbrudd først, deretter rød, gul og grønn. {}</p>\
         <form class=\"filters\" method=\"get\" action=\"/cases\">\
           <label>Kommune<select name=\"municipality\"><option value=\"\">Alle</option>{options}</select></label>\
           <label>Team<input name=\"team\" value=\"{}\"></label>\
           <label>Saksbehandler<input name=\"caseworker\" value=\"{}\"></label>\
           {}<button type=\"submit\">Vis</button></form>\
         <table><thead><tr><th>Status</th><th>Frist</th><th>Gjelder</th><th>Kommune</th><th>Team</th><th>Saksbehandler</th><th>Hast</th><th>Siste dag</th></tr></thead>\
         <tbody>{}</tbody></table>{}",
        escape(&asked.sentence()),
        escape(team.as_deref().unwrap_or("")),
        escape(caseworker.as_deref().unwrap_or("")),
        asked.fields(),
        if items.is_empty() {
            "<tr><td colspan=\"8\">Ingen løpende frister.</td></tr>".to_owned()
        } else {
            worklist_rows(&items, &names)
        },
        pager(
            "/cases",
            &[
                ("municipality", chosen.clone()),
                ("team", team.unwrap_or_default()),
                ("caseworker", caseworker.unwrap_or_default()),
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
            more
        ),
    );
    Ok(render("Saker til oppfølging", &session, &body))
}

#[derive(Deserialize, Default)]
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
    let session = dashboard.session_for(&headers, Page::Letters).await?;
    let municipalities = scope(&session, query.municipality.as_deref())?;
    let page = page_number(query.page.as_deref())?;
    let now = Utc::now();
    let filter = Filter {
        municipalities,
        team: None,
        caseworker: None,
        letters_only: true,
    };
    // Now: the two questions have one answer.
    let (items, more) = worklist_page(
        &dashboard,
        &session,
        "/letters",
        filter,
        now,
        projections::Knowledge::Then,
        page,
    )
    .await?;
    let names = municipality_names();
    let overdue = items.iter().filter(|item| item.breached).count();
    let body = format!(
        "<h1>Brev til melder</h1>\
         <p class=\"summary\">Tilbakemeldinger offentlige meldere har krav på (bvl. § 13-2), per {}. \
         På denne siden: {} brev, {overdue} for sent.</p>\
         <form class=\"filters\" method=\"get\" action=\"/letters\">\
           <label>Kommune (nummer)<input name=\"municipality\" value=\"{}\" size=\"6\"></label>\
           <button type=\"submit\">Vis</button></form>\
         <table><thead><tr><th>Status</th><th>Brev</th><th>Gjelder</th><th>Kommune</th><th>Team</th><th>Saksbehandler</th><th>Hast</th><th>Siste dag</th></tr></thead>\
         <tbody>{}</tbody></table>{}",
        time(now),
        items.len(),
        escape(query.municipality.as_deref().unwrap_or("")),
        if items.is_empty() {
            "<tr><td colspan=\"8\">Ingen brev å sende.</td></tr>".to_owned()
        } else {
            worklist_rows(&items, &names)
        },
        pager(
            "/letters",
            &[(
                "municipality",
                query.municipality.clone().unwrap_or_default()
            )],
            page,
            more
        ),
    );
    Ok(render("Brev til melder", &session, &body))
}

#[derive(Deserialize, Default)]
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
    let session = dashboard.session_for(&headers, Page::Statistics).await?;
    let municipalities = scope(&session, query.municipality.as_deref())?;
    let now = Utc::now();
    let today = oslo_date(now);
    let year = whole_number::<i32>("year", query.year.as_deref())?.unwrap_or(today.year());
    let number = whole_number::<u32>("number", query.number.as_deref())?;
    if !(1993..=2100).contains(&year) {
        return Err(Error::BadParameter {
            field: "year",
            reason: "must be between 1993 and 2100".into(),
        });
    }
    let kind = query.period.as_deref().unwrap_or("quarter");
    let (period, label) = match kind {
        "quarter" => {
            let quarter = number.unwrap_or((today.month() - 1) / 3 + 1);
            (
                Period::Quarter { year, quarter },
                format!("{quarter}. kvartal {year}"),
            )
        }
        "half" => {
            let half = number.unwrap_or(if today.month() <= 6 { 1 } else { 2 });
            (
                Period::HalfYear { year, half },
                format!("{half}. halvår {year}"),
            )
        }
        "year" => (Period::Year { year }, format!("året {year}")),
        _ => {
            return Err(Error::BadParameter {
                field: "period",
                reason: "must be quarter, half or year".into(),
            });
        }
    };
    if period.days().is_none() {
        return Err(Error::BadParameter {
            field: "number",
            reason: "a quarter is 1 to 4, a half-year 1 or 2".into(),
        });
    }
    let asked = Asked::parse(query.as_of.as_deref(), query.effective_view.as_deref())?;
    let (counting, counting_sentence) = match query.counting.as_deref() {
        None | Some("") | Some("kontrollutvalg") => (
            projections::statistics::Counting::ControlCommittee,
            "Telling som kontrollutvalgets tabell: per melding, etter mottaksdato; fristbrudd \
             i undersøkelser etter lovens måneder.",
        ),
        Some("nasjonal") => (
            projections::statistics::Counting::National,
            "Nasjonal telling (SSB og Barnevernsregisteret): per barn, etter gjennomgangsdato; \
             meldinger = henlagt + til undersøkelse, kode 3 og 4 telt for seg; fristbrudd i \
             undersøkelser etter mottatt + 7 + 90 (+ 7 + 180) dager.",
        ),
        Some(_) => {
            return Err(Error::BadParameter {
                field: "counting",
                reason: "must be kontrollutvalg or nasjonal".into(),
            });
        }
    };
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
    let names = municipality_names();
    let table: String = rows
        .iter()
        .map(|row| {
            format!(
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                municipality_label(&names, &row.municipality),
                row.reports_received,
                row.reports_dismissed,
                row.reports_measures_active,
                row.reports_ongoing_investigation,
                row.screening_breaches,
                row.investigations_concluded,
                row.investigations_dismissed,
                row.investigation_breaches,
                row.letters_sent,
                row.letters_sent_late,
                row.steps_recorded_late,
                row.days_late_max,
            )
        })
        .collect();
    let selected = |value: &str| if kind == value { " selected" } else { "" };
    let body = format!(
        "<h1>Statistikk, {}</h1>\
         <form class=\"filters\" method=\"get\" action=\"/statistics\">\
           <label>Kommune (nummer, tom for alle)<input name=\"municipality\" value=\"{}\" size=\"6\"></label>\
           <label>År<input name=\"year\" value=\"{year}\" size=\"5\"></label>\
           <label>Periode<select name=\"period\"><option value=\"quarter\"{}>Kvartal</option>\
             <option value=\"half\"{}>Halvår</option><option value=\"year\"{}>År</option></select></label>\
           <label>Nummer<input name=\"number\" value=\"{}\" size=\"2\"></label>\
           <label>Telling<select name=\"counting\"><option value=\"kontrollutvalg\"{}>Kontrollutvalg</option>\
             <option value=\"nasjonal\"{}>Nasjonal (SSB)</option></select></label>\
           {}<button type=\"submit\">Vis</button></form>\
         <p class=\"summary\">{}</p>\
         <p class=\"summary\">{}</p>\
         {}\
         <table><thead><tr><th>Kommune</th><th>Meldinger</th><th>Henlagt (meldinger)</th>\
         <th>Tiltak allerede i gang (kode 3)</th><th>Gjelder pågående undersøkelse (kode 4)</th><th>Fristbrudd (meldinger)</th>\
         <th>Undersøkelser</th><th>Henlagt (undersøkelser)</th><th>Fristbrudd (undersøkelser)</th><th>Brev sendt</th><th>Brev for sent</th>\
         <th>Registrert for sent (steg)</th><th>Lengste forsinkelse (dager)</th></tr></thead>\
         <tbody>{}</tbody></table>",
        escape(&label),
        escape(query.municipality.as_deref().unwrap_or("")),
        selected("quarter"),
        selected("half"),
        selected("year"),
        number.map(|n| n.to_string()).unwrap_or_default(),
        if counting == projections::statistics::Counting::ControlCommittee {
            " selected"
        } else {
            ""
        },
        if counting == projections::statistics::Counting::National {
            " selected"
        } else {
            ""
        },
        asked.fields(),
        escape(&asked.sentence()),
        escape(counting_sentence),
        chart(&rows, &names),
        if rows.is_empty() {
            "<tr><td colspan=\"13\">Ingen tall for perioden.</td></tr>".to_owned()
        } else {
            table
        },
    );
    Ok(render("Statistikk", &session, &body))
}

/// Reports received and investigations concluded per municipality, as grouped bars.
fn chart(rows: &[StatisticsRow], names: &BTreeMap<String, String>) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let max = rows
        .iter()
        .map(|row| row.reports_received.max(row.investigations_concluded))
        .max()
        .unwrap_or(0)
        .max(1);
    let (bar, gap, height) = (18i64, 30i64, 160i64);
    let width = rows.len() as i64 * (2 * bar + gap) + gap;
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"Meldinger og undersøkelser per kommune\" width=\"{width}\" height=\"{}\" viewBox=\"0 0 {width} {}\">",
        height + 40,
        height + 40
    );
    for (index, row) in rows.iter().enumerate() {
        let x = gap + index as i64 * (2 * bar + gap);
        for (offset, value, colour) in [
            (0, row.reports_received, "#0b3954"),
            (bar, row.investigations_concluded, "#f9a825"),
        ] {
            let h = value * height / max;
            let _ = write!(
                svg,
                "<rect x=\"{}\" y=\"{}\" width=\"{bar}\" height=\"{h}\" fill=\"{colour}\"><title>{value}</title></rect>\
                 <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{value}</text>",
                x + offset,
                height - h + 14,
                x + offset + bar / 2,
                height - h + 10,
            );
        }
        let name = names
            .get(&row.municipality)
            .cloned()
            .unwrap_or_else(|| row.municipality.clone());
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            x + bar,
            height + 32,
            escape(&name)
        );
    }
    svg.push_str(
        "</svg><p class=\"hint\">Mørk: meldinger mottatt. Gul: undersøkelser avsluttet.</p>",
    );
    svg
}

/// Tidslinje: a case's events, oldest first.
pub(crate) async fn timeline(
    State(dashboard): State<Dashboard>,
    headers: HeaderMap,
    Path(case_id): Path<String>,
) -> Result<Response, Error> {
    let session = dashboard.session_for(&headers, Page::Cases).await?;
    let case_id = Uuid::parse_str(&case_id).map_err(|_| Error::NotFound)?;
    // The case's municipality, to keep a restricted token to its own.
    let municipality = dashboard
        .store
        .stream_municipality(&format!("case-{case_id}"))
        .await?;
    // Every look at a case is in the read audit, a refused one too.
    let reader = session.principal();
    let method = format!("dashboard /cases/{case_id}");
    let pool = dashboard.store.pool();
    let record = |outcome| {
        let entry = handling::audit::Entry::new(
            &reader,
            &method,
            handling::audit::Subject::Case(case_id),
            None,
            outcome,
            Utc::now(),
        );
        async move { handling::audit::record(pool, &[entry]).await }
    };
    // As numbered now: a case recorded under a number the 2024 reform retired is its
    // successor's.
    let reachable = municipality
        .as_deref()
        .and_then(|m| domain::municipality::MunicipalityNumber::try_from(m.to_owned()).ok())
        .is_some_and(|m| {
            session
                .principal
                .municipalities
                .contains(&domain::municipality::current(m))
        });
    if !reachable {
        record(handling::audit::Outcome::Denied).await?;
        // Not found, whether it exists elsewhere or not.
        return Err(Error::NotFound);
    }
    record(handling::audit::Outcome::Read).await?;
    let entries = projections::timeline::case_timeline(dashboard.store.pool(), case_id).await?;
    let rows: String = entries
        .iter()
        .map(|entry| {
            format!(
                "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{} ({})</td><td>{}{}</td></tr>",
                entry.stream_version,
                time(entry.occurred_at),
                escape(event_label(&entry.event_type)),
                escape(&entry.actor_subject),
                escape(&entry.actor_role),
                time(entry.recorded_at),
                match entry.days_late() {
                    0 => String::new(),
                    1 => " <span class=\"late\">registrert 1 dag etter</span>".to_owned(),
                    days => format!(" <span class=\"late\">registrert {days} dager etter</span>"),
                },
            )
        })
        .collect();
    let names = municipality_names();
    let body = format!(
        "<h1>Tidslinje for sak {}</h1><p class=\"summary\">Kommune {}. {} hendelser.</p>\
         <table><thead><tr><th>Nr.</th><th>Skjedde</th><th>Hendelse</th><th>Av</th><th>Registrert</th></tr></thead>\
         <tbody>{}</tbody></table>",
        case_id,
        municipality
            .as_deref()
            .map(|m| municipality_label(&names, m))
            .unwrap_or_else(|| "ukjent".into()),
        entries.len(),
        if rows.is_empty() {
            "<tr><td colspan=\"5\">Tidslinjen er ikke bygget ennå.</td></tr>".to_owned()
        } else {
            rows
        }
    );
    Ok(render("Tidslinje", &session, &body))
}

/// Systemstatus: each view's lag, the horizon, the log's size, the versions.
pub(crate) async fn system(
    State(dashboard): State<Dashboard>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    use projections::Projection as _;
    let session = dashboard.session_for(&headers, Page::System).await?;
    let store = &dashboard.store;
    let mut views = String::new();
    let failures = projections::failures::failures(store.pool()).await?;
    for view in projections::views(&domain::rules::RuleBook::norwegian()) {
        let status = projections::status(store, view.name()).await?;
        let stopped = match failures
            .iter()
            .find(|failure| failure.projection == view.name())
        {
            Some(failure) => format!(
                "<span class=\"badge breach\">stoppet</span> ved hendelse {} ({}) siden {}, \
                 {} forsøk: {}",
                failure.position,
                escape(&failure.event_type),
                time(failure.failed_at),
                failure.attempts,
                escape(&failure.error)
            ),
            None => "i gang".to_owned(),
        };
        let _ = write!(
            views,
            "<tr><td>{}</td><td>{stopped}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{:.1}</td><td class=\"num\">{}</td></tr>",
            view.name(),
            status.checkpoint,
            status.events_behind,
            status.seconds_behind,
            status.events_waiting
        );
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
    let body = format!(
        "<h1>Systemstatus</h1>\
         <h2>Lesemodeller</h2>\
         <table><thead><tr><th>Visning</th><th>Tilstand</th><th>Sjekkpunkt</th><th>Hendelser bak</th><th>Sekunder bak</th><th>Venter på horisonten</th></tr></thead>\
         <tbody>{views}</tbody></table>\
         <h2>Hendelseslogg</h2>\
         <table><tbody>\
         <tr><th>Hendelser</th><td class=\"num\">{events}</td></tr>\
         <tr><th>Strømmer</th><td class=\"num\">{streams}</td></tr>\
         <tr><th>Eldste åpne transaksjon (horisont)</th><td>{}</td></tr>\
         </tbody></table>\
         <h2>Versjoner</h2>\
         <table><tbody>\
         <tr><th>Vern</th><td>{}</td></tr>\
         <tr><th>PostgreSQL</th><td>{}</td></tr>\
         <tr><th>Siste migrering</th><td>{}</td></tr>\
         </tbody></table>",
        escape(&horizon_text),
        escape(dashboard.version),
        escape(&postgres),
        migration
            .map(|m| m.to_string())
            .unwrap_or_else(|| "–".into()),
    );
    Ok(render("Systemstatus", &session, &body))
}
